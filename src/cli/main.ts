#!/usr/bin/env node
/** The `warden` command line. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { loadConfig, type Config } from '../config.js';
import { rawConfig } from '../config-env.js';
import { SessionAborted } from '../session/agent.js';
import { runningDaemon } from '../session/daemon-record.js';
import { discard as discardEarlyLoader } from '../sensor/prestart.js';
import { runHosted } from '../session/hosted.js';
import { constants } from 'node:os';
import { EVENT_TYPES } from '../model/events.js';
import { Store } from '../store/store.js';
import { sessionWarnings, type Session } from '../model/session.js';
import { policyCommand } from './policy.js';
import { sessionCommand } from './session.js';
import { join, resolve } from 'node:path';
import { DEFAULT_POLICY, policyPath } from '../policy/builtin.js';
import { compilePolicy, type CompiledPolicy } from '../policy/compile.js';
import { loadPolicy } from '../policy/load.js';
import { eventLine, renderTree, sessionSummary, sessionsTable } from './render.js';
import { hooksCommand } from './hooks.js';
import { daemonCommand, statusCommand } from './daemon.js';
import { baselineCommand, suggestCommand } from './baseline.js';
import { mcpCommand } from './mcp.js';
import { buildTimeline } from '../api/timeline.js';
import { renderTimeline } from './timeline.js';
import { alertsTable, atLeast } from './alerts.js';
import { SEVERITIES } from '../model/records.js';
import { useStore } from '../session/reconcile.js';

class UsageError extends Error {
  override name = 'UsageError';
}

/** This installation's version: its package.json (a checkout's, or the Debian package's). */
function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(rawConfig().root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

const program = new Command('warden')
  .description('Runtime security for AI agents: see, attribute and limit what an agent does.')
  .version(version(), '-V, --version', "Warden's version")
  .option('--state-dir <dir>', 'where the store lives (default /var/lib/warden, or $WARDEN_STATE_DIR)')
  .showHelpAfterError();

function config(): Config {
  const o = program.opts<{ stateDir?: string }>();
  return loadConfig(o.stateDir ? { stateDir: o.stateDir } : {});
}

function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`${what} needs root (BPF programs and cgroups); run it with sudo`);
  }
}

const withStore = <T>(fn: (s: Store) => T): T => useStore(config().stateDir, fn);

function pickSession(store: Store, o: { session?: string; last?: boolean }): Session {
  if (o.session && o.last) throw new UsageError('give --session or --last, not both');
  const s = o.session ? store.session(o.session) : store.lastSession();
  if (!s)
    throw new Error(
      o.session ? `no session ${o.session}` : 'no sessions recorded yet (start one with: warden run -- CMD)',
    );
  return s;
}

const jsonLines = (items: unknown[]): void => {
  for (const i of items) process.stdout.write(JSON.stringify(i) + '\n');
};

function parseTypes(v: string, prev: string[] = []): string[] {
  const types = v
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of types) {
    if (!EVENT_TYPES.includes(t as never))
      throw new InvalidArgumentError(`unknown type ${t}; one of ${EVENT_TYPES.join(', ')}`);
  }
  return [...prev, ...types];
}

interface RunFlags {
  name?: string;
  agent?: string;
  jsonEvents?: string;
  keepLingering?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  /** false with --no-policy */
  policy?: string | false;
  workspace?: string;
  standalone?: boolean;
}

/** The session's policy file, and the policy compiled (which says what is wrong with it, early). */
function sessionPolicy(
  cfg: Config,
  o: RunFlags,
  workspace: string,
): { file: string | null; policy: CompiledPolicy | null } {
  if (o.policy === false) return { file: null, policy: null };
  const file = policyPath(cfg.root, o.policy ?? DEFAULT_POLICY);
  return { file, policy: compilePolicy(loadPolicy(file), { workspace }) };
}

program
  .command('run')
  .description('run a command as a Warden session: everything its process tree does is recorded')
  .option('--name <name>', 'a name for the session')
  .option('--agent <name>', "the agent role, for baselines (default: the command's program name)")
  .option('--json-events <file>', 'also write each event to FILE as a JSON line')
  .option('--keep-lingering', 'leave processes that outlive the command running (default: kill them)')
  .option('-p, --policy <file>', `policy file or built-in name (default: ${DEFAULT_POLICY})`)
  .option('--no-policy', 'monitor only: no policy limits (Warden still protects itself)')
  .option('-w, --workspace <dir>', 'the workspace ${workspace} stands for (default: the current directory)')
  .option('-q, --quiet', 'do not print the summary and process tree at the end')
  .option('-v, --verbose', 'show the sensor log (standalone), or which daemon hosts the session')
  .option('--standalone', 'run a sensor of its own even when a warden daemon runs')
  .argument('<command...>', 'the command to run, after --')
  .action(async (command: string[], o: RunFlags) => {
    /* bin/warden runs sensor/run's client first: a hosted run comes here only in a shape it does not take */
    requireRoot('warden run');
    const cfg = config();
    const workspace = resolve(o.workspace ?? process.cwd());
    const { file, policy } = sessionPolicy(cfg, o, workspace);
    const summary = (session: Session, store: Store): void => printSummary(session, store, o.quiet === true);
    const daemon = o.standalone ? undefined : runningDaemon(cfg);
    if (daemon) {
      discardEarlyLoader(); /* the daemon's sensor watches this session */
      const { id, status } = await runHosted(
        cfg,
        daemon,
        {
          command,
          ...(o.name ? { name: o.name } : {}),
          ...(o.agent ? { agent: o.agent } : {}),
          ...(o.jsonEvents ? { jsonEvents: resolve(o.jsonEvents) } : {}),
          keepLingering: o.keepLingering === true,
          policy: file,
          workspace,
        },
        o.verbose,
      );
      withStore((store) => {
        const session = store.session(id);
        if (session) summary(session, store);
      });
      process.exitCode = status;
      return;
    }
    const { runSession } = await import('../host/standalone.js');
    const { status } = await runSession(cfg, {
      command,
      name: o.name,
      ...(o.agent ? { agent: o.agent } : {}),
      jsonEvents: o.jsonEvents,
      keepLingering: o.keepLingering,
      verbose: o.verbose,
      enforcement: { policy, workspace },
      onEnd: summary,
    });
    process.exitCode = status;
  });

