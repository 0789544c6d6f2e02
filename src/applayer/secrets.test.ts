import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentialValues, envFileValues, SecretScanner } from './secrets.js';

// Fake credentials are assembled at run time so no file in the tree looks like a leaked one.
const body = (n: number, alphabet = 'aZ3kQ9xW2mP7'): string =>
  alphabet.repeat(Math.ceil(n / alphabet.length)).slice(0, n);
const FAKE = {
  pem: [
    '-----BEGIN RSA PRIVATE KEY-----',
    body(64, 'MIIEow+/AbC1'),
    body(40, 'q9Zx+/Ab'),
    '-----END RSA PRIVATE KEY-----',
  ],
  awsId: 'AKIA' + body(16, 'Q7WXZ3RT'),
  awsSecret: body(40, 'wJalrXUt/K7MDENG+bPxRfiCY1'),
  github: 'ghp_' + body(36),
  githubPat: 'github_pat_' + body(22) + '_' + body(59),
  anthropic: 'sk-ant-api03-' + body(93, 'Zx9_-Qa7Wk') + 'AA',
  openai: 'sk-proj-' + body(120, 'T3Bl_bkFJ-9xQ'),
  openaiLegacy: 'sk-' + body(48),
  slack: 'xoxb-' + '123456789012-1234567890123-' + body(24),
  google: 'AIza' + body(35, 'Sy_D4-kQ'),
  stripe: 'sk_' + 'live_' + body(24),
  jwt: ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0In0', body(43, 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')].join(
    '.',
  ),
};

const kinds = (text: string, scanner = new SecretScanner()): string[] => scanner.scan(text).map((h) => h.kind);

test('each credential format is found in ordinary surroundings', () => {
  const cases: [string, string][] = [
    [FAKE.pem.join('\n'), 'private-key'],
    [FAKE.awsId, 'aws-access-key'],
    [`aws_secret_access_key = ${FAKE.awsSecret}`, 'aws-secret-key'],
    [`{"SecretAccessKey": "${FAKE.awsSecret}"}`, 'aws-secret-key'],
    [`export AWS_SECRET_ACCESS_KEY='${FAKE.awsSecret}'`, 'aws-secret-key'],
    [FAKE.github, 'github-token'],
    [FAKE.githubPat, 'github-token'],
    [FAKE.anthropic, 'anthropic-key'],
    [FAKE.openai, 'openai-key'],
    [FAKE.openaiLegacy, 'openai-key'],
    [FAKE.slack, 'slack-token'],
    [FAKE.google, 'google-api-key'],
    [FAKE.stripe, 'stripe-key'],
    [FAKE.jwt, 'jwt'],
  ];
  for (const [secret, kind] of cases) {
    assert.deepEqual(kinds(`config: ${secret}\nnext line`), [kind], secret);
  }
});

test('a private key written inside a JSON string (newlines as \\n) is found and redacted whole', () => {
  const bodyText = JSON.stringify({ messages: [{ role: 'user', content: `key:\n${FAKE.pem.join('\n')}\nthanks` }] });
  assert.ok(bodyText.includes('-----\\nMIIE'));
  assert.deepEqual(kinds(bodyText), ['private-key']);
  const { value } = new SecretScanner().redact(JSON.parse(bodyText));
  assert.deepEqual(value, { messages: [{ role: 'user', content: 'key:\n[REDACTED:private-key]\nthanks' }] });
  // Cut before its END line, the key body is still caught.
  assert.deepEqual(kinds(FAKE.pem.slice(0, 2).join('\n')), ['private-key']);
});

test('look-alikes in ordinary code are not secrets', () => {
  const benign = [
    'const AKIA = 1; // AKIAshort',
    'sk-learn-preprocessing-pipeline-step-two',
    'task-runner-with-a-very-long-descriptive-name and disk-usage-threshold-percentage',
    `sk-${'abcdefghij'.repeat(3)}`,
    'const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;',
    'aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}',
    'ghp_tooShort github_pat_x',
    'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'id 550e8400-e29b-41d4-a716-446655440000',
    'eyJ is how base64 JSON starts; eyJhbGciOiJIUzI1NiJ9 alone is just a header',
    'xoxb-not-a-real-token',
    '-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----',
    "if (pem.startsWith('-----BEGIN RSA PRIVATE KEY-----')) return parseRsa(pem);",
    'A line of -----BEGIN PRIVATE KEY----- starts the key, and the END line closes it.',
    'integrity sha512-Q2hhbmdlIHRoaXMgc3RyaW5nIGZvciB0ZXN0aW5nIHB1cnBvc2Vz',
  ];
  for (const text of benign) assert.deepEqual(kinds(text), [], text);
});

