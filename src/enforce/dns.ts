/**
 * The session's DNS resolver. The kernel sends every port-53 packet of the
 * session here (netpolicy.h). A name the policy allows is forwarded upstream,
 * and the addresses in its answer are added to the session's kernel allow map
 * before the answer is returned, so the connection that follows is allowed; a
 * name it does not allow is refused, so a domain rule cannot be dodged and
 * names cannot carry data out.
 */
import dnsPacket from 'dns-packet';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { CompiledPolicy, NetRule } from '../policy/compile.js';
import { domainMatches } from '../policy/evaluate.js';
import type { SessionNetPolicy } from './network.js';

export interface DnsQueryRecord {
  name: string;
  qtype: string;
  verdict: 'allowed' | 'denied';
  rule: string;
  /** what the rule says, for people */
  reason: string;
  answers: string[];
  rcode: string;
  /** the client's source port, to find the process that asked */
  clientPort: number;
  transport: 'udp' | 'tcp';
}

export interface Upstream {
  host: string;
  port: number;
}

const UPSTREAM_TIMEOUT_MS = 3000;

/** Which rule decides a name: a deny rule, else an allow rule, else the default. */
export function decideName(
  policy: CompiledPolicy,
  name: string,
): {
  verdict: 'allowed' | 'denied';
  rule: string;
  reason: string;
  allow: Array<{ rule: NetRule; index: number }>;
} {
  const deny = policy.network.deny.find((r) => domainMatches(r, name));
  if (deny) return { verdict: 'denied', rule: deny.id, reason: deny.reason ?? `${name} is never reachable`, allow: [] };
  const may = `${name} may be resolved`;
  if (policy.network.allow === null) return { verdict: 'allowed', rule: 'default', reason: may, allow: [] };
  const allow = policy.network.allow
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => domainMatches(rule, name));
  return allow.length
    ? { verdict: 'allowed', rule: allow[0]?.rule.id ?? '', reason: may, allow }
    : { verdict: 'denied', rule: 'network.allow', reason: `${name} is not an allowed name`, allow: [] };
}

export class SessionResolver {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly names = new Map<string, Set<string>>();
  /** queries sent upstream and not yet answered: recorded as unanswered if the session ends first */
  private readonly inFlight = new Set<Omit<DnsQueryRecord, 'answers' | 'rcode'>>();
  port = 0;

  constructor(
    private policy: CompiledPolicy,
    private net: SessionNetPolicy,
    private readonly upstream: Upstream,
    private readonly onQuery: (q: DnsQueryRecord) => void,
  ) {}

  /** A reloaded policy: names are decided by it, answers go into its maps. */
  swap(policy: CompiledPolicy, net: SessionNetPolicy): void {
    this.policy = policy;
    this.net = net;
  }

  /** The names an address was an answer for, newest first. */
  namesOf(addr: string): string[] {
    return [...(this.names.get(addr) ?? [])].reverse();
  }

  async start(): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const udp = createSocket('udp4');
      udp.bind(0, '127.0.0.1');
      await once(udp, 'listening');
      const port = udp.address().port;
      const tcp = createServer((s) => this.serveTcp(s));
      const ok = await new Promise<boolean>((resolve) => {
        tcp.once('error', () => resolve(false));
        tcp.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (!ok) {
        udp.close();
        continue;
      }
      udp.on('message', (msg, rinfo) => {
        void this.answer(msg, rinfo.port, 'udp').then((reply) => {
          /* an answer that comes after stop() has nobody left to go to */
          if (reply && this.udp === udp) udp.send(reply, rinfo.port, rinfo.address);
        });
      });
      [this.udp, this.tcp, this.port] = [udp, tcp, port];
      return port;
    }
    throw new Error('no free port for the DNS resolver on 127.0.0.1');
  }

  /** Idempotent: the session's end and its cleanup may both ask. */
  stop(): void {
    for (const record of this.inFlight) this.onQuery({ ...record, answers: [], rcode: 'UNANSWERED (session ended)' });
    this.inFlight.clear();
    const [udp, tcp] = [this.udp, this.tcp];
    [this.udp, this.tcp] = [undefined, undefined];
    udp?.close();
    tcp?.close();
  }

  private serveTcp(s: Socket): void {
    let buf = Buffer.alloc(0);
    s.on('error', () => s.destroy());
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(Buffer.from(msg), s.remotePort ?? 0, 'tcp').then((reply) => {
          if (!reply) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          s.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** The reply to one query, or undefined to drop a packet that is not a query. */
  private async answer(msg: Buffer, clientPort: number, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const asked = readQuery(msg);
    if (!asked) return undefined;
    const { query, name, qtype } = asked;
    /* a second question (or a record riding along) would carry data past the decision */
    const extra = (query.questions?.length ?? 0) > 1;
    const d = extra
      ? {
          verdict: 'denied' as const,
          rule: ONE_QUESTION_RULE,
          reason: `a query with ${query.questions?.length} questions: Warden's resolver answers one at a time`,
          allow: [],
        }
      : decideName(this.policy, name);
    const record = { name, qtype, verdict: d.verdict, rule: d.rule, reason: d.reason, clientPort, transport };
    if (d.verdict === 'denied') {
      this.onQuery({ ...record, answers: [], rcode: 'NXDOMAIN' });
      return refuse(query, `denied by ${d.rule}`);
    }
    let reply: Buffer;
    this.inFlight.add(record);
    try {
      reply = await this.forward(upstreamQuery(query), transport);
    } catch (e) {
      if (this.inFlight.delete(record))
        this.onQuery({ ...record, answers: [], rcode: `SERVFAIL (${(e as Error).message})` });
      return servfail(query);
    }
    if (!this.inFlight.delete(record)) return undefined; /* the session ended while it was out: already recorded */
    const answers = addresses(reply);
    for (const a of answers) {
      const seen = this.names.get(a) ?? new Set<string>();
      seen.add(name);
      this.names.set(a, seen);
      /* allowed before the client sees the answer: its connect must not race the map */
      for (const { rule, index } of d.allow) {
        await this.net.allowResolved(a, rule.target.port ?? 0, index);
      }
    }
    this.onQuery({ ...record, answers, rcode: rcodeOf(reply) });
    return reply;
  }

  private forward(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer> {
    if (transport === 'tcp') return forwardTcp(msg, this.upstream);
    return new Promise((resolve, reject) => {
      const sock = createSocket(this.upstream.host.includes(':') ? 'udp6' : 'udp4');
      const timer = setTimeout(() => {
        sock.close();
        reject(new Error('upstream timed out'));
      }, UPSTREAM_TIMEOUT_MS);
      sock.on('error', (e) => {
        clearTimeout(timer);
        sock.close();
        reject(e);
      });
      sock.on('message', (reply) => {
        clearTimeout(timer);
        sock.close();
        resolve(reply);
      });
      sock.send(msg, this.upstream.port, this.upstream.host);
    });
  }
}

function forwardTcp(msg: Buffer, upstream: Upstream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(upstream.port, upstream.host);
    let buf = Buffer.alloc(0);
    s.setTimeout(UPSTREAM_TIMEOUT_MS, () => s.destroy(new Error('upstream timed out')));
    s.on('error', reject);
    s.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      s.write(Buffer.concat([len, msg]));
    });
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.end();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
  });
}

