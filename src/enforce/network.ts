/**
 * Network enforcement in the kernel: the session's address rules become LPM
 * trie entries for the cgroup sock_addr programs (sensor/bpf/netpolicy.h).
 * The trie returns only the longest match, so each prefix's entry also carries
 * the rules of every prefix that contains it; deny wins over allow.
 */
import { rmdirSync, rmSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import type { CompiledPolicy, NetRule } from '../policy/compile.js';
import { parseNetTarget } from '../policy/schema.js';
import {
  MapId,
  NET_ENTRIES,
  NetCfg,
  NetEntry,
  NetKey,
  NetVal,
  UNIX_EXACT,
  UNIX_SUBTREE,
  UnixKey,
} from '../sensor/layout.js';
import type { Sensor } from '../sensor/sensor.js';
import { u32le, Writer } from '../sensor/encode.js';

/** Where each session's network program links are pinned: they outlive Warden's processes. */
export const PIN_ROOT = '/sys/fs/bpf/warden';
export const pinDir = (sessionId: string): string => `${PIN_ROOT}/${sessionId}`;

/** Lifts a session's pinned links; the last session out leaves no trace in bpffs. */
export function removePins(sessionId: string): void {
  rmSync(pinDir(sessionId), { recursive: true, force: true });
  try {
    rmdirSync(PIN_ROOT);
  } catch {
    /* other sessions' pins are still there, or it never existed */
  }
}

/* the setting that points each agent CLI at Warden's proxy */
const BASE_URL_SETTING: Record<string, string> = {
  anthropic: 'ANTHROPIC_BASE_URL',
  openai: 'OPENAI_BASE_URL',
  gemini: 'GOOGLE_GEMINI_BASE_URL',
};

/**
 * Deny rules for the model providers' API hosts (the proxy's upstreams): the
 * agent reaches them only through Warden's proxy, which is outside the session
 * and scans every request for secrets.
 */
export function providerRules(upstreams: Record<string, string>): NetRule[] {
  return Object.entries(upstreams).flatMap(([provider, url]) => {
    let host: string;
    try {
      const u = new URL(url);
      host = u.port ? `${u.hostname}:${u.port}` : u.hostname;
    } catch {
      return [];
    }
    const target = parseNetTarget(host);
    if (typeof target === 'string') return [];
    const setting = BASE_URL_SETTING[provider] ?? 'the base-URL setting';
    return [
      {
        id: `warden.provider-direct.${provider}`,
        target,
        reason:
          `${host} is a model provider: the agent reaches it only through Warden's proxy, which ${setting} ` +
          `points to (leave ${setting} as warden run sets it)`,
      },
    ];
  });
}

export interface NetEntrySpec {
  family: 4 | 6;
  /** address bytes, 4 or 16 */
  addr: Uint8Array;
  prefix: number;
  entries: Array<{ rule: number; port: number; deny: boolean }>;
}

interface Cidr {
  family: 4 | 6;
  bytes: number[];
  prefix: number;
  port: number;
  deny: boolean;
  rule: number;
}

function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const a = ipaddr.fromByteArray(outer.bytes);
  return ipaddr.fromByteArray(inner.bytes).match(a, outer.prefix);
}

function policyCidrs(policy: CompiledPolicy): Cidr[] {
  const cidrs: Cidr[] = [];
  const add = (rules: NetRule[] | null, deny: boolean, offset: number): void =>
    rules?.forEach((r, i) => {
      if (r.target.kind !== 'cidr') return;
      const ip = ipaddr.parse(r.target.address);
      cidrs.push({
        family: r.target.family,
        bytes: ip.toByteArray(),
        prefix: r.target.prefix,
        port: r.target.port ?? 0,
        deny,
        rule: offset + i,
      });
    });
  add(policy.network.deny, true, DENY_BASE);
  add(policy.network.allow, false, ALLOW_BASE);
  return cidrs;
}

/* rule numbers in the kernel entries: deny rules from 0, allow rules from 1000 */
const DENY_BASE = 0;
const ALLOW_BASE = 1000;

/** Every rule that covers `c`, its own included. */
function flatten(all: Cidr[], c: Cidr): NetEntrySpec {
  const entries = all.filter((o) => contains(o, c)).map((o) => ({ rule: o.rule, port: o.port, deny: o.deny }));
  if (entries.length > NET_ENTRIES) {
    throw new Error(
      `more than ${NET_ENTRIES} network rules cover ${ipaddr.fromByteArray(c.bytes).toString()}/${c.prefix}`,
    );
  }
  return { family: c.family, addr: Uint8Array.from(c.bytes), prefix: c.prefix, entries };
}

/** The address rules of a policy, flattened for the trie (domains are added as they resolve). */
export function compileNetEntries(policy: CompiledPolicy): NetEntrySpec[] {
  const cidrs = policyCidrs(policy);
  const seen = new Set<string>();
  return cidrs
    .filter((c) => {
      const key = `${c.family}/${c.bytes.join('.')}/${c.prefix}`;
      return seen.has(key) ? false : (seen.add(key), true);
    })
    .map((c) => flatten(cidrs, c));
}

