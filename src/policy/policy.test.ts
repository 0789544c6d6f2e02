import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config.js';
import { compilePolicy, globBase } from './compile.js';
import { decideConnect, decideFile } from './evaluate.js';
import { convertSrt, toYaml } from './import-srt.js';
import { loadPolicy, parsePolicy, PolicyError } from './load.js';
import { parseNetTarget, policyJsonSchema } from './schema.js';

const ctx = { home: '/home/dev', workspace: '/home/dev/proj' };
const minimal = (extra: string): string => `apiVersion: warden.dev/v1\nkind: Policy\nmetadata:\n  name: t\n${extra}`;

test('an invalid policy is rejected whole, one file:line message per problem', () => {
  const text = minimal(
    'mode: enforcing\nfiles:\n  denyRead:\n    - relative\nnetwork:\n  allow:\n    - 10.0.0.0/33\n  bogus: 1\n',
  );
  try {
    parsePolicy(text, 'p.yaml');
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof PolicyError);
    assert.deepEqual(
      e.problems.map((p) => p.split(': ')[0]),
      ['p.yaml:5', 'p.yaml:8', 'p.yaml:11', 'p.yaml:12'],
    );
    assert.match(e.problems.join('\n'), /mode: .*enforce.*audit/);
    assert.match(e.problems.join('\n'), /bogus/);
  }
});

test('YAML syntax errors and duplicate keys are reported with their line', () => {
  assert.throws(
    () => parsePolicy(minimal('mode: enforce\nmode: audit\n'), 'd.yaml'),
    /d\.yaml:6: .*[Mm]ap keys must be unique/,
  );
  assert.throws(() => parsePolicy(minimal('files: [\n'), 's.yaml'), /s\.yaml:\d+:/);
});

test('defaults are explicit: enforce, deny; absent lists place no limit', () => {
  const p = compilePolicy(parsePolicy(minimal(''), 'm.yaml'), ctx);
  assert.equal(p.mode, 'enforce');
  assert.equal(p.onViolation, 'deny');
  assert.equal(p.files.allowWrite, null);
  assert.equal(p.network.allow, null);
  assert.equal(decideFile(p, '/anywhere', 'write').verdict, 'allowed');
  assert.equal(decideConnect(p, '8.8.8.8', 53).verdict, 'allowed');
});

test('an empty allow list allows nothing', () => {
  const p = compilePolicy(
    parsePolicy(minimal('files:\n  allowWrite: []\nnetwork:\n  allow: []\nexec:\n  allow: []\n'), 'e.yaml'),
    ctx,
  );
  assert.deepEqual(decideFile(p, '/tmp/x', 'write'), {
    verdict: 'denied',
    rule: 'files.allowWrite',
    reason: 'not in any writable place',
  });
  assert.equal(decideConnect(p, '127.0.0.1', 80).verdict, 'denied');
  assert.equal(decideFile(p, '/bin/true', 'exec').verdict, 'denied');
});

test('~ and ${workspace} expand; a plain path covers everything beneath it; globs match', () => {
  const p = compilePolicy(
    parsePolicy(
      minimal(
        'files:\n  denyRead: [~/.ssh, "**/.env"]\n  allowWrite: ["${workspace}"]\n  denyWrite: ["${workspace}/.git/hooks"]\n',
      ),
      'g.yaml',
    ),
    ctx,
  );
  assert.equal(decideFile(p, '/home/dev/.ssh/id_ed25519', 'read').rule, 'files.denyRead[0]');
  assert.equal(
    decideFile(p, '/home/dev/.sshx', 'read').verdict,
    'allowed',
    'a sibling with the same prefix is not beneath',
  );
  assert.equal(decideFile(p, '/srv/app/.env', 'read').rule, 'files.denyRead[1]');
  assert.equal(decideFile(p, '/home/dev/proj/src/a.ts', 'write').rule, 'files.allowWrite[0]');
  assert.equal(decideFile(p, '/home/dev/proj/.git/hooks/pre-commit', 'write').rule, 'files.denyWrite[0]');
  assert.equal(decideFile(p, '/home/dev/other/a.ts', 'write').verdict, 'denied');
  assert.equal(globBase('/home/dev/**/.env'), '/home/dev');
});

test('network targets: IPs, CIDRs, ports, domains and wildcards', () => {
  assert.deepEqual(parseNetTarget('10.1.2.3:443'), {
    kind: 'cidr',
    family: 4,
    address: '10.1.2.3',
    prefix: 32,
    port: 443,
    text: '10.1.2.3:443',
  });
  assert.equal((parseNetTarget('[::1]:8080') as { port: number }).port, 8080);
  assert.equal(typeof parseNetTarget('exa mple.com'), 'string');
  const p = compilePolicy(
    parsePolicy(
      minimal('network:\n  allow: [127.0.0.0/8, "api.example.com:443", "*.npmjs.org"]\n  deny: [127.0.0.9]\n'),
      'n.yaml',
    ),
    ctx,
  );
  assert.equal(decideConnect(p, '127.0.0.2', 1).rule, 'network.allow[0]');
  assert.equal(decideConnect(p, '::ffff:127.0.0.2', 1).rule, 'network.allow[0]', 'v4-mapped v6 counts as v4');
  assert.equal(decideConnect(p, '127.0.0.9', 1).rule, 'network.deny[0]', 'deny wins over allow');
  assert.equal(decideConnect(p, '1.2.3.4', 443, ['api.example.com']).rule, 'network.allow[1]');
  assert.equal(decideConnect(p, '1.2.3.4', 80, ['api.example.com']).verdict, 'denied', 'wrong port');
  assert.equal(decideConnect(p, '1.2.3.4', 443, ['registry.npmjs.org']).rule, 'network.allow[2]');
  assert.equal(decideConnect(p, '1.2.3.4', 443, ['npmjs.org.evil.com']).verdict, 'denied');
});