/** What `warden run` prints at a session's end: the summary and process tree; quiet, only what needs attention. */
function printSummary(session: Session, store: Store, quiet: boolean): void {
  if (quiet && !sessionWarnings(session)) return;
  const events = store.eventsOf(session.id);
  process.stderr.write(sessionSummary(session, events) + '\n');
  if (!quiet) process.stderr.write(renderTree(store.processesOf(session.id), events) + '\n');
}

program
  .command('sessions')
  .description('list recorded sessions, newest first')
  .option('--json', 'one JSON object per line')
  .option('-n, --limit <n>', 'how many', (v) => Number(v), 50)
  .action((o: { json?: boolean; limit: number }) =>
    withStore((store) => {
      const list = store.sessions(o.limit);
      if (o.json) jsonLines(list);
      else console.log(list.length ? sessionsTable(list) : 'no sessions recorded yet');
    }),
  );

const sessionOptions = (c: Command): Command =>
  c
    .option('-s, --session <id>', 'session id (a unique prefix will do)')
    .option('--last', 'the most recent session (default)');

sessionOptions(program.command('events'))
  .description("a session's events in order")
  .addOption(
    new Option('-t, --type <types>', `only these types, comma-separated (${EVENT_TYPES.join(', ')})`).argParser(
      parseTypes,
    ),
  )
  .option('--json', 'one JSON object per line')
  .action((o: { session?: string; last?: boolean; type?: string[]; json?: boolean }) =>
    withStore((store) => {
      const s = pickSession(store, o);
      const events = store.eventsOf(s.id, { types: o.type });
      if (o.json) jsonLines(events);
      else for (const e of events) console.log(eventLine(e));
    }),
  );

sessionOptions(program.command('tree'))
  .description("a session's process tree with each process's actions")
  .option('--json', 'one JSON object per process, with its events')
  .option('--max-actions <n>', 'actions shown per process', (v) => Number(v), 25)
  .option('--all', 'also show routine reads of shared libraries and locale files')
  .action((o: { session?: string; last?: boolean; json?: boolean; maxActions: number; all?: boolean }) =>
    withStore((store) => {
      const s = pickSession(store, o);
      const procs = store.processesOf(s.id);
      const events = store.eventsOf(s.id);
      if (o.json) {
        jsonLines(procs.map((p) => ({ ...p, events: events.filter((e) => e.execId === p.execId) })));
      } else console.log(renderTree(procs, events, o.maxActions, o.all === true));
    }),
  );

sessionOptions(program.command('summary'))
  .description("a session's summary and process tree, as `warden run` prints them at its end")
  .option('-q, --quiet', 'only what needs attention (lost events, processes that outlived it), as `warden run -q`')
  .action((o: { session?: string; last?: boolean; quiet?: boolean }) =>
    withStore((store) => printSummary(pickSession(store, o), store, o.quiet === true)),
  );

sessionOptions(program.command('timeline'))
  .description("a session's model turns, the tool calls they asked for, and the kernel actions under each")
  .option('--json', 'the whole timeline as one JSON object')
  .option('--max-actions <n>', 'actions shown per tool call', (v) => Number(v), 20)
  .action((o: { session?: string; last?: boolean; json?: boolean; maxActions: number }) =>
    withStore((store) => {
      const t = buildTimeline(store, pickSession(store, o));
      if (o.json) console.log(JSON.stringify(t));
      else console.log(renderTimeline(t, o.maxActions));
    }),
  );

sessionOptions(program.command('alerts'))
  .description("a session's alerts: detectors, the application layer, correlation findings")
  .option('--json', 'one JSON object per line')
  .addOption(new Option('--min <severity>', 'only this severity and above').choices([...SEVERITIES]).default('info'))
  .action((o: { session?: string; last?: boolean; json?: boolean; min: (typeof SEVERITIES)[number] }) =>
    withStore((store) => {
      const alerts = atLeast(store.app.alertsOf(pickSession(store, o).id), o.min);
      if (o.json) jsonLines(alerts);
      else console.log(alertsTable(alerts));
    }),
  );

