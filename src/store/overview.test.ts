import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WardenEvent } from '../model/events.js';
import type { Alert } from '../model/records.js';
import Database from 'better-sqlite3';
import { activityKind, StoreOverview } from './overview.js';
import { Store } from './store.js';

const S = 1_000_000;
const T0 = 1_700_000_000 * S;

/** A store seeded with a day of sessions, and the overview over it through a connection of its own (as the worker's). */
function withStore(fn: (s: { overview: StoreOverview }) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'warden-overview-'));
  const s = Store.open(dir);
  seed(s);
  const db = new Database(s.path, { fileMustExist: true });
  db.pragma('query_only = ON');
  try {
    fn({ overview: new StoreOverview(db) });
  } finally {
    db.close();
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const common = (sessionId: string, timeUs: number, comm: string) => ({
  sessionId,
  time: new Date(timeUs / 1000).toISOString(),
  timeUs,
  pid: 10,
  tid: 10,
  ppid: 1,
  uid: 0,
  gid: 0,
  comm,
  exe: `/usr/bin/${comm}`,
  execId: `${sessionId}-10`,
  parentExecId: null,
});

const exec = (sessionId: string, timeUs: number, comm: string): WardenEvent => ({
  ...common(sessionId, timeUs, comm),
  type: 'exec',
  argv: [comm, '--version'],
  argc: 2,
  argvTruncated: false,
  cwd: '/w',
});

const open = (sessionId: string, timeUs: number, path: string, denied = false): WardenEvent => ({
  ...common(sessionId, timeUs, 'cat'),
  type: 'open',
  path,
  flags: 0,
  flagNames: ['O_RDONLY'],
  mode: 0,
  result: denied ? -13 : 3,
  syscall: 'openat',
  ...(denied
    ? {
        decision: {
          verdict: 'denied' as const,
          rule: 'files.denyRead[0]',
          mechanism: 'landlock',
          reason: 'r',
          policy: 'p',
        },
      }
    : {}),
});

const dns = (sessionId: string, timeUs: number, name: string, answer: string): WardenEvent => ({
  ...common(sessionId, timeUs, 'curl'),
  type: 'dns',
  name,
  qtype: 'A',
  answers: [answer],
  rcode: 'NOERROR',
  transport: 'udp',
});

const connect = (sessionId: string, timeUs: number, daddr: string, denied = false): WardenEvent => ({
  ...common(sessionId, timeUs, 'curl'),
  type: 'connect',
  family: 'ipv4',
  protocol: 'tcp',
  daddr,
  dport: 443,
  result: denied ? -1 : 0,
  syscall: 'connect',
  ...(denied
    ? {
        decision: {
          verdict: 'denied' as const,
          rule: 'network.allow',
          mechanism: 'cgroup-sock-addr',
          reason: 'r',
          policy: 'p',
        },
      }
    : {}),
});

const alert = (sessionId: string, timeUs: number, detector: string, severity: Alert['severity']): Alert => ({
  sessionId,
  timeUs,
  detector,
  severity,
  message: `${detector} in ${sessionId}`,
  toolCallId: null,
  eventIds: [],
  data: {},
});

/** A day of two agents: claude with two sessions, codex with one. */
function seed(s: Store): void {
  const session = (id: string, agent: string, startedUs: number, status: 'running' | 'ended' = 'ended') => {
    s.createSession({
      id,
      name: `${agent} task ${id}`,
      command: [agent],
      cwd: '/w',
      cgroup: `/sys/fs/cgroup/warden/${id}`,
      cgroupId: '1',
      status: 'running',
      startedUs,
      rootPid: 1,
      agent,
    });
    if (status === 'ended') s.updateSession(id, { status, endedUs: startedUs + 60 * S });
  };
  session('c1', 'claude', T0);
  session('c2', 'claude', T0 + 3600 * S, 'running');
  session('x1', 'codex', T0 + 1800 * S);
  s.addEvent(exec('c1', T0 + S, 'git'));
  s.addEvent(exec('c1', T0 + 2 * S, 'rg'));
  s.addEvent(open('c1', T0 + 3 * S, '/w/secrets/key.txt', true));
  s.addEvent(dns('c1', T0 + 4 * S, 'api.example.com', '203.0.113.5'));
  s.addEvent(connect('c1', T0 + 5 * S, '203.0.113.5'));
  s.addEvent(exec('c2', T0 + 3601 * S, 'git'));
  s.addEvent(connect('c2', T0 + 3602 * S, '203.0.113.9', true));
  s.addEvent(exec('x1', T0 + 1801 * S, 'cargo'));
  s.addEvent(open('x1', T0 + 1802 * S, '/w/src/main.rs'));
  s.app.addAlert(alert('c1', T0 + 3 * S, 'backdoor-write', 'high'));
  s.app.addAlert(alert('c2', T0 + 3602 * S, 'exfiltration', 'critical'));
  s.app.addAlert(alert('x1', T0 + 1802 * S, 'baseline-deviation', 'low'));
  s.flush();
}

test('alerts across sessions: newest first, filtered by severity, detector, agent and time, with facets', () => {
  withStore((s) => {
    const all = s.overview.alerts({});
    assert.deepEqual(
      all.alerts.map((a) => a.detector),
      ['exfiltration', 'baseline-deviation', 'backdoor-write'],
    );
    assert.equal(all.total, 3);
    assert.equal(all.alerts[0]?.agent, 'claude');
    assert.equal(all.alerts[0]?.sessionName, 'claude task c2');
    assert.deepEqual(all.facets.agent, { claude: 2, codex: 1 });
    const serious = s.overview.alerts({ severity: ['high', 'critical'] });
    assert.deepEqual(
      serious.alerts.map((a) => a.sessionId),
      ['c2', 'c1'],
    );
    assert.equal(serious.facets.severity.low, 1, 'facets show what the other filters hide');
    assert.deepEqual(
      s.overview.alerts({ agent: ['codex'] }).alerts.map((a) => a.detector),
      ['baseline-deviation'],
    );
    assert.deepEqual(
      s.overview.alerts({ detector: ['backdoor-write'] }).alerts.map((a) => a.sessionId),
      ['c1'],
    );
    const early = s.overview.alerts({ sinceUs: T0, untilUs: T0 + 3000 * S });
    assert.equal(early.total, 2);
    assert.deepEqual(early.facets.agent, { claude: 1, codex: 1 }, 'facets count the window');
    const one = s.overview.alerts({ limit: 1 });
    assert.equal(one.alerts.length, 1);
    assert.equal(one.total, 3);
  });
});

test('search finds events by path, program, address or DNS name, case-insensitively, newest first', () => {
  withStore((s) => {
    assert.deepEqual(
      s.overview.search({ text: 'SECRETS' }).map((e) => e.sessionId),
      ['c1'],
    );
    assert.deepEqual(
      s.overview.search({ text: 'git' }).map((e) => e.sessionId),
      ['c2', 'c1'],
    );
    assert.deepEqual(
      s.overview.search({ text: 'git', agent: 'claude', session: 'c1' }).map((e) => e.type),
      ['exec'],
    );
    assert.equal(s.overview.search({ text: '203.0.113.9' })[0]?.type, 'connect');
    assert.equal(s.overview.search({ text: 'example.com', types: ['dns'] }).length, 1);
    assert.equal(s.overview.search({ text: 'example.com', types: ['exec'] }).length, 0);
    assert.equal(s.overview.search({ text: 'cargo' })[0]?.agent, 'codex');
    assert.equal(s.overview.search({ text: 'execve' }).length, 0, 'the syscall name is not what an event names');
    assert.equal(s.overview.search({ text: 'o', limit: 2 }).length, 2);
  });
});

test("an agent's page: its sessions, alerts, programs, and destinations by the name that resolved to them", () => {
  withStore((s) => {
    const agents = s.overview.agents();
    assert.deepEqual(
      agents.map((a) => [a.agent, a.sessions, a.running]),
      [
        ['claude', 2, 1],
        ['codex', 1, 0],
      ],
    );
    assert.deepEqual(agents[0]?.alerts, { high: 1, critical: 1 });
    const claude = s.overview.agent('claude');
    assert.ok(claude);
    assert.deepEqual(
      claude.sessions.map((x) => [x.id, x.alerts]),
      [
        ['c2', 1],
        ['c1', 1],
      ],
    );
    assert.deepEqual(claude.detectors, { 'backdoor-write': 1, exfiltration: 1 });
    assert.deepEqual(claude.programs[0], { exe: '/usr/bin/git', runs: 2, sessions: 2 });
    assert.deepEqual(
      claude.destinations.map((d) => [d.destination, d.connects, d.denied]),
      [
        ['api.example.com:443', 1, 0],
        ['203.0.113.9:443', 1, 1],
      ],
    );
    assert.equal(s.overview.agent('nobody'), undefined);
  });
});

test('activity per bucket for the host and for one session: actions by kind, refusals, alerts', () => {
  withStore((s) => {
    const host = s.overview.activity({ sinceUs: T0, untilUs: T0 + 7200 * S, buckets: 4 });
    assert.equal(host.bucketUs, 1800 * S);
    assert.equal(host.buckets.length, 4);
    assert.equal(host.sessions, 3);
    assert.deepEqual(
      host.buckets.map((b) => [b.exec, b.file, b.network, b.denied, b.alerts]),
      [
        [2, 1, 2, 1, 1],
        [1, 1, 0, 0, 1],
        [1, 0, 1, 1, 1],
        [0, 0, 0, 0, 0],
      ],
    );
    const one = s.overview.activity({ session: 'x1', sinceUs: T0, untilUs: T0 + 7200 * S, buckets: 4 });
    assert.deepEqual(
      one.buckets.map((b) => b.exec + b.file + b.alerts),
      [0, 3, 0, 0],
    );
    const codex = s.overview.activity({ agent: 'codex', sinceUs: T0, untilUs: T0 + 7200 * S, buckets: 4 });
    assert.equal(codex.sessions, 1);
    assert.deepEqual(
      codex.buckets.map((b) => b.exec + b.file + b.alerts),
      [0, 3, 0, 0],
      "one agent's sessions, their alerts with them",
    );
    const later = s.overview.activity({ sinceUs: T0 + 7200 * S, untilUs: T0 + 9000 * S, buckets: 10 });
    assert.equal(later.sessions, 1, 'the running session overlaps any later window');
    assert.equal(activityKind('fork'), null);
    assert.equal(activityKind('exec-failed'), 'exec');
    assert.equal(activityKind('kill'), 'other');
  });
});