test('the built-in coding-agent policy is valid and says what it should', () => {
  const file = join(loadConfig().root, 'policies', 'coding-agent.yaml');
  const p = compilePolicy(loadPolicy(file), ctx);
  assert.equal(decideFile(p, '/home/dev/.ssh/id_rsa', 'read').verdict, 'denied');
  assert.equal(decideFile(p, '/home/dev/.aws/credentials', 'read').verdict, 'denied');
  assert.equal(decideFile(p, '/home/dev/proj/src/index.ts', 'write').verdict, 'allowed');
  assert.equal(decideFile(p, '/home/dev/.bashrc', 'write').verdict, 'denied');
  assert.equal(decideFile(p, '/home/dev/proj/.git/hooks/post-checkout', 'write').verdict, 'denied');
  assert.equal(decideFile(p, '/etc/cron.d/job', 'write').verdict, 'denied');
  /* loopback only for Warden's proxy and the session's own listeners (the kernel knows those) */
  assert.equal(decideConnect(p, '127.0.0.1', 3000).verdict, 'denied');
  assert.equal(p.network.listen, 'local');
  assert.deepEqual(p.network.unixAllow, []);
  assert.equal(decideConnect(p, '203.0.113.7', 443, ['api.anthropic.com']).verdict, 'allowed');
  assert.equal(decideConnect(p, '203.0.113.7', 443, ['paste.example']).verdict, 'denied');
  /* the agents' own first-party services (login, feature flags, model lists, update checks) */
  for (const name of [
    'platform.claude.com',
    'claude.ai',
    'ab.chatgpt.com',
    'models.opencode.ai',
    'models.dev',
    'api.github.com',
    'play.googleapis.com',
  ])
    assert.equal(decideConnect(p, '203.0.113.7', 443, [name]).verdict, 'allowed', name);
  /* ... and not what anyone can send to: third-party telemetry, Google's other APIs */
  for (const name of ['o1.ingest.sentry.io', 'storage.googleapis.com', 'claude.ai.evil.example'])
    assert.equal(decideConnect(p, '203.0.113.7', 443, [name]).verdict, 'denied', name);
});

test('a JSON Schema is generated from the zod schema', () => {
  const s = policyJsonSchema() as { properties: Record<string, unknown>; required: string[] };
  assert.ok(s.properties.files && s.properties.network && s.properties.onViolation);
  assert.deepEqual([...s.required].sort(), ['apiVersion', 'kind', 'metadata']);
});

test('policies/policy.schema.json is the schema generated from the code', () => {
  const committed = readFileSync(join(loadConfig().root, 'policies', 'policy.schema.json'), 'utf8');
  assert.equal(
    committed,
    JSON.stringify(policyJsonSchema(), null, 2) + '\n',
    'regenerate: warden policy schema -o policies/policy.schema.json',
  );
});

test('sandbox-runtime settings convert into an equivalent policy, and what cannot is said', () => {
  const srt = {
    network: {
      allowedDomains: ['github.com', '*.npmjs.org', 'api.example.com:443'],
      deniedDomains: ['evil.com', '*:22'],
    },
    filesystem: {
      denyRead: ['~/.ssh'],
      allowRead: ['~/.ssh/known_hosts'],
      allowWrite: ['.', './build', '/tmp'],
      denyWrite: ['.env'],
    },
    ignoreViolations: { '*': ['/usr/bin'] },
  };
  const converted = convertSrt(srt, 'from-srt');
  const yamlText = toYaml(converted, 'srt.json');
  const p = compilePolicy(parsePolicy(yamlText, 'imported.yaml'), ctx);
  assert.equal(decideConnect(p, '1.2.3.4', 443, ['api.example.com']).verdict, 'allowed');
  assert.equal(decideConnect(p, '1.2.3.4', 443, ['x.npmjs.org']).verdict, 'allowed');
  assert.equal(
    decideConnect(p, '1.2.3.4', 22, ['github.com']).rule,
    'network.deny[1]',
    '*:22 denies every host on port 22',
  );
  assert.equal(decideFile(p, '/home/dev/proj/build/out.js', 'write').verdict, 'allowed');
  assert.equal(decideFile(p, '/home/dev/proj/.env', 'write').verdict, 'denied');
  assert.equal(decideFile(p, '/home/dev/.ssh/known_hosts', 'read').verdict, 'denied');
  assert.match(yamlText, /note: filesystem\.allowRead/);
  assert.match(yamlText, /note: ignoreViolations/);
  const denyAll = convertSrt({ network: { allowedDomains: ['a.com'], deniedDomains: ['*'] } }, 'x');
  assert.deepEqual(denyAll.policy.network.allow, []);
});

test('scope: tools names one file, and does not combine with allowChanges', () => {
  const parse = (entry: string) =>
    parsePolicy(
      `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: p}\nfiles:\n  denyWrite:\n    - ${entry}\n`,
      'p.yaml',
    );
  assert.throws(() => parse('{path: ~/.claude/*.json, scope: tools}'), /scope: tools takes a path, not a glob/);
  assert.throws(() => parse('{path: ~/.gitconfig, scope: tools, allowChanges: git-config}'), /do not combine/);
  assert.throws(
    () => parse('{path: ~/.gitconfig, scope: agent}'),
    /files\.denyWrite\.0\.scope: Invalid option: expected one of "all"\|"tools"/,
    "the object form's own problem, not the union's",
  );
  assert.doesNotThrow(() => parse('{path: ~/.claude/settings.json, scope: tools}'));
});
