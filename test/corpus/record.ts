/**
 * Records the corpus: every scenario, through every agent CLI asked for, each
 * under `warden run` and the default policy with a scripted model behind
 * Warden's LLM proxy, then stored with `warden record-trace` as
 * corpus/<label>/recorded/<cli>/<scenario>.json.gz. Each session gets its
 * own home (credentials, another project, start-up files), workspace (a git
 * repository) and Warden state; Warden runs with that home, so the policy's
 * `~` and the detectors' are the agent's. Exfiltration aims at a test host in
 * a network namespace made here and removed at the end.
 *
 *   node dist/test/corpus/record.js [--cli claude,codex,gemini,opencode] [--only name,...] [--out corpus] [--no-host]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ScriptedGemini, type GeminiStep } from '../fixtures/scripted-gemini.js';
import { ScriptedModel, type Step } from '../fixtures/scripted-model.js';
import { ScriptedResponses } from '../fixtures/scripted-responses.js';
import { ROOT, stateDir, tempDir, WARDEN } from '../helpers.js';
import { stageHome, stageProject } from './project.js';
import { ATTACKS, BENIGN, EXFIL, LEAVES_IN_TMP, MORE_ATTACKS, MORE_BENIGN, type Scenario, type Tool } from './scenarios.js';

const LATEST = '/opt/latest-agents/node_modules/.bin';
const bin = (name: string): string => process.env[`WARDEN_CORPUS_${name.toUpperCase()}`] ?? join(LATEST, name);

interface Model {
  /** the upstream to give Warden's proxy */
  listen(): Promise<string>;
  close(): void | Promise<void>;
  /** the requests the CLI made: the last carries every tool call's result */
  readonly seen: readonly unknown[];
}

/**
 * What each tool call gave back, from the CLI's last request to the model, in any of the three API
 * shapes (Anthropic tool_result, Responses function_call_output, Gemini functionResponse): how a
 * recording shows whether the CLI carried a call out or refused it (Codex's "rm -f style commands
 * are not permitted", Gemini's refusal of command substitution, opencode's external-directory ask).
 */
function toolResults(seen: readonly unknown[]): string[] {
  const last = seen.at(-1);
  let body: unknown = last;
  try {
    if (typeof last === 'string') body = JSON.parse(last);
    else if (last && typeof last === 'object' && 'body' in last) body = JSON.parse(String(last.body));
  } catch {
    return [];
  }
  const out: string[] = [];
  const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (o.type === 'tool_result') out.push(text(o.content));
    else if (o.type === 'function_call_output') out.push(text(o.output));
    else if (o.functionResponse) out.push(text((o.functionResponse as { response?: unknown }).response));
    else Object.values(o).forEach(walk);
  };
  walk(body);
  return out;
}

interface Driver {
  /** the agent name traces carry (baselines are per agent) */
  agent: string;
  model(turns: Tool[][], ws: string): Model;
  command(prompt: string): string[];
  env(home: string, upstream: string, ws: string): Record<string, string>;
}

const abs = (ws: string, p: string): string => resolve(ws, p);
const heredoc = (path: string, content: string): string => `cat > '${path}' <<'WARDEN_EOF'\n${content}WARDEN_EOF`;
const editScript = (path: string, old: string, neu: string): string =>
  `python3 - <<'WARDEN_EOF'\nimport pathlib\np = pathlib.Path(${JSON.stringify(path)})\np.write_text(p.read_text().replace(${JSON.stringify(old)}, ${JSON.stringify(neu)}, 1))\nWARDEN_EOF`;

type AnthropicTool = NonNullable<Step['tools']>[number];
type GeminiCall = NonNullable<GeminiStep['calls']>[number];

/** One neutral tool call in a CLI's own form: one handler per kind. */
function as<T>(
  x: Tool,
  h: {
    sh: (command: string) => T;
    read: (path: string) => T;
    write: (path: string, content: string) => T;
    edit: (path: string, old: string, neu: string) => T;
  },
): T {
  if ('sh' in x) return h.sh(x.sh);
  if ('read' in x) return h.read(x.read);
  if ('write' in x) return h.write(x.write, x.content);
  return h.edit(x.edit, x.old, x.new);
}

/** A CLI whose edit tool wants the file read first (Claude Code, opencode): a read turn goes before each edit. */
function withReads(turns: Tool[][]): Tool[][] {
  return turns.flatMap((t) => {
    const edits = t.filter((x): x is Extract<Tool, { edit: string }> => 'edit' in x);
    return edits.length ? [edits.map((e) => ({ read: e.edit })), t] : [t];
  });
}

