/** `warden baseline learn|show|score` and `warden policy suggest`: agents' normal behaviour. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { Config } from '../config.js';
import { scoreSession } from '../detect/baseline.js';
import { learnBaseline, sessionFacts } from '../detect/session-review.js';
import { suggestPolicy } from '../detect/suggest.js';
import { Store } from '../store/store.js';
import { progress, table } from './render.js';
import { useStore } from '../session/reconcile.js';

const withStore = <T>(cfg: Config, fn: (s: Store) => T): T => useStore(cfg.stateDir, fn);

const top = (r: Record<string, number>, n = 8): string =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} (${v})`)
    .join(', ');

export function baselineCommand(config: () => Config): Command {
  const cmd = new Command('baseline').description("an agent's normal behaviour, learnt from its past sessions");
  cmd
    .command('learn')
    .description('build (or rebuild) the baseline of an agent from its ended sessions')
    .requiredOption('--agent <name>', 'the agent (warden run --agent NAME; default: the program name)')
    .option('-n, --sessions <n>', 'learn from the newest N sessions', (v) => Number(v), 200)
    .action((o: { agent: string; sessions: number }) =>
      withStore(config(), (store) => {
        const bar = progress(`learning ${o.agent} from sessions`);
        const p = learnBaseline(store, o.agent, o.sessions, bar.step);
        bar.done();
        console.log(`baseline of ${p.agent} from ${p.sessions} sessions:`);
        console.log(`  programs      ${top(p.binaries)}`);
        console.log(`  writes        ${top(p.writes)}`);
        console.log(`  destinations  ${top(p.destinations) || '-'}`);
        console.log(`  tools         ${top(p.tools) || '-'}`);
      }),
    );
  cmd
    .command('show')
    .description("an agent's baseline and its slow-burn accumulators, as JSON")
    .requiredOption('--agent <name>', 'the agent')
    .action((o: { agent: string }) =>
      withStore(config(), (store) => {
        const p = store.baselines.get(o.agent);
        if (!p) throw new Error(`no baseline for ${o.agent} yet: warden baseline learn --agent ${o.agent}`);
        console.log(JSON.stringify({ ...p, accumulators: store.baselines.accumulators(o.agent) }, null, 2));
      }),
    );
  cmd
    .command('score')
    .description("a session scored against its agent's baseline, each deviation explained")
    .option('-s, --session <id>', 'session id (default: the last)')
    .option('--agent <name>', "score against this agent's baseline instead of the session's own")
    .option('--json', 'one JSON object')
    .action((o: { session?: string; agent?: string; json?: boolean }) =>
      withStore(config(), (store) => {
        const s = o.session ? store.session(o.session) : store.lastSession();
        if (!s) throw new Error(o.session ? `no session ${o.session}` : 'no sessions recorded yet');
        const agent = o.agent ?? s.agent;
        const p = agent ? store.baselines.get(agent) : undefined;
        if (!p) throw new Error(`no baseline for ${agent ?? 'this session'}: warden baseline learn --agent NAME`);
        const r = scoreSession(p, sessionFacts(store, s));
        if (o.json) return console.log(JSON.stringify({ session: s.id, agent, ...r }));
        console.log(
          `session ${s.id} against ${agent}'s baseline (${p.sessions} sessions): score ${r.score.toFixed(2)}`,
        );
        if (r.deviations.length) {
          console.log(
            table([
              ['KIND', 'WEIGHT', 'WHY'],
              ...r.deviations.map((d) => [d.kind, d.weight.toFixed(1), d.explanation]),
            ]),
          );
        }
      }),
    );
  return cmd;
}

export function suggestCommand(config: () => Config): Command {
  return new Command('suggest')
    .description("write a least-privilege policy from an agent's baseline")
    .requiredOption('--agent <name>', 'the agent')
    .option('-o, --out <file>', 'write it here (default: stdout)')
    .action((o: { agent: string; out?: string }) =>
      withStore(config(), (store) => {
        const p = store.baselines.get(o.agent);
        if (!p) throw new Error(`no baseline for ${o.agent} yet: warden baseline learn --agent ${o.agent}`);
        const { yaml } = suggestPolicy(p, join(config().root, 'policies', 'coding-agent.yaml'));
        if (o.out) {
          writeFileSync(o.out, yaml);
          console.error(`wrote ${o.out}; check it with: warden policy check ${o.out}`);
        } else process.stdout.write(yaml);
      }),
    );
}
