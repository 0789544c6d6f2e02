/**
 * OpenTelemetry over OTLP/HTTP: events and alerts as log records; each ended
 * session as a trace, with a span per model turn and per tool call under it.
 */
import { context, trace, SpanKind, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { hostname } from 'node:os';
import type { Alert, Turn } from '../model/records.js';
import type { WardenEvent } from '../model/events.js';
import type { Store } from '../store/store.js';
import type { Session } from '../model/session.js';
import type { Exporter } from './exporter.js';

const SEVERITY: Record<Alert['severity'], SeverityNumber> = {
  info: SeverityNumber.INFO,
  low: SeverityNumber.INFO2,
  medium: SeverityNumber.WARN,
  high: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
};
const time = (us: number): [number, number] => [Math.floor(us / 1e6), (us % 1e6) * 1000];

export class OtlpExporter implements Exporter {
  readonly name = 'otlp';
  private readonly logs: LoggerProvider;
  private readonly traces: BasicTracerProvider;

  /** `endpoint`: the collector's OTLP/HTTP base, e.g. http://127.0.0.1:4318 */
  constructor(endpoint: string) {
    const base = endpoint.replace(/\/$/, '');
    const resource = resourceFromAttributes({ 'service.name': 'warden', 'host.name': hostname() });
    this.logs = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }),
          scheduledDelayMillis: 500,
          maxQueueSize: 65536,
          maxExportBatchSize: 2048,
        }),
      ],
    });
    this.traces = new BasicTracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }), { scheduledDelayMillis: 500 }),
      ],
    });
  }

  events(events: WardenEvent[]): void {
    const logger = this.logs.getLogger('warden.events');
    for (const e of events) {
      const denied = e.decision && e.decision.verdict !== 'allowed';
      logger.emit({
        timestamp: time(e.timeUs),
        severityNumber: denied ? SeverityNumber.WARN : SeverityNumber.INFO,
        severityText: denied ? 'WARN' : 'INFO',
        eventName: `warden.${e.type}`,
        body: JSON.stringify(e),
        attributes: {
          'warden.session.id': e.sessionId,
          'warden.event.type': e.type,
          'warden.event.id': e.id ?? 0,
          'process.pid': e.pid,
          'process.executable.path': e.exe,
          ...(e.toolCallId ? { 'warden.tool_call.id': e.toolCallId } : {}),
          ...(e.decision
            ? { 'warden.decision.verdict': e.decision.verdict, 'warden.decision.rule': e.decision.rule }
            : {}),
        },
      });
    }
  }

  alerts(alerts: Alert[]): void {
    const logger = this.logs.getLogger('warden.alerts');
    for (const a of alerts) {
      logger.emit({
        timestamp: time(a.timeUs),
        severityNumber: SEVERITY[a.severity],
        severityText: a.severity.toUpperCase(),
        eventName: 'warden.alert',
        body: a.message,
        attributes: {
          'warden.session.id': a.sessionId ?? '',
          'warden.alert.id': a.id ?? 0,
          'warden.alert.detector': a.detector,
          'warden.alert.severity': a.severity,
          'warden.alert.event_ids': a.eventIds.join(','),
          ...(a.toolCallId ? { 'warden.tool_call.id': a.toolCallId } : {}),
        },
      });
    }
  }

  sessionEnded(s: Session, store: Store): void {
    const tracer = this.traces.getTracer('warden.sessions');
    const root = tracer.startSpan(`session ${s.name}`.slice(0, 120), {
      kind: SpanKind.INTERNAL,
      startTime: time(s.startedUs),
      attributes: {
        'warden.session.id': s.id,
        'warden.session.status': s.status,
        'warden.session.events': s.events,
        'warden.session.lost': s.lost,
        ...(s.agent ? { 'warden.agent': s.agent } : {}),
        ...(s.policy ? { 'warden.policy': s.policy } : {}),
        ...(s.exitCode !== null ? { 'process.exit.code': s.exitCode } : {}),
      },
    });
    const inSession = trace.setSpan(context.active(), root);
    const turnSpans = turnSpansOf(tracer, store.app.turnsOf(s.id), inSession);
    for (const c of store.app.toolCallsOf(s.id)) {
      const parent = c.turn !== null ? turnSpans.get(c.turn) : undefined;
      const span = tracer.startSpan(
        `tool ${c.name || '?'}`,
        {
          startTime: time(c.startedUs),
          attributes: {
            'gen_ai.tool.name': c.name,
            'gen_ai.tool.call.id': c.id,
            'warden.tool_call.sources': c.sources.join(','),
            ...(c.decision
              ? { 'warden.decision.verdict': c.decision.verdict, 'warden.decision.rule': c.decision.rule }
              : {}),
          },
        },
        parent ? trace.setSpan(context.active(), parent) : inSession,
      );
      span.end(time(c.endedUs ?? c.startedUs));
    }
    root.end(time(s.endedUs ?? Date.now() * 1000));
  }

  async close(): Promise<void> {
    await Promise.all([this.logs.forceFlush(), this.traces.forceFlush()]);
    await Promise.all([this.logs.shutdown(), this.traces.shutdown()]);
  }
}

/** A span per model turn, under the session's, by turn number: tool calls go under theirs. */
function turnSpansOf(tracer: Tracer, turns: Turn[], inSession: Context): Map<number, Span> {
  const spans = new Map<number, Span>();
  for (const t of turns) {
    const span = tracer.startSpan(
      `turn ${t.seq}`,
      {
        startTime: time(t.startedUs),
        attributes: {
          'gen_ai.system': t.provider,
          'gen_ai.request.model': t.request.model ?? '',
          'warden.turn.action': t.action,
          'warden.turn.secrets': t.secrets.length,
          ...(t.response?.usage
            ? {
                'gen_ai.usage.input_tokens': t.response.usage.inputTokens,
                'gen_ai.usage.output_tokens': t.response.usage.outputTokens,
              }
            : {}),
        },
      },
      inSession,
    );
    span.end(time(t.endedUs ?? t.startedUs));
    spans.set(t.seq, span);
  }
  return spans;
}