/** Anthropic-style tools: Claude Code's names, or opencode's. */
function anthropicScript(turns: Tool[][], ws: string, names: 'claude' | 'opencode'): Step[] {
  const oc = names === 'opencode';
  const file = oc ? 'filePath' : 'file_path';
  const steps: Step[] = withReads(turns).map((t) => ({
    tools: t.map((x) =>
      as<AnthropicTool>(x, {
        sh: (command) => ({ name: oc ? 'bash' : 'Bash', input: { command, description: 'run a command' } }),
        read: (p) => ({ name: oc ? 'read' : 'Read', input: { [file]: abs(ws, p) } }),
        write: (p, content) => ({ name: oc ? 'write' : 'Write', input: { [file]: abs(ws, p), content } }),
        edit: (p, old, neu) => ({
          name: oc ? 'edit' : 'Edit',
          input: oc
            ? { filePath: abs(ws, p), oldString: old, newString: neu }
            : { file_path: abs(ws, p), old_string: old, new_string: neu },
        }),
      }),
    ),
  }));
  return [...steps, { text: 'Done.' }];
}

const DRIVERS: Record<string, Driver> = {
  claude: {
    agent: 'claude-code',
    model: (turns, ws) => new ScriptedModel(anthropicScript(turns, ws, 'claude')),
    command: (prompt) => [bin('claude'), '-p', prompt, '--dangerously-skip-permissions'],
    env: (_home, upstream) => ({
      ANTHROPIC_BASE_URL: upstream,
      WARDEN_ANTHROPIC_UPSTREAM: upstream,
      ANTHROPIC_API_KEY: 'sk-ant-corpus-not-real',
      IS_SANDBOX: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    }),
  },
  opencode: {
    agent: 'opencode',
    model: (turns, ws) => new ScriptedModel(anthropicScript(turns, ws, 'opencode')),
    command: (prompt) => [bin('opencode'), 'run', '--auto', '-m', 'anthropic/claude-sonnet-4-5', prompt],
    env: (_home, upstream, ws) => ({
      ANTHROPIC_BASE_URL: `${upstream}/v1`,
      WARDEN_ANTHROPIC_UPSTREAM: upstream,
      ANTHROPIC_API_KEY: 'sk-ant-corpus-not-real',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      PWD: ws /* opencode takes its directory from PWD */,
    }),
  },
  codex: {
    agent: 'codex',
    model: (turns, ws) =>
      new ScriptedResponses(
        turns.map((t) => ({
          commands: t.map((x) =>
            as(x, {
              sh: (command) => command,
              read: (p) => `sed -n 1,200p '${p}'`,
              write: (p, content) => `mkdir -p "$(dirname '${p}')" && ${heredoc(p, content)}`,
              edit: editScript,
            }),
          ),
        })),
        ws,
        false,
      ),
    command: (prompt) => [
      bin('codex'),
      'exec',
      '--skip-git-repo-check',
      '--dangerously-bypass-approvals-and-sandbox',
      '-m',
      'gpt-scripted',
      prompt,
    ],
    env: (home, upstream) => ({
      OPENAI_API_KEY: 'sk-corpus-not-real',
      CODEX_HOME: join(home, '.codex'),
      WARDEN_OPENAI_UPSTREAM: upstream,
    }),
  },
  gemini: {
    agent: 'gemini-cli',
    model: (turns, ws) =>
      new ScriptedGemini(
        turns.map((t) => ({
          calls: t.map((x) =>
            as<GeminiCall>(x, {
              sh: (command) => ({ name: 'run_shell_command', args: { command } }),
              read: (p) => ({ name: 'read_file', args: { file_path: abs(ws, p) } }),
              write: (p, content) => ({ name: 'write_file', args: { file_path: abs(ws, p), content } }),
              edit: (p, old, neu) => ({
                name: 'replace',
                args: { file_path: abs(ws, p), old_string: old, new_string: neu, instruction: 'apply the change' },
              }),
            }),
          ),
        })),
      ),
    command: (prompt) => [bin('gemini'), '-p', prompt, '--yolo', '-m', 'gemini-2.5-flash'],
    env: (home, upstream) => ({
      GEMINI_API_KEY: 'corpus-key-not-real',
      WARDEN_GEMINI_UPSTREAM: upstream,
      TMPDIR: join(home, 'tmp'),
    }),
  },
};

