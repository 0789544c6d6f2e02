import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WardenEvent } from '../model/events.js';
import { LinkNames } from './link-names.js';

const ev = (type: string, fields: Record<string, unknown>): WardenEvent =>
  ({ pid: 7, tid: 7, type, result: 0, ...fields }) as unknown as WardenEvent;
const pathOf = (e: WardenEvent): string => (e as { path: string }).path;

test("a refused open through a link the session made names the link's target", () => {
  const links = new LinkNames(null);
  links.see(ev('symlink', { path: '/root/proj/docs/key.txt', target: '/root/.ssh/id_ed25519' }));
  const open = ev('open', { path: '/root/proj/docs/key.txt', flags: 0, result: -1 });
  links.see(open);
  assert.equal(pathOf(open), '/root/.ssh/id_ed25519');
  assert.equal((open as { requestedPath?: string }).requestedPath, '/root/proj/docs/key.txt');
  /* a relative target, through a linked directory, beneath it */
  links.see(ev('symlink', { path: '/root/proj/cfg', target: '../.aws' }));
  const inner = ev('open', { path: '/root/proj/cfg/credentials', flags: 0, result: -13 });
  links.see(inner);
  assert.equal(pathOf(inner), '/root/.aws/credentials');
  /* a successful open already names the file it reached; an unlink does not follow its last part */
  const ok = ev('open', { path: '/root/.ssh/id_ed25519', flags: 0, result: 3 });
  links.see(ok);
  assert.equal(pathOf(ok), '/root/.ssh/id_ed25519');
  const unlink = ev('unlink', { path: '/root/proj/docs/key.txt', dir: false, result: -1 });
  links.see(unlink);
  assert.equal(pathOf(unlink), '/root/proj/docs/key.txt');
});

test('a link moved keeps its target; one removed is forgotten; a loop ends', () => {
  const links = new LinkNames(null);
  links.see(ev('symlink', { path: '/w/a', target: '/secret' }));
  links.see(ev('rename', { path: '/w/a', newPath: '/w/b', flags: 0 }));
  assert.equal(links.resolve('/w/b', true, -1), '/secret');
  assert.equal(links.resolve('/w/a', true, -1), '/w/a');
  links.see(ev('unlink', { path: '/w/b', dir: false }));
  assert.equal(links.resolve('/w/b', true, -1), '/w/b');
  links.see(ev('symlink', { path: '/w/x', target: '/w/y' }));
  links.see(ev('symlink', { path: '/w/y', target: '/w/x' }));
  assert.ok(['/w/x', '/w/y'].includes(links.resolve('/w/x', true, -1)));
});

test('live, a refused open through a link made before the session is followed through the file system', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-links-'));
  try {
    writeFileSync(join(dir, 'real'), 'x');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const links = new LinkNames();
    const refused = ev('open', { path: join(dir, 'link'), flags: 0, result: -1 });
    links.see(refused);
    assert.equal(pathOf(refused), join(dir, 'real'));
    /* a call that failed by itself is not followed (nothing refused it) */
    const missing = ev('open', { path: join(dir, 'link'), flags: 0, result: -2 });
    links.see(missing);
    assert.equal(pathOf(missing), join(dir, 'link'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
