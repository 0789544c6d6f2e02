/**
 * The client side of Warden's sockets (see server.ts). Kept free of heavy imports: `warden hook`
 * loads it before every tool call, so the schemas come from the caller, never from here.
 */
import { createConnection, type Socket } from 'node:net';
import { parseResult, type Call, type Protocol } from './protocol.js';

/**
 * One request on a new connection, its answer unread: what the wire carries. `warden hook`, which
 * cannot pay for loading zod on every tool call, reads the answer by hand.
 */
export function request(path: string, method: string, params: unknown, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(JSON.stringify({ id: 1, method, params }) + '\n'));
    conn.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      conn.end();
      try {
        const out = JSON.parse(buf.slice(0, nl)) as { result?: unknown; error?: string };
        if (out.error !== undefined) reject(new Error(out.error));
        else resolve(out.result);
      } catch (e) {
        reject(e as Error);
      }
    });
    conn.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** What a lasting connection hears besides its answers, and whether it keeps Node running. */
export interface ClientOptions {
  /** a message that answers no request (it has an `event` field and no id) */
  push?: (message: { event: string } & Record<string, unknown>) => void;
  /** the connection is gone */
  closed?: () => void;
  /** keep the process alive while connected (default: the connection does not) */
  ref?: boolean;
}

/**
 * A lasting connection, for a caller with many requests (the MCP proxy, a hosted `warden run`):
 * answers are matched to requests by id and parsed by their method's result schema. A broken
 * connection fails what is pending and is made anew on the next request.
 */
export class RpcClient<P extends Protocol> {
  private conn: Socket | undefined;
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly protocol: P,
    private readonly path: string,
    private readonly timeoutMs = 5000,
    private readonly events: ClientOptions = {},
  ) {}

  private connect(): Socket {
    if (this.conn && !this.conn.destroyed) return this.conn;
    const conn = createConnection(this.path);
    conn.setEncoding('utf8');
    if (!this.events.ref) conn.unref();
    conn.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        try {
          const out = JSON.parse(line) as { id: number; result?: unknown; error?: string; event?: unknown };
          if (typeof out.event === 'string') {
            this.events.push?.(out as { event: string });
            continue;
          }
          const p = this.pending.get(out.id);
          this.pending.delete(out.id);
          if (out.error !== undefined) p?.reject(new Error(out.error));
          else p?.resolve(out.result);
        } catch {
          /* an unreadable answer: its caller times out */
        }
      }
    });
    const fail = (e: Error): void => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.buf = '';
    };
    conn.on('error', fail);
    conn.on('close', () => {
      fail(new Error(`the socket ${this.path} closed`));
      this.events.closed?.();
    });
    this.conn = conn;
    return conn;
  }

  readonly call: Call<P> = (method, params) => {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer from ${this.path} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          try {
            resolve(parseResult(this.protocol, method, v));
          } catch (e) {
            reject(
              new Error(`${method}: the answer is not what the protocol says: ${(e as Error).message.slice(0, 300)}`),
            );
          }
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.connect().write(JSON.stringify({ id, method, params }) + '\n');
    });
  };

  close(): void {
    this.conn?.end();
  }
}
