import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WardenEvent } from '../model/events.js';
import { Judge } from './judge.js';
import { compilePolicy } from '../policy/compile.js';
import { parsePolicy } from '../policy/load.js';
import { SessionEnforcer } from './session-enforcer.js';

/* a cgroup's control files, as plain files: the freeze is asked for here, "frozen 1" is written by the test */
function fakeCgroup(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-enforcer-'));
  writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
  writeFileSync(join(dir, 'cgroup.freeze'), '0');
  return dir;
}

const event = { sessionId: 's', pid: 42, tid: 42, timeUs: Date.now() * 1000, type: 'open' } as unknown as WardenEvent;
const judge = new Judge(null, new Set(), { paths: [], secrets: [], pids: () => [] });

test('a quarantine asks for the freeze at once and waits for it off the event path', async () => {
  const cg = fakeCgroup();
  try {
    const sunk: WardenEvent[] = [];
    const enforcer = new SessionEnforcer(judge, cg, (e) => sunk.push(e));
    const t0 = Date.now();
    const told = enforcer.act(event, { rule: 'network.allow', action: 'quarantine' });
    assert.ok(Date.now() - t0 < 100, 'act returned without waiting for the freeze');
    assert.equal(readFileSync(join(cg, 'cgroup.freeze'), 'utf8'), '1');
    assert.equal(enforcer.quarantined, true);
    void enforcer.act(event, { rule: 'network.allow', action: 'quarantine' }); /* once only */
    assert.equal(sunk.length, 0, 'recorded once confirmed, not before');
    writeFileSync(join(cg, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    await told;
    assert.equal(sunk.length, 1);
    const action = sunk[0] as WardenEvent & { type: 'action' };
    assert.equal(action.type, 'action');
    assert.equal(action.result, 'ok');
  } finally {
    rmSync(cg, { recursive: true, force: true });
  }
});

test('a freeze never confirmed is recorded as such after 1 s', async () => {
  const cg = fakeCgroup();
  try {
    const sunk: WardenEvent[] = [];
    const enforcer = new SessionEnforcer(judge, cg, (e) => sunk.push(e));
    const told = enforcer.act(event, { rule: 'detect.secret-exfil', action: 'quarantine' });
    await told;
    assert.match((sunk[0] as WardenEvent & { type: 'action' }).result, /not confirmed within 1 s/);
  } finally {
    rmSync(cg, { recursive: true, force: true });
  }
});

test("a thread refused twice before its first refusal's event gets each report on its own call", () => {
  const policy = compilePolicy(
    parsePolicy('apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: p}\nfiles:\n  denyRead: [/s]\n', 'p.yaml'),
    { workspace: '/w' },
  );
  const enforcer = new SessionEnforcer(
    new Judge(policy, new Set(['fanotify']), { paths: [], pids: () => [] }),
    '/nonexistent',
    () => undefined,
  );
  const open = (): WardenEvent =>
    ({ ...event, type: 'open', path: '/s/key', flags: 0, result: -1 }) as unknown as WardenEvent;
  /* both reports out before either event (the gate answers faster than the loader reads the ring) */
  enforcer.gateDecided(42, 3000);
  enforcer.gateDecided(42, 5000);
  const first = open();
  const second = open();
  enforcer.decide(first);
  enforcer.decide(second);
  assert.deepEqual([first.decision?.rule, first.decision?.latencyUs], ['files.denyRead[0]', 3]);
  assert.equal(second.decision?.latencyUs, 5, 'the second report is the second call’s');
});
