/**
 * The daemon's API as a client meets it: no token or a wrong one is refused,
 * bad input gets a 400 that says why, the read endpoints answer, operator
 * actions on an ended session say so, and the live stream delivers a new
 * session's events and alerts while it runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { kernelUnavailable, startDaemon, stateDir, warden, WARDEN, type TestDaemon } from './helpers.js';

const state = stateDir('api');
let daemon: TestDaemon | undefined;
let url = '';
let token = '';

async function get(path: string, auth: string | null = token): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${url}${path}`, { headers: auth === null ? {} : { authorization: `Bearer ${auth}` } });
  return { status: r.status, body: await r.json() };
}

describe('the daemon API', { skip: kernelUnavailable() }, () => {
  before(async () => {
    daemon = await startDaemon(state.path);
    ({ url, token } = daemon);
  });
  after(async () => {
    await daemon?.stop();
    state.cleanup();
  });

  test('no token, or a wrong one, is refused', async () => {
    assert.equal((await get('/api/sessions', null)).status, 401);
    assert.equal((await get('/api/sessions', 'f'.repeat(64))).status, 401);
    assert.equal((await get('/api/sessions')).status, 200);
  });

  test('bad input gets a 400 that says why; unknown things a 404', async () => {
    const bad = await get('/api/sessions/NOT..AN..ID/events');
    assert.equal(bad.status, 400);
    assert.match((bad.body as { error: string }).error, /session id/);
    assert.equal((await get('/api/sessions/abcdef123456')).status, 404);
    assert.equal((await get('/api/nothing-here')).status, 404);
    assert.equal((await get('/api/events/999999999/trace')).status, 404);
    const sev = await get('/api/alerts?severity=bogus');
    assert.equal(sev.status, 400);
    assert.match((sev.body as { error: string }).error, /severity: one of info/);
    assert.match(((await get('/api/search?q=x')).body as { error: string }).error, /at least 2 characters/);
    assert.equal((await get('/api/search?q=xyz&types=nope')).status, 400);
    assert.equal((await get('/api/agents/nobody-here')).status, 404);
    assert.equal((await get('/api/agents/%E0%A4%A')).status, 400, 'a name that does not decode');
    assert.equal((await get('/api/activity?since=5&until=1')).status, 400);
    assert.equal((await get('/api/activity?buckets=100000')).status, 400);
    assert.equal((await get('/api/alerts')).status, 200);
  });

  test('the live stream delivers a session as it runs; the read endpoints answer for it', async () => {
    const ac = new AbortController();
    const res = await fetch(`${url}/api/stream?token=${token}`, { signal: ac.signal });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const seen: string[] = [];
    const reading = (async () => {
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += Buffer.from(value).toString('utf8');
        seen.push(...buf.split('\n\n').slice(0, -1));
        buf = buf.split('\n\n').pop() ?? '';
        const exec = seen.some(
          (s) => s.includes('event: event') && s.includes('"type":"exec"') && s.includes('api-stream-marker'),
        );
        /* the session list follows its events in the same round, perhaps in a later read */
        const ended = seen.some((s) => s.startsWith('event: sessions') && s.includes('"status":"ended"'));
        if (exec && ended) return;
      }
    })();
    const run = spawn(WARDEN, ['run', '-q', '--no-policy', '--', 'sh', '-c', 'echo api-stream-marker > /dev/null'], {
      env: { ...process.env, WARDEN_STATE_DIR: state.path },
      stdio: 'ignore',
    });
    await new Promise((r) => run.once('exit', r));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reading, new Promise((r) => (timer = setTimeout(r, 10000)))]);
    clearTimeout(timer);
    ac.abort();
    assert.ok(
      seen.some((s) => s.includes('"type":"exec"') && s.includes('api-stream-marker')),
      'the exec arrived live',
    );
    assert.ok(
      seen.some((s) => s.startsWith('event: sessions') && s.includes('"status":"ended"')),
      'the session list follows',
    );

    const sessions = (await get('/api/sessions')).body as Array<{ id: string }>;
    const id = sessions[0]?.id ?? '';
    const events = (await get(`/api/sessions/${id}/events?types=exec`)).body as Array<{ type: string; id: number }>;
    assert.ok(events.length > 0 && events.every((e) => e.type === 'exec'));
    assert.equal((await get(`/api/sessions/${id}/events?types=bogus`)).status, 400);
    assert.equal((await get(`/api/sessions/${id}/tree`)).status, 200);
    assert.equal((await get(`/api/sessions/${id}/timeline`)).status, 200);
    assert.equal((await get(`/api/events/${events[0]?.id}/trace`)).status, 200);
    /* across sessions: it is found by what it ran, counted in the host's activity and on its agent's page */
    const found = (await get(`/api/search?q=API-STREAM-marker&session=${id}`)).body as Array<{ sessionId: string }>;
    assert.ok(found.length > 0 && found.every((e) => e.sessionId === id), 'search finds its events');
    const act = (await get(`/api/activity?session=${id}&buckets=10`)).body as { buckets: Array<{ exec: number }> };
    assert.ok(act.buckets.reduce((n, b) => n + b.exec, 0) > 0, 'its programs are in its activity');
    const agents = (await get('/api/agents')).body as Array<{ agent: string }>;
    assert.ok(agents.length > 0);
    assert.equal((await get(`/api/agents/${encodeURIComponent(agents[0]?.agent ?? '')}`)).status, 200);
    const q = await fetch(`${url}/api/sessions/${id}/quarantine`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(q.status, 409, 'an ended session cannot be frozen, and says so');
    const status = warden(state.path, ['status']);
    assert.match(status.stdout, /daemon: up/);
  });
});
