/**
 * Kernel tests: real BPF, real cgroups, as root. A scripted workload runs as a
 * session and the exact events it must produce are asserted.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSession } from '../src/host/standalone.js';
import type { ProcessRecord, WardenEvent } from '../src/model/events.js';
import { Store } from '../src/store/store.js';
import { kernelUnavailable, needKernel, stateDir, tempDir, testConfig } from './helpers.js';

type Of<T extends WardenEvent['type']> = Extract<WardenEvent, { type: T }>;
const ofType = <T extends WardenEvent['type']>(events: WardenEvent[], type: T): Of<T>[] =>
  events.filter((e): e is Of<T> => e.type === type);

async function record(stateDir: string, command: string[]) {
  const result = await runSession(testConfig(stateDir), { command });
  const store = Store.open(stateDir);
  try {
    return {
      ...result,
      events: store.eventsOf(result.session.id),
      procs: store.processesOf(result.session.id),
    };
  } finally {
    store.close();
  }
}

describe('a scripted workload yields exactly its events', () => {
  const state = stateDir('kernel');
  const work = tempDir('work');
  let tcpPort = 0;
  let udpPort = 0;
  let udpGot = '';
  const tcp = createServer((s) => s.end());
  const udp = createSocket('udp4');
  let run: Awaited<ReturnType<typeof record>> | undefined;
  let outsiderPid = 0;

  before(async () => {
    if (kernelUnavailable()) return; /* each test then skips (or fails under CI) with the reason */
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    tcpPort = (tcp.address() as AddressInfo).port;
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    udpPort = udp.address().port;
    udp.on('message', (m) => (udpGot += m.toString()));

    const script = join(work.path, 'workload.sh');
    writeFileSync(
      script,
      `#!/bin/sh
cd "${work.path}"
/bin/cat /etc/hostname > /dev/null
echo data > a.txt
/bin/mv a.txt b.txt
/bin/ln b.txt hard.txt
/bin/ln -s ../b.txt soft.txt
/usr/bin/mkfifo fifo
/bin/rm b.txt
/bin/sh -c '/bin/sh -c "/bin/true grandchild-marker"'
/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/${tcpPort}'
/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/1' 2>/dev/null
node -e 'const u = require("node:dgram").createSocket("udp4"); u.send("hello", ${udpPort}, "127.0.0.1", () => u.close())'
exit 3
`,
    );
    chmodSync(script, 0o755);
    /* a process outside the session, busy the whole time */
    const outsider = spawn('/bin/sh', [
      '-c',
      'for i in 1 2 3 4 5 6 7 8 9 10; do cat /etc/hostname >/dev/null; sleep 0.05; done',
    ]);
    outsiderPid = outsider.pid ?? 0;
    const outsiderDone = once(outsider, 'exit'); /* before the session: it may end first */
    run = await record(state.path, [script]);
    await outsiderDone;
  });

  after(() => {
    tcp.close();
    udp.close();
    state.cleanup();
    work.cleanup();
  });

  test('the session ends with the command status and nothing lost', (t) => {
    if (!needKernel(t) || !run) return;
    assert.equal(run.status, 3);
    assert.equal(run.session.exitCode, 3);
    assert.equal(run.session.lost, 0);
    assert.equal(run.session.status, 'ended');
    assert.equal(existsSync(run.session.cgroup), false, 'the session cgroup is removed');
  });

  test('exec carries argv, exe and cwd', (t) => {
    if (!needKernel(t) || !run) return;
    const cat = ofType(run.events, 'exec').find((e) => e.argv[0] === '/bin/cat');
    assert.ok(cat, 'exec of /bin/cat');
    assert.deepEqual(cat.argv, ['/bin/cat', '/etc/hostname']);
    assert.match(cat.exe, /\/cat$/);
    assert.equal(cat.cwd, work.path);
  });

  test('open of /etc/hostname by cat, read-only, succeeded', (t) => {
    if (!needKernel(t) || !run) return;
    const cat = ofType(run.events, 'exec').find((e) => e.argv[0] === '/bin/cat');
    const open = ofType(run.events, 'open').find((e) => e.path === '/etc/hostname');
    assert.ok(open);
    assert.equal(open.execId, cat?.execId);
    assert.deepEqual(open.flagNames, ['O_RDONLY']);
    assert.ok(open.result >= 0);
  });

  test('a relative write, rename and unlink are reported as absolute paths', (t) => {
    if (!needKernel(t) || !run) return;
    const a = join(work.path, 'a.txt');
    const b = join(work.path, 'b.txt');
    const write = ofType(run.events, 'open').find((e) => e.path === a);
    assert.ok(write, 'open of a.txt');
    assert.deepEqual(write.flagNames, ['O_WRONLY', 'O_CREAT', 'O_TRUNC']);
    const rename = ofType(run.events, 'rename');
    assert.equal(rename.length, 1);
    assert.deepEqual([rename[0]?.path, rename[0]?.newPath, rename[0]?.result], [a, b, 0]);
    const unlink = ofType(run.events, 'unlink').filter((e) => e.path === b);
    assert.equal(unlink.length, 1);
    assert.equal(unlink[0]?.result, 0);
    assert.equal(unlink[0]?.dir, false);
  });

  test('a hardlink, a symlink and a fifo are reported, each with its new name', (t) => {
    if (!needKernel(t) || !run) return;
    const at = (f: string): string => join(work.path, f);
    const link = ofType(run.events, 'link').find((e) => e.newPath === at('hard.txt'));
    assert.deepEqual([link?.path, link?.result], [at('b.txt'), 0]);
    const symlink = ofType(run.events, 'symlink').find((e) => e.path === at('soft.txt'));
    assert.deepEqual([symlink?.target, symlink?.result], ['../b.txt', 0], 'the link text as written');
    const fifo = ofType(run.events, 'mknod').find((e) => e.path === at('fifo'));
    assert.equal(fifo?.result, 0);
    assert.equal((fifo?.mode ?? 0) & 0o170000, 0o010000, 'S_IFIFO');
  });

  test('connects to loopback carry address, port and result', (t) => {
    if (!needKernel(t) || !run) return;
    const connects = ofType(run.events, 'connect').filter((e) => e.daddr === '127.0.0.1');
    const ok = connects.find((e) => e.dport === tcpPort);
    assert.ok(ok);
    assert.deepEqual([ok.result, ok.protocol, ok.family], [0, 'tcp', 'ipv4']);
    const refused = connects.find((e) => e.dport === 1);
    assert.ok(refused);
    assert.deepEqual([refused.result, refused.error], [-111, 'ECONNREFUSED']);
  });

  test('a UDP datagram is reported with its destination', (t) => {
    if (!needKernel(t) || !run) return;
    const send = ofType(run.events, 'send').find((e) => e.dport === udpPort);
    assert.ok(send);
    assert.deepEqual([send.daddr, send.protocol, send.bytes, send.result], ['127.0.0.1', 'udp', 5, 5]);
    assert.equal(udpGot, 'hello');
  });

  test("a grandchild's lineage leads back to the session root", (t) => {
    if (!needKernel(t) || !run) return;
    const procs = new Map<string, ProcessRecord>(run.procs.map((p) => [p.execId, p]));
    const leaf = run.procs.find((p) => p.argv.join(' ') === '/bin/true grandchild-marker');
    assert.ok(leaf, 'the grandchild was recorded');
    const chain: string[] = [];
    for (let p: ProcessRecord | undefined = leaf; p; p = p.parentExecId ? procs.get(p.parentExecId) : undefined) {
      if (p.origin === 'exec') chain.push(p.argv.join(' '));
    }
    assert.deepEqual(chain.slice(0, 3), [
      '/bin/true grandchild-marker',
      '/bin/sh -c /bin/true grandchild-marker',
      `/bin/sh -c /bin/sh -c "/bin/true grandchild-marker"`,
    ]);
    assert.match(chain.at(-1) ?? '', /workload\.sh$/, 'the root is the session command');
  });

  test('a process outside the session produces no events', (t) => {
    if (!needKernel(t) || !run) return;
    assert.ok(outsiderPid > 0);
    const sessionPids = new Set(run.procs.map((p) => p.pid));
    assert.equal(run.events.filter((e) => e.pid === outsiderPid || e.ppid === outsiderPid).length, 0);
    assert.ok(
      run.events.every((e) => sessionPids.has(e.pid)),
      'every event comes from a session process',
    );
  });
});

