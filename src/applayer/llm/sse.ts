/**
 * An incremental parser for server-sent events (WHATWG `text/event-stream`),
 * fed the response body of a model API chunk by chunk as it passes through.
 *
 * Memory is bounded: a line or event larger than `maxEventBytes` is discarded
 * as it arrives and counted in `dropped`, so a hostile or broken upstream
 * cannot make the proxy buffer without limit.
 */

export interface SseEvent {
  /** the `event:` field, `message` when the event names none */
  event: string;
  /** the `data:` lines joined with `\n` */
  data: string;
}

export interface SseParserOptions {
  /** the largest event kept, in UTF-8 bytes of its data lines as sent; default 8 MiB */
  maxEventBytes?: number;
}

const DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;
const LINE_END = /\r\n|\r|\n/g;

export class SseParser {
  private readonly maxEventBytes: number;
  // Streaming mode keeps a multi-byte character split across chunks whole. The
  // BOM is stripped by hand, once, so flushing the decoder never eats a later one.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private started = false;
  // A chunk ending in \r may be the first half of \r\n: skip a \n that opens the next one.
  private skipLeadingLf = false;
  private partialLine = '';
  private partialLineBytes = 0;
  private eventType = '';
  private dataLines: string[] = [];
  private eventBytes = 0;
  // Set when the current event grew past the limit: its lines are skipped until the blank line.
  private oversized = false;
  // Anything seen since the last blank line, comments and ids included.
  private pending = false;
  private droppedCount = 0;

  constructor(opts: SseParserOptions = {}) {
    this.maxEventBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  /** Events dropped because they were larger than `maxEventBytes`. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Feeds one chunk of the body; returns the events this chunk completed. */
  push(chunk: Buffer | Uint8Array | string): SseEvent[] {
    const out: SseEvent[] = [];
    let text: string;
    if (typeof chunk === 'string') {
      // Bytes held back by the decoder come before this text; flush them first.
      text = this.decoder.decode() + chunk;
    } else {
      text = this.decoder.decode(chunk, { stream: true });
    }
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    this.feed(text, out);
    return out;
  }

  /**
   * Ends the stream. An event still pending (no blank line after it) is
   * returned with what its complete lines held, and `truncated` is set: a
   * monitor wants what the upstream sent even when the stream was cut.
   */
  end(): { events: SseEvent[]; truncated: boolean } {
    const out: SseEvent[] = [];
    this.feed(this.decoder.decode(), out);
    const truncated = this.pending || this.partialLineBytes > 0;
    if (this.oversized) this.droppedCount++;
    else if (this.dataLines.length > 0) out.push(this.buildEvent());
    this.resetEvent();
    this.partialLine = '';
    this.partialLineBytes = 0;
    this.started = false;
    this.skipLeadingLf = false;
    return { events: out, truncated };
  }

  private feed(text: string, out: SseEvent[]): void {
    if (text.length === 0) return;
    let start = 0;
    if (this.skipLeadingLf && text.startsWith('\n')) start = 1;
    this.skipLeadingLf = false;
    LINE_END.lastIndex = start;
    for (let m = LINE_END.exec(text); m !== null; m = LINE_END.exec(text)) {
      this.completeLine(text.slice(start, m.index), out);
      start = m.index + m[0].length;
      if (m[0] === '\r' && start === text.length) this.skipLeadingLf = true;
    }
    if (start < text.length) this.holdPartial(text.slice(start));
  }

  private holdPartial(segment: string): void {
    this.partialLineBytes += Buffer.byteLength(segment);
    this.pending = true;
    if (this.oversized) return;
    if (this.eventBytes + this.partialLineBytes > this.maxEventBytes) this.markOversized();
    else this.partialLine += segment;
  }

  private completeLine(segment: string, out: SseEvent[]): void {
    const lineBytes = this.partialLineBytes + Buffer.byteLength(segment);
    const line = this.oversized ? '' : this.partialLine + segment;
    this.partialLine = '';
    this.partialLineBytes = 0;
    if (lineBytes === 0) {
      this.dispatch(out);
      return;
    }
    this.pending = true;
    if (this.oversized) return;
    if (this.eventBytes + lineBytes > this.maxEventBytes) {
      this.markOversized();
      return;
    }
    this.field(line, lineBytes);
  }

  private field(line: string, lineBytes: number): void {
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') {
      this.dataLines.push(value);
      this.eventBytes += lineBytes;
    } else if (name === 'event') {
      this.eventType = value;
    }
    // `id` and `retry` steer reconnection, which a passive observer never does.
  }

  private dispatch(out: SseEvent[]): void {
    if (this.oversized) this.droppedCount++;
    else if (this.dataLines.length > 0) out.push(this.buildEvent());
    this.resetEvent();
  }

  private buildEvent(): SseEvent {
    return { event: this.eventType === '' ? 'message' : this.eventType, data: this.dataLines.join('\n') };
  }

  private markOversized(): void {
    this.oversized = true;
    this.partialLine = '';
    this.dataLines = [];
    this.eventType = '';
  }

  private resetEvent(): void {
    this.eventType = '';
    this.dataLines = [];
    this.eventBytes = 0;
    this.oversized = false;
    this.pending = false;
  }
}