test('1 MiB of ordinary text gives no hits', () => {
  const paragraph = [
    'export async function runTask(taskId: string, disk: DiskInfo): Promise<void> {',
    '  // The task-runner-with-a-long-name keeps risk-assessment-for-production state.',
    "  const secret = config.secretName ?? 'default'; const token = await getToken(user);",
    "  const url = 'https://example.com/api/v1/items?page=2&sort=desc'; // ASIAN markets",
    "  const hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';",
    "  logger.info({ taskId, mask: 'sk-learn-pipeline', id: '550e8400-e29b-41d4-a716-446655440000' });",
    '}',
    'The quick brown fox jumps over the lazy dog. Réunion, naïve café, 東京 and 🚀 appear in prose too.',
    '',
  ].join('\n');
  const text = paragraph.repeat(Math.ceil((1024 * 1024) / paragraph.length)).slice(0, 1024 * 1024);
  const scanner = new SecretScanner();
  scanner.addKnownValues(['Xk29dLmq0PzR7vTy', 'hunter2hunter2']);
  assert.deepEqual(scanner.scan(text), []);
});

test('hostile text never throws and is scanned in one pass', () => {
  const mib = (unit: string): string => unit.repeat(Math.ceil((1024 * 1024) / unit.length));
  const scanner = new SecretScanner();
  scanner.addKnownValues(['aaaaaaaaaaaaaaab']);
  const hostile = [
    `-----BEGIN PRIVATE KEY-----\n${mib('A')}`,
    mib('-----BEGIN PRIVATE KEY-----'),
    mib('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n'),
    `sk-${mib('a-')}`,
    `xoxb-${mib('a1-')}`,
    mib('eyJabcdef.'),
    mib('eyJ-'),
    `aws_secret_access_key=${mib('A')}`,
    mib('a'),
  ];
  for (const text of hostile) assert.ok(Array.isArray(scanner.scan(text)));
  for (const env of [`K=a${mib(' ')}b`, `K=${mib('1')}x`, mib('K="x\n'), mib("K='x\n")]) {
    assert.ok(Array.isArray(envFileValues(env)));
  }
  assert.deepEqual(kinds(hostile[0] as string), ['private-key']);
});

test('hits are distinct, and a preview never holds the secret', () => {
  const hits = new SecretScanner().scan(`${FAKE.github} again ${FAKE.github} and ${FAKE.awsId}`);
  assert.deepEqual(hits, [
    { kind: 'github-token', preview: 'ghp_…40' },
    { kind: 'aws-access-key', preview: 'AKIA…20' },
  ]);
});

test('known values are matched literally, also JSON-escaped; short ones are ignored', () => {
  const scanner = new SecretScanner();
  const tricky = 'p@ss"w\\ord-9Zq';
  scanner.addKnownValues([tricky, '  "Xk29dLmq0PzR7vTy"  ', 'short', "'quoted'"]);
  scanner.addKnownValues(['db-pass-Hj84kq'], 'db-password');
  assert.deepEqual(kinds(`value ${tricky} here`, scanner), ['env-value']);
  assert.deepEqual(kinds(JSON.stringify({ x: `said ${tricky}` }), scanner), ['env-value']);
  assert.deepEqual(kinds('has Xk29dLmq0PzR7vTy inside', scanner), ['env-value']);
  assert.deepEqual(kinds('short quoted db-pass-Hj84kq', scanner), ['db-password']);
  assert.deepEqual(scanner.scan('said Xk29dLmq0PzR7vTy')[0]?.preview, 'Xk29…16');
});

test('a known value that is also a recognised format is reported once, by its format', () => {
  const scanner = new SecretScanner();
  scanner.addKnownValues([FAKE.openai]);
  assert.deepEqual(kinds(`OPENAI_API_KEY=${FAKE.openai}`, scanner), ['openai-key']);
});

test('redact copies the value, replaces secrets inside strings, leaves keys and other values alone', () => {
  const scanner = new SecretScanner();
  scanner.addKnownValues(['Xk29dLmq0PzR7vTy']);
  const input = {
    model: 'claude',
    [FAKE.github]: 'keys are left alone',
    messages: [
      { role: 'user', content: `use ${FAKE.awsId} and Xk29dLmq0PzR7vTy, then ${FAKE.awsId}` },
      { role: 'user', content: [{ type: 'tool_result', content: `token=${FAKE.jwt}` }] },
    ],
    n: 3,
    ok: true,
    none: null,
  };
  const before = structuredClone(input);
  const { value, hits } = scanner.redact(input);
  assert.deepEqual(value, {
    model: 'claude',
    [FAKE.github]: 'keys are left alone',
    messages: [
      {
        role: 'user',
        content: 'use [REDACTED:aws-access-key] and [REDACTED:env-value], then [REDACTED:aws-access-key]',
      },
      { role: 'user', content: [{ type: 'tool_result', content: 'token=[REDACTED:jwt]' }] },
    ],
    n: 3,
    ok: true,
    none: null,
  });
  assert.deepEqual(
    hits.map((h) => h.kind),
    ['aws-access-key', 'env-value', 'jwt'],
  );
  assert.deepEqual(input, before);
  assert.deepEqual(scanner.redact('plain'), { value: 'plain', hits: [] });
  assert.deepEqual(scanner.redact(42), { value: 42, hits: [] });
});

