/**
 * A protocol on one of Warden's sockets: each method with a zod schema for its parameters and
 * one for its result. The server parses every request's parameters by its method's schema before
 * a handler sees them; a client gets the result typed, and parses it (see client.ts).
 */
import type { z } from 'zod';

export interface Method {
  params: z.ZodTypeAny;
  result: z.ZodTypeAny;
}
export type Protocol = Record<string, Method>;

/** What a caller passes, and what it gets back. */
export type Params<P extends Protocol, K extends keyof P> = z.input<P[K]['params']>;
export type Result<P extends Protocol, K extends keyof P> = z.output<P[K]['result']>;

/** One handler per method, given its parameters parsed, and what the request came on. */
export type Handlers<P extends Protocol, Peer = void> = {
  [K in keyof P]: (
    params: z.output<P[K]['params']>,
    peer: Peer,
  ) => Promise<z.input<P[K]['result']>> | z.input<P[K]['result']>;
};

/** A method call through whatever carries it: a socket, or the same process. */
export type Call<P extends Protocol> = <K extends keyof P & string>(
  method: K,
  params: Params<P, K>,
) => Promise<Result<P, K>>;

/** Decides one request: its method's handler, given the parameters its schema parsed. */
export async function dispatch<P extends Protocol, Peer>(
  protocol: P,
  handlers: Handlers<P, Peer>,
  method: string,
  params: unknown,
  peer: Peer,
): Promise<unknown> {
  if (!Object.hasOwn(protocol, method)) throw new Error(`unknown method ${method}`);
  const m = protocol[method] as Method;
  /* the schema parsed them: what the handler's type says (TypeScript cannot follow it through the index) */
  return handlers[method as keyof P](m.params.parse(params) as never, peer);
}

/** A method's answer, parsed by its result schema. */
export function parseResult<P extends Protocol, K extends keyof P>(
  protocol: P,
  method: K,
  answer: unknown,
): Result<P, K> {
  return (protocol[method] as Method).result.parse(answer) as Result<P, K>;
}

/** The same calls without a socket, for a caller in the process that serves them. */
export function localCall<P extends Protocol>(protocol: P, handlers: Handlers<P, unknown>): Call<P> {
  return async (method, params) =>
    parseResult(protocol, method, await dispatch(protocol, handlers, method, params, undefined));
}
