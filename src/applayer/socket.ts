/**
 * The session's application-layer socket: a Unix socket the agent's side
 * (`warden hook`, `warden mcp` inside a session) uses to ask for decisions
 * and hand over records. One JSON object per line each way; every request
 * carries an id and gets exactly one answer.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { z } from 'zod';

export const RequestSchema = z.object({
  id: z.number().int(),
  method: z.string(),
  params: z.unknown(),
});
export type Handler = (method: string, params: unknown) => Promise<unknown> | unknown;

const MAX_LINE = 16 << 20;

/** Serves `handler` on a Unix socket at `path`. Malformed lines get an error answer, never a crash. */
export async function serveSocket(path: string, handler: Handler): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => undefined);
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
        void answer(line).then((out) => conn.writable && conn.write(JSON.stringify(out) + '\n'));
      }
    });
  });
  async function answer(line: string): Promise<unknown> {
    let req: z.infer<typeof RequestSchema>;
    try {
      req = RequestSchema.parse(JSON.parse(line));
    } catch (e) {
      return { id: null, error: `malformed request: ${(e as Error).message.slice(0, 200)}` };
    }
    try {
      return { id: req.id, result: (await handler(req.method, req.params)) ?? null };
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