test('redact survives hostile JSON: a __proto__ key and very deep nesting', () => {
  const scanner = new SecretScanner();
  const parsed = JSON.parse(`{"__proto__": "${FAKE.awsId}", "a": 1}`) as object;
  const { value } = scanner.redact(parsed);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, '[REDACTED:aws-access-key]');
  const deep = JSON.parse(`${'['.repeat(100_000)}"${FAKE.awsId}"${']'.repeat(100_000)}`) as unknown;
  let inner = scanner.redact(deep).value;
  for (let i = 0; i < 100_000; i++) inner = (inner as unknown[])[0];
  assert.equal(inner, '[REDACTED:aws-access-key]');
});

test('envFileValues reads .env syntax and keeps only the values worth watching', () => {
  const env = [
    '# comment line',
    'export API_TOKEN="tok-Abc123xyz"',
    "DB_PASSWORD='quoted # not a comment'",
    'SESSION_SECRET=plainsecretvalue # trailing comment',
    'DEBUG=true',
    'ENABLED=disabled',
    'PORT=8080',
    'RATIO=0.123456789',
    'NODE_ENV=development',
    'API_URL=https://api.example.com/v1',
    'DATABASE_URL=postgres://app:s3cr3t-Pa55@db.internal:5432/app',
    'REDIS_HOST=localhost:6379',
    'BIND=127.0.0.1:8000',
    'BUILD_DIR=/var/lib/app/build-2024',
    'SERVICE_HOST=api-2.internal.example.com',
    'RELEASE_ID=9f86d081884c7d659a2feaa0c55ad015',
    'SHORT_KEY=abc',
    'PRIVATE_KEY="-----BEGIN PRIVATE KEY-----',
    'MIIEvQIBADANBg',
    '-----END PRIVATE KEY-----"',
    'not a line',
    'export EMPTY=',
  ].join('\n');
  assert.deepEqual(envFileValues(env), [
    'tok-Abc123xyz',
    'quoted # not a comment',
    'plainsecretvalue',
    'postgres://app:s3cr3t-Pa55@db.internal:5432/app',
    's3cr3t-Pa55',
    '9f86d081884c7d659a2feaa0c55ad015',
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----',
  ]);
  assert.deepEqual(envFileValues('KEY="never closed\nOTHER_TOKEN=Zq81mmKd0aPl'), ['"never closed', 'Zq81mmKd0aPl']);
  assert.deepEqual(envFileValues(''), []);
});

test('a known value is found base64-, hex- and URL-encoded, at any offset inside an encoded file', () => {
  const value = 'Zq8#kP2v/Lm9+Rt4&xW';
  const s = new SecretScanner();
  s.addKnownValues([value]);
  const file = (prefix: string): string => `${prefix}API_TOKEN=${value}\nDEBUG=1\n`;
  const sent = [
    ...['', 'x', 'xy', 'xyz'].map((p) => Buffer.from(file(p)).toString('base64')),
    Buffer.from(file('ab')).toString('base64url'),
    Buffer.from(file('a')).toString('hex'),
    Buffer.from(file('a')).toString('hex').toUpperCase(),
    `https://example.test/?q=${encodeURIComponent(value)}`,
  ];
  for (const text of sent) assert.equal(s.scan(`look: ${text} ok`).length, 1, text);
  const { value: out } = s.redact({ text: `data ${sent[1]} end` });
  assert.match(JSON.stringify(out), /\[REDACTED:env-value\]/);
  assert.deepEqual(s.scan(Buffer.from('nothing secret here at all, just prose').toString('base64')), []);
});

test('credential files: a .netrc password and a private key body are watched, however re-encoded', () => {
  const pw = 'n3tRc-' + body(14);
  assert.deepEqual(credentialValues('/root/.netrc', `machine host.test login me password ${pw}\n`), [pw]);
  const key = [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    body(70, 'b3BlbnNzaC1rZXk+/'),
    '-----END OPENSSH PRIVATE KEY-----',
  ];
  const s = new SecretScanner();
  s.addKnownValues(credentialValues('/root/.ssh/id_ed25519', key.join('\n')));
  assert.equal(s.scan(Buffer.from(key.join('\n')).toString('base64')).length, 1);
});