export function encodeNetKey(session: number, family: 4 | 6, addr: Uint8Array, prefix: number): Uint8Array {
  const padded = new Uint8Array(16);
  padded.set(addr.subarray(0, family === 4 ? 4 : 16));
  return new Writer(NetKey)
    .set('prefixlen', 64 + prefix)
    .set('session', session)
    .set('family', family)
    .put('addr', padded).bytes;
}

/** The allow-map keys of one Unix socket rule: the path itself, and everything beneath it. */
export function encodeUnixRule(session: number, path: string): Array<{ key: Uint8Array; kind: number }> {
  const key = (p: string): Uint8Array => {
    const bytes = new TextEncoder().encode(p);
    if (bytes.length >= 108) throw new Error(`Unix socket path longer than 107 bytes: ${path}`);
    const padded = new Uint8Array(108);
    padded.set(bytes);
    return new Writer(UnixKey).set('id', BigInt(session)).put('path', padded).bytes;
  };
  const dir = path === '/' ? '/' : `${path}/`;
  return [
    ...(path === '/' ? [] : [{ key: key(path), kind: UNIX_EXACT }]),
    ...(dir.length < 108 ? [{ key: key(dir), kind: UNIX_SUBTREE }] : []),
  ];
}

export function encodeNetVal(entries: NetEntrySpec['entries']): Uint8Array {
  const val = new Writer(NetVal).set('n', entries.length);
  const packed = new Uint8Array(NET_ENTRIES * NetEntry.size);
  entries.forEach((e, i) => {
    const w = new Writer(NetEntry)
      .set('rule', e.rule)
      .set('port', e.port)
      .set('deny', e.deny ? 1 : 0);
    packed.set(w.bytes, i * NetEntry.size);
  });
  return val.put('e', packed).bytes;
}

/** One session's network rules in the kernel maps. */
export class SessionNetPolicy {
  private readonly cidrs: Cidr[];
  private readonly keys = new Map<string, Uint8Array>();

  private readonly unixKeys: Uint8Array[] = [];

  constructor(
    private readonly sensor: Sensor,
    readonly session: number,
    readonly policy: CompiledPolicy,
  ) {
    this.cidrs = policyCidrs(policy);
  }

  private put(e: NetEntrySpec): Promise<void> {
    const key = encodeNetKey(this.session, e.family, e.addr, e.prefix);
    this.keys.set(key.join(), key);
    return this.sensor.mapUpdate(MapId.NET_RULES, key, encodeNetVal(e.entries));
  }

  /**
   * Removes every entry this session put in the maps. Commands are sent at
   * once and carried out in order: one round trip, however busy the sensor's
   * output is with a storm of events.
   */
  async uninstall(): Promise<void> {
    const none = new Uint8Array(0);
    const sent = [this.sensor.mapUpdate(MapId.NET_CFG, u32le(this.session), new Uint8Array(NetCfg.size), true)];
    for (const key of this.keys.values()) sent.push(this.sensor.mapUpdate(MapId.NET_RULES, key, none, true));
    for (const key of this.unixKeys) sent.push(this.sensor.mapUpdate(MapId.UNIX_ALLOW, key, none, true));
    this.keys.clear();
    this.unixKeys.length = 0;
    await Promise.all(sent);
  }

  /** Writes the address rules, then the session's switch (enforce, default, DNS port); in order, in one round trip. */
  async install(dnsPort = 0): Promise<void> {
    const sent = compileNetEntries(this.policy).map((e) => this.put(e));
    for (const path of this.policy.network.unixAllow) {
      for (const { key, kind } of encodeUnixRule(this.session, path)) {
        sent.push(this.sensor.mapUpdate(MapId.UNIX_ALLOW, key, Uint8Array.of(kind)));
        this.unixKeys.push(key);
      }
    }
    const cfg = new Writer(NetCfg)
      .set('enforce', this.policy.mode === 'enforce' ? 1 : 0)
      .set('default_allow', this.policy.network.allow === null ? 1 : 0)
      .set('dns_port', dnsPort)
      .set('on_violation', { deny: 0, kill: 1, quarantine: 2 }[this.policy.onViolation])
      .set('unix_limit', 1)
      .set('local_only', this.policy.network.listen === 'local' ? 1 : 0);
    sent.push(this.sensor.mapUpdate(MapId.NET_CFG, u32le(this.session), cfg.bytes));
    await Promise.all(sent);
  }

  /**
   * Allows an address a domain rule resolved to (allow rule index `rule`, on
   * `port` or any). Deny rules covering the address still win.
   */
  async allowResolved(address: string, port: number, rule: number): Promise<void> {
    const ip = ipaddr.process(address);
    const c: Cidr = {
      family: ip.kind() === 'ipv4' ? 4 : 6,
      bytes: ip.toByteArray(),
      prefix: ip.kind() === 'ipv4' ? 32 : 128,
      port,
      deny: false,
      rule: ALLOW_BASE + rule,
    };
    const known = this.cidrs.find(
      (o) =>
        o.family === c.family &&
        o.prefix === c.prefix &&
        o.bytes.join() === c.bytes.join() &&
        o.port === port &&
        !o.deny,
    );
    if (!known) this.cidrs.push(c);
    await this.put(flatten(this.cidrs, c));
  }
}