/** The rule named when a query asks more than one question. */
export const ONE_QUESTION_RULE = 'warden.dns-one-question';

/**
 * What goes upstream for a query: its one decided question and nothing else
 * (no additional or authority records, no EDNS options), so nothing but the
 * allowed name leaves the machine.
 */
export function upstreamQuery(query: dnsPacket.Packet): Buffer {
  const CHECKING_DISABLED = 1 << 4;
  return dnsPacket.encode({
    id: query.id,
    type: 'query',
    flags: (query.flags ?? 0) & (dnsPacket.RECURSION_DESIRED | CHECKING_DISABLED),
    questions: (query.questions ?? []).slice(0, 1),
  });
}

/**
 * A packet from the session, read as a query: its first question's name (lower-cased) and type.
 * Undefined for anything that is not a well-formed query with a question: such a packet is dropped.
 */
export function readQuery(msg: Buffer): { query: dnsPacket.Packet; name: string; qtype: string } | undefined {
  let query: dnsPacket.Packet;
  try {
    query = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  const q = query.questions?.[0];
  if (!q || query.type !== 'query' || typeof q.name !== 'string') return undefined;
  /* the answer echoes the questions: one that cannot be encoded back is no query to answer */
  try {
    refuse(query);
  } catch {
    return undefined;
  }
  return { query, name: q.name.toLowerCase(), qtype: String(q.type) };
}

/* dns-packet takes the response code from the low four bits of flags */
const RCODE = { SERVFAIL: 2, NXDOMAIN: 3 } as const;
/** RFC 8914: the EDNS option for an Extended DNS Error, and its info code "Blocked" (by the resolver's policy) */
const OPT_EDE = 15;
const EDE_BLOCKED = 15;

/* dns-packet encodes an option it has no codec for from its data; its types list only the ones it has */
const edeOption = (data: Buffer): dnsPacket.PacketOpt => ({ code: OPT_EDE, data }) as unknown as dnsPacket.PacketOpt;

/** An EDNS OPT pseudo-record (RFC 6891) carrying `options`. */
export const ednsRecord = (options: dnsPacket.PacketOpt[]): dnsPacket.Answer => ({
  type: 'OPT',
  name: '.',
  udpPayloadSize: 1232,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options,
});

function respond(query: dnsPacket.Packet, rcode: keyof typeof RCODE, blocked?: string): Buffer {
  /* a client that speaks EDNS is told why (RFC 8914); one that does not gets the bare answer */
  const edns = query.additionals?.some((a) => a.type === 'OPT');
  const why = blocked === undefined ? undefined : Buffer.from(`warden: ${blocked}`.slice(0, 200));
  const ede = why && Buffer.concat([Buffer.from([0, EDE_BLOCKED]), why]);
  return dnsPacket.encode({
    id: query.id,
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | RCODE[rcode],
    questions: query.questions,
    answers: [],
    additionals: edns && ede ? [ednsRecord([edeOption(ede)])] : [],
  });
}
/**
 * A name the policy refuses is answered NXDOMAIN: every resolver library takes
 * that as final (glibc's getaddrinfo says EAI_NONAME, musl stops at once, c-ares
 * ENOTFOUND), where REFUSED makes them try again or wait out their timeout
 * (musl ignores a REFUSED answer and waits; glibc says EAI_AGAIN, which callers retry).
 */
export const refuse = (q: dnsPacket.Packet, why = 'refused by policy'): Buffer => respond(q, 'NXDOMAIN', why);
export const servfail = (q: dnsPacket.Packet): Buffer => respond(q, 'SERVFAIL');

function decodeReply(reply: Buffer): dnsPacket.Packet | undefined {
  try {
    return dnsPacket.decode(reply);
  } catch {
    return undefined;
  }
}

/** A and AAAA addresses in an answer. */
export function addresses(reply: Buffer): string[] {
  const p = decodeReply(reply);
  return (p?.answers ?? [])
    .filter((a): a is dnsPacket.StringAnswer => a.type === 'A' || a.type === 'AAAA')
    .map((a) => a.data);
}

export function rcodeOf(reply: Buffer): string {
  return (decodeReply(reply) as { rcode?: string } | undefined)?.rcode ?? 'NOERROR';
}
