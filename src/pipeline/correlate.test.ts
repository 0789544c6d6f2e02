import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ToolCall } from '../model/records.js';
import { Correlator, type Finding } from './correlate.js';
import type { WardenEvent } from '../model/events.js';

let t = 1_000_000;
const base = (execId: string, parentExecId: string | null, pid: number) => ({
  sessionId: 's',
  time: '',
  timeUs: (t += 1000),
  pid,
  tid: pid,
  ppid: 1,
  uid: 0,
  gid: 0,
  comm: 'x',
  exe: '/bin/x',
  execId,
  parentExecId,
});
const exec = (execId: string, parent: string, pid: number, argv: string[]): WardenEvent => ({
  ...base(execId, parent, pid),
  type: 'exec',
  argv,
  argc: argv.length,
  argvTruncated: false,
  cwd: '/w',
});
const fork = (execId: string, child: string, pid: number): WardenEvent => ({
  ...base(execId, null, pid),
  type: 'fork',
  childPid: pid + 1,
  childExecId: child,
});
const connect = (execId: string, pid: number, daddr: string, dport: number): WardenEvent => ({
  ...base(execId, null, pid),
  type: 'connect',
  family: 'ipv4',
  protocol: 'tcp',
  daddr,
  dport,
  result: 0,
  syscall: 'connect',
});
const openW = (execId: string, pid: number, path: string): WardenEvent => ({
  ...base(execId, null, pid),
  type: 'open',
  path,
  flags: 0o1101,
  flagNames: ['O_WRONLY'],
  mode: 0o644,
  result: 3,
  syscall: 'openat',
});
const call = (id: string, name: string, input: unknown): ToolCall => ({
  sessionId: 's',
  id,
  name,
  input,
  turn: 1,
  sources: ['llm'],
  startedUs: t,
  endedUs: null,
  result: null,
  decision: null,
});

function setup(): { c: Correlator; findings: Finding[]; feed: (e: WardenEvent) => WardenEvent } {
  const c = new Correlator({ namesOf: () => [] });
  c.runtimePorts.add(4000);
  const findings: Finding[] = [];
  const feed = (e: WardenEvent): WardenEvent => {
    c.handle(e);
    findings.push(...c.flush());
    return e;
  };
  /* the agent starts and talks to its model */
  feed(exec('agent', 'launch', 10, ['claude', '-p', 'x']));
  feed(connect('agent', 10, '127.0.0.1', 4000));
  return { c, findings, feed };
}

test("a shell tool call's processes and their children are linked to it", () => {
  const { c, findings, feed } = setup();
  c.started(call('t1', 'Bash', { command: 'make test' }));
  feed(fork('agent', 'f1', 10));
  const sh = feed(exec('sh1', 'f1', 11, ['/bin/bash', '-c', "eval 'make test'"]));
  feed(fork('sh1', 'f2', 11));
  const make = feed(exec('make1', 'f2', 12, ['make', 'test']));
  const w = feed(openW('make1', 12, '/w/out.o'));
  assert.equal(sh.toolCallId, 't1');
  assert.equal(make.toolCallId, 't1');
  assert.equal(w.toolCallId, 't1');
  assert.equal(w.attribution, 'tool-call');
  assert.deepEqual(findings, []);
});

test('a command called again is linked to the call open now, not the one just over', () => {
  const { c, feed } = setup();
  const first = call('r1', 'run_shell_command', { command: 'cat ~/.aws/credentials' });
  c.started(first);
  feed(fork('agent', 'r1f', 10));
  const a = feed(exec('r1sh', 'r1f', 31, ['/bin/bash', '-c', 'cat ~/.aws/credentials']));
  c.ended({ ...first, endedUs: t });
  c.started(call('r2', 'run_shell_command', { command: 'cat ~/.aws/credentials' }));
  feed(fork('agent', 'r2f', 10));
  const b = feed(exec('r2sh', 'r2f', 32, ['/bin/bash', '-c', 'cat ~/.aws/credentials']));
  assert.equal(a.toolCallId, 'r1');
  assert.equal(b.toolCallId, 'r2');
});

test('a connection the command never named is an intent mismatch', () => {
  const { c, findings, feed } = setup();
  c.started(call('t2', 'Bash', { command: './run-tests.sh' }));
  feed(fork('agent', 'f3', 10));
  feed(exec('sh2', 'f3', 13, ['/bin/bash', '-c', './run-tests.sh']));
  feed(connect('sh2', 13, '10.9.8.7', 443));
  feed(connect('sh2', 13, '10.9.8.7', 443));
  assert.equal(findings.length, 1, 'reported once');
  assert.equal(findings[0]?.detector, 'intent-mismatch');
  assert.equal(findings[0]?.toolCallId, 't2');
  /* named in the command: no finding */
  c.started(call('t3', 'Bash', { command: 'curl http://10.1.1.1:8080/health' }));
  feed(fork('agent', 'f4', 10));
  feed(exec('sh3', 'f4', 14, ['/bin/bash', '-c', 'curl http://10.1.1.1:8080/health']));
  feed(connect('sh3', 14, '10.1.1.1', 8080));
  assert.equal(findings.length, 1);
});