program
  .command('trace')
  .description('why did this happen: an event traced back to its origin, across sessions')
  .argument('<event-id>', 'the event id (warden events --json shows ids; alerts list their evidence as #id)', (v) => {
    const n = Number(v.replace(/^#/, ''));
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('an event id is a positive number');
    return n;
  })
  .option('--json', 'the provenance as one JSON object')
  .option('--depth <n>', 'how many sessions back to follow', (v) => Number(v), 3)
  .action(async (id: number, o: { json?: boolean; depth: number }) => {
    const { traceEvent } = await import('../detect/provenance.js');
    const { renderProvenance } = await import('./trace.js');
    withStore((store) => {
      const p = traceEvent(store, id, o.depth);
      console.log(o.json ? JSON.stringify(p) : renderProvenance(p));
    });
  });

program
  .command('eval')
  .description(
    'replay the labeled corpus through the correlator and every detector: recall, precision, false alerts per agent CLI',
  )
  .option('--corpus <dir>', 'the corpus directory (default: corpus/ in the Warden root)')
  .option('--json', 'the whole result as one JSON object')
  .option('--save <file>', 'write the scores a change must not make worse (corpus/scores.json)')
  .action(async (o: { corpus?: string; json?: boolean; save?: string }) => {
    const { runEval } = await import('./eval.js');
    process.exitCode = runEval(o.corpus ?? resolve(config().root, 'corpus'), o.json === true, o.save);
  });

sessionOptions(program.command('record-trace'))
  .description('write a recorded session as a corpus trace for warden eval')
  .requiredOption('--label <label>', 'benign or attack')
  .requiredOption('--description <text>', 'what the session did')
  .option('--agent <name>', 'the agent whose normal behaviour a benign session shows (for baselines)')
  .option('--expect <ids>', 'detectors that must fire, comma-separated (attack traces)', '')
  .option('-w, --workspace <dir>', "the session's workspace")
  .requiredOption('-o, --out <file>', 'the trace file, e.g. corpus/benign/recorded/x.json.gz (.gz: compressed)')
  .action(
    async (o: {
      session?: string;
      last?: boolean;
      label: string;
      agent?: string;
      description: string;
      expect: string;
      workspace?: string;
      out: string;
    }) => {
      const { committedFiles, traceOf, writtenFiles } = await import('../detect/corpus.js');
      const { writeFileSync } = await import('node:fs');
      const { homedir } = await import('node:os');
      const { gzipSync } = await import('node:zlib');
      if (o.label !== 'benign' && o.label !== 'attack') throw new UsageError('--label is benign or attack');
      withStore((store) => {
        const s = pickSession(store, o);
        const root = store.processesOf(s.id).find((p) => p.pid === s.rootPid);
        const events = store.eventsOf(s.id);
        const files = writtenFiles(events);
        const ws = o.workspace ? resolve(o.workspace) : null;
        const trace = traceOf(events, {
          label: o.label as 'benign' | 'attack',
          agent: o.agent ?? null,
          description: o.description,
          expect: o.expect.split(',').filter(Boolean),
          workspace: ws,
          wardenPids: root ? [root.ppid] : [],
          runtimePorts: s.proxyPort ? [s.proxyPort] : [],
          toolCalls: store.app.toolCallsOf(s.id).map((c) => ({
            id: c.id,
            name: c.name,
            input: c.input,
            sources: c.sources,
            startedUs: c.startedUs,
            endedUs: c.endedUs,
          })),
          files,
          committed: ws ? committedFiles(ws, Object.keys(files)) : {},
          home: homedir(),
        });
        const text = JSON.stringify(trace) + '\n';
        writeFileSync(o.out, o.out.endsWith('.gz') ? gzipSync(text) : text);
        console.log(`wrote ${o.out}: ${trace.events.length} events`);
      });
    },
  );

program
  .command('doctor')
  .description('probe every kernel mechanism Warden can use, by really trying it')
  .option('--json', 'one JSON object per probe')
  .action(async (o: { json?: boolean }) => {
    const { runDoctor } = await import('./doctor.js');
    process.exitCode = await runDoctor(config(), o.json === true);
  });

program.addCommand(policyCommand(config).addCommand(suggestCommand(config)));
program.addCommand(baselineCommand(config));
program.addCommand(sessionCommand(config));
program.addCommand(hooksCommand(config));
program.addCommand(daemonCommand(config));
program.addCommand(statusCommand(config));
program.addCommand(mcpCommand(config));

/* `warden events | head` closes our stdout early: that is not an error */
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

/** The one error handler: a message a person can act on, and a non-zero exit. */
program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`warden: ${err.message}\n`);
  if (process.env.WARDEN_DEBUG) process.stderr.write(`${err.stack}\n`);
  process.exitCode =
    err instanceof UsageError ? 2 : err instanceof SessionAborted ? 128 + (constants.signals[err.signal] ?? 0) : 1;
});
