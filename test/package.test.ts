/**
 * The Debian package (scripts/package.sh), built from this checkout and unpacked into a scratch
 * root as dpkg would lay it out: everything it runs is inside it (no compiler, no checkout),
 * its Depends name the package of every library its binaries link, and from the unpacked tree
 * the CLI runs a session for real and `warden daemon` comes up and hosts one, as its
 * warden.service unit starts it. (systemd itself does not run on this machine kind.)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needKernel, ROOT, startDaemon, stateDir, tempDir } from './helpers.js';

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, cwd: '/', timeout: 300000 });

test('the Debian package holds a whole Warden: it runs a session and its daemon from the unpacked tree', async (t) => {
  if (!needKernel(t)) return;
  const out = tempDir('package-out');
  const scratch = tempDir('package-root');
  const state = stateDir('package-state');
  try {
    const built = run(join(ROOT, 'scripts', 'package.sh'), ['--out', out.path]);
    assert.equal(built.status, 0, built.stderr);
    const deb = built.stdout.trim().split('\n').pop() ?? '';
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(deb, new RegExp(`warden_${version.replace(/\./g, '\\.')}_\\w+\\.deb$`));
    const field = (name: string): string => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();
    assert.equal(field('Package'), 'warden');
    const depends = field('Depends')
      .split(',')
      .map((d) => d.trim());
    assert.ok(depends.includes('nodejs (>= 20)'), depends.join(', '));

    execFileSync('dpkg-deb', ['-x', deb, scratch.path]);
    const lib = join(scratch.path, 'usr', 'lib', 'warden');
    const binaries = readdirSync(join(lib, 'sensor', 'build'));
    assert.deepEqual(binaries.sort(), ['warden-hook', 'warden-launch', 'warden-probe', 'warden-run', 'warden-sensor']);
    /* every library a binary links is found here, and its Debian package is in Depends */
    for (const b of binaries) {
      const ldd = execFileSync('ldd', [join(lib, 'sensor', 'build', b)], { encoding: 'utf8' });
      assert.doesNotMatch(ldd, /not found/, `${b}: ${ldd}`);
      for (const m of ldd.matchAll(/=> (\/\S+)/g)) {
        /* dpkg knows a library by the path its package installed (merged /usr: /lib is /usr/lib) */
        const path = m[1] as string;
        const found = [realpathSync(path), path].map((p) => run('dpkg', ['-S', p])).find((r) => r.status === 0);
        const owner = found?.stdout.split(':')[0] ?? '(no package)';
        assert.ok(depends.includes(owner), `${b} links ${m[1]} of ${owner}, not in Depends: ${depends.join(', ')}`);
      }
    }
    /* nothing of the build: no compiled sources, no dev dependencies */
    assert.ok(!existsSync(join(lib, 'dist', 'src')));
    assert.deepEqual(readdirSync(join(lib, 'node_modules')).sort(), ['better-sqlite3', 'bindings', 'file-uri-to-path']);
    const unit = readFileSync(join(scratch.path, 'lib', 'systemd', 'system', 'warden.service'), 'utf8');
    for (const line of ['ExecStart=/usr/bin/warden daemon', 'Restart=on-failure', 'StateDirectory=warden'])
      assert.ok(unit.split('\n').includes(line), `the unit says ${line}`);
    assert.match(unit, /^ProtectSystem=/m);
    assert.match(
      readFileSync(join(scratch.path, 'usr', 'bin', 'warden'), 'utf8'),
      /exec \/usr\/lib\/warden\/bin\/warden/,
    );

    const warden = join(lib, 'bin', 'warden');
    assert.equal(run(warden, ['--version']).stdout.trim(), version);
    const env = { WARDEN_STATE_DIR: state.path, NO_COLOR: '1' };
    const alone = run(warden, ['run', '--', 'sh', '-c', 'echo from-the-package'], env);
    assert.equal(alone.status, 0, alone.stderr);
    assert.match(alone.stdout, /from-the-package/);
    assert.match(alone.stderr, /warden session \S+ .*: exit 0/);
    const daemon = await startDaemon(state.path, [], warden);
    try {
      const hosted = run(warden, ['run', '-q', '-v', '--', 'true'], env);
      assert.equal(hosted.status, 0, hosted.stderr);
      assert.match(hosted.stderr, new RegExp(`hosted by the warden daemon \\(pid ${daemon.child.pid}\\)`));
      /* the dashboard's reads across sessions run on a worker thread: its entry is in the package too */
      const found = await fetch(`${daemon.url}/api/search?q=from-the-package`, {
        headers: { authorization: `Bearer ${daemon.token}` },
      });
      assert.equal(found.status, 200, await found.clone().text());
      assert.ok(((await found.json()) as unknown[]).length > 0, 'the standalone session is found');
    } finally {
      await daemon.stop();
    }
  } finally {
    state.cleanup();
    scratch.cleanup();
    out.cleanup();
  }
});