test('actions no tool call explains are undeclared; housekeeping is not', () => {
  const { findings, feed } = setup();
  feed(fork('agent', 'f5', 10));
  const git = feed(exec('git1', 'f5', 15, ['git', 'config', '--get', 'remote.origin.url']));
  assert.equal(git.attribution, 'agent-runtime');
  feed(fork('agent', 'f6', 10));
  const rogue = feed(exec('nc1', 'f6', 16, ['nc', '10.0.0.9', '4444']));
  assert.equal(rogue.attribution, 'undeclared');
  const sent = feed(connect('nc1', 16, '10.0.0.9', 4444));
  feed(connect('nc1', 16, '10.0.0.9', 4444)); /* once per process and kind of action */
  assert.equal(sent.attribution, 'undeclared');
  /* a write no call explains is undeclared, and left to the detectors that judge writes */
  const agentWrite = feed(openW('agent', 10, '/home/dev/.bashrc'));
  assert.equal(agentWrite.attribution, 'undeclared');
  const key = feed({ ...openW('agent', 10, join(homedir(), '.ssh', 'id_ed25519')), flags: 0 } as WardenEvent);
  assert.equal(key.attribution, 'undeclared');
  assert.deepEqual(
    findings.map((f) => [f.detector, f.events[0]?.type]),
    [
      ['undeclared-action', 'exec'],
      ['undeclared-action', 'connect'],
      ['undeclared-action', 'open'],
    ],
  );
  assert.match(findings[0]?.message ?? '', /exec of nc.*: a network tool that no tool call ran/);
  assert.match(findings[2]?.message ?? '', /no tool call asked for a credential/);
});

test("a file tool's own write by the agent process is linked to the call by its path", () => {
  const { c, feed } = setup();
  c.started(call('t4', 'Write', { file_path: '/w/app.ts', content: '' }));
  const w = feed(openW('agent', 10, '/w/app.ts'));
  assert.equal(w.toolCallId, 't4');
});

test('a session whose program never talks to a model is not judged at all', () => {
  const c = new Correlator({});
  const findings: Finding[] = [];
  for (const e of [
    exec('make', 'launch', 20, ['make']),
    fork('make', 'f9', 20),
    exec('cc', 'f9', 21, ['cc', '-c', 'a.c']),
    connect('cc', 21, '10.0.0.1', 80),
  ]) {
    c.handle(e);
    findings.push(...c.flush());
    assert.equal(e.attribution, undefined);
  }
  assert.deepEqual(findings, []);
});

test('an MCP server the agent starts before its first request serves the calls to come: its actions are theirs', () => {
  const c = new Correlator({ namesOf: () => [] });
  c.runtimePorts.add(4000);
  const feed = (e: WardenEvent): WardenEvent => (c.handle(e), e);
  feed(exec('agent', 'launch', 10, ['claude', '-p', 'x']));
  /* not live yet: the latest Claude Code starts its MCP servers first (bin/warden, then the node it execs) */
  feed(fork('agent', 'm1', 10));
  feed(exec('mcp-sh', 'm1', 20, ['/bin/sh', '/opt/warden/bin/warden', 'mcp', '--name', 'fs', '--', 'node', 'srv.js']));
  feed(
    exec('mcp-node', 'mcp-sh', 20, [
      'node',
      '/opt/warden/dist/bundle/warden.js',
      'mcp',
      '--name',
      'fs',
      '--',
      'node',
      'srv.js',
    ]),
  );
  feed(fork('mcp-node', 'm2', 20));
  feed(exec('server', 'm2', 21, ['node', 'srv.js', '/w']));
  const upkeep = feed(openW('server', 21, '/w/.cache'));
  feed(connect('agent', 10, '127.0.0.1', 4000));
  c.started(call('m-call', 'mcp__fs__write_file', { path: '/w/notes.txt' }));
  const served = feed(openW('server', 21, '/w/notes.txt'));
  assert.equal(served.toolCallId, 'm-call', 'the server wrote it for the open call to it');
  assert.notEqual(upkeep.attribution, 'tool-call');
  /* a server of another name is not this call's */
  feed(fork('agent', 'm3', 10));
  feed(exec('other', 'm3', 22, ['/bin/sh', '/opt/warden/bin/warden', 'mcp', '--name', 'git', '--', 'node', 'g.js']));
  assert.equal(feed(openW('other', 22, '/w/x')).toolCallId, undefined);
});
