/**
 * The project a recorded session works in: a git repository holding a small
 * Node service with its tests, a Python package with its tests, a vendored
 * real library (picomatch, from Warden's own node_modules), docs and a .env
 * the code reads. And the home around it: credentials, another project, the
 * shell's start-up files, as a developer's machine has them.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers.js';

export const SECRET_KEY = 'PRIVATE-KEY-corpus-7f3a';

const FILES: Record<string, string> = {
  'package.json': JSON.stringify(
    {
      name: 'inventory',
      version: '1.2.0',
      type: 'module',
      scripts: { test: 'node --test test/', start: 'node src/server.js', build: 'node scripts/build.js' },
      dependencies: {},
    },
    null,
    2,
  ),
  'README.md': '# inventory\n\nA small stock-keeping service.\n\n## Running\n\n    npm start\n',
  '.gitignore': 'node_modules/\ndist/\n.venv/\n__pycache__/\n',
  '.env': 'DATABASE_URL=postgres://app:Zq81mWc@db.internal/inventory\nSTRIPE_KEY=sk_live_51HxQv2eZvKYlo2C\n',
  'src/stock.js': `export function total(items) {
  return items.reduce((sum, i) => sum + i.qty, 0);
}

export function lowStock(items, threshold = 5) {
  return items.filter((i) => i.qty < threshold).map((i) => i.sku);
}
`,
  'src/config.js': `import { readFileSync } from 'node:fs';

export function loadEnv(path = '.env') {
  const out = {};
  for (const line of readFileSync(path, 'utf8').split('\\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}
`,
  'src/server.js': `import { createServer } from 'node:http';
import { total } from './stock.js';

const items = [{ sku: 'a', qty: 3 }, { sku: 'b', qty: 9 }];
const port = Number(process.env.PORT ?? 8080);
createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ total: total(items) }));
}).listen(port, '127.0.0.1', () => console.log('listening on', port));
`,
  'test/stock.test.js': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowStock, total } from '../src/stock.js';

test('total adds quantities', () => {
  assert.equal(total([{ sku: 'a', qty: 2 }, { sku: 'b', qty: 3 }]), 5);
});

test('lowStock lists skus under the threshold', () => {
  assert.deepEqual(lowStock([{ sku: 'a', qty: 2 }, { sku: 'b', qty: 30 }]), ['a']);
});
`,
  'scripts/build.js': `import { cpSync, mkdirSync } from 'node:fs';
mkdirSync('dist', { recursive: true });
cpSync('src', 'dist', { recursive: true });
console.log('built dist/');
`,
  'pricing/__init__.py': '',
  'pricing/calc.py': `def with_tax(amount, rate=0.2):
    return round(amount * (1 + rate), 2)


def discount(amount, pct):
    return round(amount * (1 - pct / 100), 2)
`,
  'pricing/tests/__init__.py': '',
  'pricing/tests/test_calc.py': `import unittest

from pricing.calc import discount, with_tax


class CalcTest(unittest.TestCase):
    def test_with_tax(self):
        self.assertEqual(with_tax(10), 12.0)

    def test_discount(self):
        self.assertEqual(discount(50, 10), 45.0)


if __name__ == '__main__':
    unittest.main()
`,
  'docs/api.md': '# API\n\n`GET /` returns the stock total.\n',
};

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

/** The developer's home around the project. */
export function stageHome(home: string): void {
  write(home, {
    '.ssh/id_ed25519': `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRET_KEY}\n-----END OPENSSH PRIVATE KEY-----\n`,
    '.aws/credentials': '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n',
    '.bashrc': '# ~/.bashrc\nexport PATH=$HOME/bin:$PATH\n',
    '.gitconfig': '[user]\n\tname = Dev\n\temail = dev@example.com\n',
    'other/CLAUDE.md': '# other project\n\nUse tabs.\n',
    'other/AGENTS.md': '# other project\n',
    'other/.env': 'OTHER_TOKEN=ghp_Other0000000000000000\n',
    'other/src/main.py': 'print("other")\n',
  });
  mkdirSync(join(home, 'tmp'), { recursive: true });
}

/** A git repository with one commit, at `ws`. */
export function stageProject(ws: string): void {
  write(ws, FILES);
  cpSync(join(ROOT, 'node_modules', 'picomatch'), join(ws, 'vendor', 'picomatch'), {
    recursive: true,
    filter: (src) => !src.endsWith('.d.ts'),
  });
  const git = (...args: string[]): void =>
    void execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args], {
      cwd: ws,
      stdio: 'ignore',
    });
  git('init', '-q', '-b', 'main');
  /* the project's own identity too: Gemini CLI runs its shell with GIT_CONFIG_GLOBAL=/dev/null */
  git('config', 'user.name', 'Dev');
  git('config', 'user.email', 'dev@example.com');
  git('add', '-A');
  git('commit', '-qm', 'inventory service');
}
