/**
 * The stdio transport: newline-delimited JSON-RPC between the agent (our
 * stdin/stdout) and the server (a child's stdin/stdout), every line judged
 * by the interceptor, in order, one at a time per direction.
 */
import type { Readable, Writable } from 'node:stream';
import type { McpInterceptor } from './interceptor.js';

/** Reads lines from `input` and hands each to `handle`, in order. Overlong lines are cut and handed on whole. */
function lines(input: Readable, limit: number, handle: (line: string) => Promise<void>, end: () => void): void {
  let buf = '';
  let chain = Promise.resolve();
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line.trim()) chain = chain.then(() => handle(line));
    }
    if (buf.length > limit + 1) {
      /* no newline in sight: judge what we have (the interceptor refuses it as oversized) */
      const line = buf;
      buf = '';
      chain = chain.then(() => handle(line));
    }
  });
  input.on('end', () => {
    const rest = buf.trim();
    chain = chain.then(() => (rest ? handle(rest) : undefined)).then(end);
  });
  input.on('error', () => undefined);
}

export function pipeStdio(
  interceptor: McpInterceptor,
  client: { input: Readable; output: Writable },
  server: { input: Writable; output: Readable },
): void {
  const write = (w: Writable, s: string | undefined): void => {
    if (s !== undefined && w.writable) w.write(`${s}\n`);
  };
  server.input.on('error', () => undefined);
  lines(
    client.input,
    interceptor.maxMessageBytes,
    async (line) => {
      const v = await interceptor.fromClient(line);
      write(server.input, v.forward);
      write(client.output, v.reply);
    },
    () => server.input.end(),
  );
  lines(
    server.output,
    interceptor.maxMessageBytes,
    async (line) => {
      const v = await interceptor.fromServer(line);
      write(client.output, v.forward);
    },
    () => undefined,
  );
}
