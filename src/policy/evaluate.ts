/**
 * Userspace policy decisions: what the policy says of one file access or one
 * connection. The kernel mechanisms enforce; this names the rule behind a
 * kernel denial, and decides alone in audit mode.
 */
import ipaddr from 'ipaddr.js';
import type { Access, CompiledPolicy, NetRule, PathRule } from './compile.js';

export interface Decision {
  verdict: 'allowed' | 'denied';
  /** the rule that decided, e.g. files.denyRead[0]; `default` when no rule named it */
  rule: string;
  /** what the rule says, for people */
  reason: string;
}

const allowed = (rule = 'default', reason = 'no rule limits it'): Decision => ({ verdict: 'allowed', rule, reason });
const denied = (rule: string, reason: string): Decision => ({ verdict: 'denied', rule, reason });
const first = (list: PathRule[], path: string): PathRule | undefined => list.find((r) => r.matches(path));

export function decideFile(p: CompiledPolicy, path: string, access: Access): Decision {
  if (access === 'read') {
    const r = first(p.files.denyRead, path);
    if (r) return denied(r.id, `${r.pattern} is never readable`);
    /* a denied program is not read either: read, it could be copied, or run through ld.so */
    const x = first(p.exec.deny, path);
    return x ? denied(x.id, `${x.pattern} may never run, so it is not read (copied, or loaded by ld.so)`) : allowed();
  }
  if (access === 'write') {
    const d = first(p.files.denyWrite, path);
    if (d) return denied(d.id, `${d.pattern} is never writable`);
    if (p.files.allowWrite === null) return allowed();
    const a = first(p.files.allowWrite, path);
    return a ? allowed(a.id, `${a.pattern} is writable`) : denied('files.allowWrite', 'not in any writable place');
  }
  const d = first(p.exec.deny, path);
  if (d) return denied(d.id, `${d.pattern} may never run`);
  if (p.exec.allow === null) return allowed();
  const a = first(p.exec.allow, path);
  return a ? allowed(a.id, `${a.pattern} may run`) : denied('exec.allow', 'not an allowed program');
}

function ipMatches(rule: NetRule, addr: string, port: number): boolean {
  const t = rule.target;
  if (t.kind !== 'cidr' || (t.port !== undefined && t.port !== port)) return false;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(addr); /* ::ffff:a.b.c.d becomes a.b.c.d */
  } catch {
    return false;
  }
  const net = ipaddr.parse(t.address);
  return ip.kind() === net.kind() && ip.match(net, t.prefix);
}

export function domainMatches(rule: NetRule, name: string, port?: number): boolean {
  const t = rule.target;
  if (t.kind !== 'domain' || (port !== undefined && t.port !== undefined && t.port !== port)) return false;
  const n = name.toLowerCase().replace(/\.$/, '');
  return t.wildcard ? n.endsWith(`.${t.pattern}`) : n === t.pattern;
}

/** A pathname Unix socket (`@` first: abstract) a session connects or sends to; its own are allowed by the kernel. */
export function decideUnix(p: CompiledPolicy, path: string): Decision {
  if (path === '' || path.startsWith('@')) return allowed();
  const i = p.network.unixAllow.findIndex((a) => path === a || path.startsWith(a === '/' ? '/' : `${a}/`));
  if (i >= 0) return allowed(`network.unix.allow[${i}]`, `${path} is reachable`);
  return denied('network.unix', `${path} is a Unix socket outside the session, not in network.unix.allow`);
}

/** A connection to addr:port; `names` are the domains that resolved to addr, if known. */
export function decideConnect(p: CompiledPolicy, addr: string, port: number, names: string[] = []): Decision {
  const hit = (r: NetRule): boolean => ipMatches(r, addr, port) || names.some((n) => domainMatches(r, n, port));
  const d = p.network.deny.find(hit);
  if (d) return denied(d.id, d.reason ?? `${d.target.text} is never reachable`);
  if (p.network.allow === null) return allowed();
  const a = p.network.allow.find(hit);
  return a ? allowed(a.id, `${a.target.text} is reachable`) : denied('network.allow', 'not an allowed destination');
}