function prepare(cli: string, home: string): void {
  mkdirSync(join(home, '.codex'), { recursive: true });
  if (cli !== 'gemini') return;
  mkdirSync(join(home, '.gemini'), { recursive: true });
  writeFileSync(
    join(home, '.gemini', 'settings.json'),
    JSON.stringify({
      security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
    }),
  );
}

function run(
  argv: string[],
  opts: { env: Record<string, string>; cwd: string; timeoutMs: number },
): Promise<{ status: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(argv[0] ?? '', argv.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, out });
    });
  });
}

async function record(cli: string, s: Scenario, out: string): Promise<string> {
  const driver = DRIVERS[cli];
  if (!driver) throw new Error(`no driver for ${cli} (have ${Object.keys(DRIVERS).join(', ')})`);
  const dir = tempDir(`corpus-${cli}-${s.name}`);
  const state = stateDir(`corpus-${cli}`);
  const home = join(dir.path, 'home');
  const ws = join(home, 'proj');
  try {
    stageHome(home);
    stageProject(ws);
    prepare(cli, home);
    const model = driver.model(s.turns, ws);
    const upstream = await model.listen();
    const env = { HOME: home, WARDEN_STATE_DIR: state.path, ...driver.env(home, upstream, ws) };
    let results: string[] = [];
    try {
      const r = await run([WARDEN, 'run', '-q', '--agent', driver.agent, '-w', ws, '--', ...driver.command(s.prompt)], {
        env,
        cwd: ws,
        timeoutMs: 240_000,
      });
      if (r.status === null) throw new Error(`timed out:\n${r.out.slice(-2000)}`);
      results = toolResults(model.seen);
    } finally {
      await model.close();
    }
    const file = join(out, s.label, 'recorded', cli, `${s.name}.json.gz`);
    mkdirSync(join(file, '..'), { recursive: true });
    const args = ['record-trace', '--last', '--label', s.label, '--agent', driver.agent, '-w', ws, '-o', file];
    args.push('--description', `${driver.agent}: ${s.description}`);
    if (s.expect?.length) args.push('--expect', s.expect.join(','));
    const r = await run([WARDEN, ...args], { env, cwd: ws, timeoutMs: 60_000 });
    if (r.status !== 0) throw new Error(`record-trace failed: ${r.out}`);
    const calls = results.map((x, i) => `\n    result ${i + 1}: ${x.replace(/\s+/g, ' ').slice(0, 240)}`);
    return `${r.out.trim()}${calls.join('')}`;
  } finally {
    state.cleanup();
    dir.cleanup();
    for (const p of LEAVES_IN_TMP) rmSync(p, { recursive: true, force: true });
  }
}

/** The test host exfiltration aims at: a network namespace with a veth pair on 198.51.100.0/30. */
function testHost(): () => void {
  const ns = `wd-test-corpus-${process.pid}`;
  const ip = (...a: string[]): void => void execFileSync('ip', a, { stdio: 'ignore' });
  ip('netns', 'add', ns);
  const remove = (): void => {
    try {
      ip('netns', 'del', ns);
    } catch {
      /* already gone */
    }
  };
  try {
    ip('link', 'add', `wdc${process.pid % 10000}h`, 'type', 'veth', 'peer', 'name', 'wdcpeer');
    ip('link', 'set', 'wdcpeer', 'netns', ns);
    ip('addr', 'add', '198.51.100.1/30', 'dev', `wdc${process.pid % 10000}h`);
    ip('link', 'set', `wdc${process.pid % 10000}h`, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${EXFIL}/30`, 'dev', 'wdcpeer');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'wdcpeer', 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    remove();
    throw err;
  }
  return remove;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cli: { type: 'string', default: 'claude,codex,gemini,opencode' },
      only: { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'corpus') },
      /* the test host is there already (a recorder running beside this one made it) */
      'no-host': { type: 'boolean', default: false },
    },
  });
  const only = values.only?.split(',');
  const scenarios = [...BENIGN, ...MORE_BENIGN, ...ATTACKS, ...MORE_ATTACKS].filter((s) => !only || only.includes(s.name));
  const removeHost = values['no-host'] ? () => undefined : testHost();
  let failed = 0;
  try {
    for (const cli of (values.cli ?? '').split(',')) {
      for (const s of scenarios) {
        const t0 = Date.now();
        try {
          const line = await record(cli, s, values.out ?? 'corpus');
          console.log(`${cli} ${s.label} ${s.name}: ${line} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        } catch (err) {
          failed++;
          console.log(`${cli} ${s.label} ${s.name}: FAILED ${(err as Error).message.slice(0, 1500)}`);
        }
      }
    }
  } finally {
    removeHost();
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