test('a session of 10,000 short-lived processes loses nothing', { timeout: 300000 }, async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('storm');
  try {
    const n = 10000;
    const run = await record(state.path, [
      '/bin/sh',
      '-c',
      `i=0; while [ $i -lt ${n} ]; do /bin/true; i=$((i+1)); done`,
    ]);
    const trues = ofType(run.events, 'exec').filter((e) => e.argv[0] === '/bin/true');
    const forks = ofType(run.events, 'fork');
    const exits = ofType(run.events, 'exit');
    assert.equal(run.session.lost, 0, 'the kernel dropped no event');
    assert.equal(trues.length, n);
    assert.equal(forks.length, n);
    assert.equal(exits.length, n + 1);
    assert.equal(new Set(trues.map((e) => e.execId)).size, n, 'every image has its own exec id');
  } finally {
    state.cleanup();
  }
});

test('32-bit syscalls are not misread as the native syscall with the same number', async (t) => {
  if (!needKernel(t)) return;
  if (process.arch !== 'x64') return t.skip('the ia32 entry exists on x86-64 only');
  const dir = tempDir('ia32');
  try {
    /* ia32 syscall 42 is pipe; native 42 is connect, which the sensor watches */
    const src = join(dir.path, 'ia32.c');
    writeFileSync(
      src,
      'int main(void){long r; int fds[2]; asm volatile("int $0x80":"=a"(r):"a"(42),"b"(fds):"memory"); return 0;}\n',
    );
    const bin = join(dir.path, 'ia32');
    execFileSync('cc', ['-O1', src, '-o', bin]);
    const run = await record(dir.path, [bin]);
    assert.equal(run.status, 0);
    assert.equal(ofType(run.events, 'exec').length, 1, 'the program ran in the session');
    assert.deepEqual(ofType(run.events, 'connect'), []);
  } finally {
    dir.cleanup();
  }
});

test('a process that moves into a child cgroup of its session is still watched', async (t) => {
  if (!needKernel(t)) return;
  const dir = tempDir('subcg');
  try {
    const script = join(dir.path, 'sub.sh');
    writeFileSync(
      script,
      `#!/bin/sh
cg="$(grep -o '/warden/.*' /proc/self/cgroup)"
mount=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
mkdir "$mount$cg/sub"
echo $$ > "$mount$cg/sub/cgroup.procs"
/bin/cat /etc/hostname > /dev/null
`,
    );
    chmodSync(script, 0o755);
    const run = await record(dir.path, [script]);
    assert.equal(run.status, 0);
    const cat = ofType(run.events, 'exec').find((e) => e.argv[0] === '/bin/cat');
    assert.ok(cat, 'the exec after the move was seen');
    assert.ok(ofType(run.events, 'open').some((e) => e.path === '/etc/hostname' && e.execId === cat.execId));
    assert.equal(existsSync(run.session.cgroup), false, 'the session cgroup and its child are removed');
  } finally {
    dir.cleanup();
  }
});
