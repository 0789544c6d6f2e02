/**
 * The server side of Warden's sockets (the daemon's control socket, a session's application-layer
 * socket): a Unix socket, one JSON object per line each way; every request carries an id and
 * gets exactly one answer, its parameters parsed by its method's schema first.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { z } from 'zod';
import { dispatch, type Handlers, type Protocol } from './protocol.js';

const RequestSchema = z.object({
  id: z.number().int(),
  method: z.string(),
  params: z.unknown(),
});

/** The connection a request came on: a lasting client (a hosted `warden run`) is told things unasked. */
export interface Peer {
  /** sends a message that answers no request (it carries no id) */
  push(message: { event: string } & Record<string, unknown>): void;
  /** called once, when the connection is gone */
  onClose(fn: () => void): void;
}

const MAX_LINE = 16 << 20;

/** Serves `protocol` on a Unix socket at `path`. Malformed lines get an error answer, never a crash. */
export async function serve<P extends Protocol>(
  path: string,
  protocol: P,
  handlers: Handlers<P, Peer>,
): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => undefined);
    const closers: Array<() => void> = [];
    conn.once('close', () => closers.forEach((fn) => fn()));
    const peer: Peer = {
      push: (message) => void (conn.writable && conn.write(JSON.stringify(message) + '\n')),
      onClose: (fn) => void closers.push(fn),
    };
    conn.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        conn.end(JSON.stringify({ id: null, error: 'request too large' }) + '\n');
        buf = '';
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void answer(line, peer).then((out) => conn.writable && conn.write(JSON.stringify(out) + '\n'));
      }
    });
  });
  async function answer(line: string, peer: Peer): Promise<unknown> {
    let req: z.infer<typeof RequestSchema>;
    try {
      req = RequestSchema.parse(JSON.parse(line));
    } catch (e) {
      return { id: null, error: `malformed request: ${(e as Error).message.slice(0, 200)}` };
    }
    try {
      return { id: req.id, result: (await dispatch(protocol, handlers, req.method, req.params, peer)) ?? null };
    } catch (e) {
      return { id: req.id, error: (e as Error).message };
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return server;
}
