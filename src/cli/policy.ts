/** `warden policy ...`: check a policy, print its JSON Schema. */
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { convertSrt, toYaml } from '../policy/import-srt.js';
import { resolve } from 'node:path';
import type { Config } from '../config.js';
import { requestReload } from '../host/reload.js';
import { policyPath } from '../policy/builtin.js';
import { compilePolicy } from '../policy/compile.js';
import { ruleMechanisms } from '../enforce/explain.js';
import { loadPolicy, parsePolicy } from '../policy/load.js';
import { policyJsonSchema } from '../policy/schema.js';
import { openStore } from '../session/reconcile.js';

/** `warden policy check`: the policy's rules counted, and what holds each. */
function check(path: string, workspace: string): void {
  const p = compilePolicy(loadPolicy(path), { workspace });
  const n = (l: unknown[] | null): string => (l === null ? 'no limit' : `${l.length} rules`);
  console.log(`${path}: valid policy "${p.name}" (mode ${p.mode}, on violation ${p.onViolation})`);
  console.log(
    `  files: denyRead ${n(p.files.denyRead)}, allowWrite ${n(p.files.allowWrite)}, denyWrite ${n(p.files.denyWrite)}`,
  );
  console.log(`  exec: allow ${n(p.exec.allow)}, deny ${n(p.exec.deny)}`);
  console.log(`  network: allow ${n(p.network.allow)}, deny ${n(p.network.deny)}`);
  console.log('  what holds each rule (kernel without BPF-LSM; warden doctor says what this one has):');
  const byHow = new Map<string, string[]>();
  for (const m of ruleMechanisms(p)) byHow.set(m.how, [...(byHow.get(m.how) ?? []), `${m.rule} ${m.text}`]);
  for (const [how, rules] of byHow) console.log(`    ${how}:\n      ${rules.join('\n      ')}`);
}

export function policyCommand(config: () => Config): Command {
  const cmd = new Command('policy').description('check and inspect policies');

  cmd
    .command('check')
    .description('validate a policy file (or a built-in name); prints file:line for each problem')
    .argument('<file>', 'policy file, or a built-in policy name such as coding-agent')
    .option('--workspace <dir>', 'the workspace ${workspace} stands for', process.cwd())
    .action((file: string, o: { workspace: string }) => check(policyPath(config().root, file), o.workspace));

  cmd
    .command('reload')
    .description("swap a running session's policy; on any error the policy in force stays")
    .argument('<file>', 'policy file or built-in name')
    .option('-s, --session <id>', 'session id (default: the most recent running session)')
    .option('--workspace <dir>', 'the workspace ${workspace} stands for', process.cwd())
    .action(async (file: string, o: { session?: string; workspace: string }) => {
      const cfg = config();
      const path = resolve(policyPath(cfg.root, file));
      compilePolicy(loadPolicy(path), { workspace: o.workspace }); /* file:line errors here, before anything moves */
      const store = openStore(cfg.stateDir);
      const session = o.session ? store.session(o.session) : store.sessions(200).find((x) => x.status === 'running');
      store.close();
      if (!session) throw new Error(o.session ? `no session ${o.session}` : 'no running session');
      if (session.status !== 'running') throw new Error(`session ${session.id} is ${session.status}, not running`);
      const answer = await requestReload(cfg, session.id, path, resolve(o.workspace));
      console.log(`session ${session.id}: ${answer.message}`);
      for (const n of answer.notes) console.log(`  note: ${n}`);
      if (!answer.ok) process.exitCode = 1;
    });

  cmd
    .command('import-srt')
    .description('convert a sandbox-runtime (srt) settings file into a Warden policy')
    .argument('<file>', 'srt settings JSON, e.g. ~/.srt-settings.json')
    .option('-o, --out <file>', 'write the policy here (default: stdout)')
    .option('--name <name>', 'policy name', 'imported-srt')
    .action((file: string, o: { out?: string; name: string }) => {
      const converted = convertSrt(JSON.parse(readFileSync(file, 'utf8')), o.name);
      const text = toYaml(converted, file);
      parsePolicy(text, o.out ?? '<converted>'); /* never hand out a policy Warden would refuse */
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
      for (const n of converted.notes) process.stderr.write(`warden: ${n}\n`);
    });

  cmd
    .command('schema')
    .description("print the policy's JSON Schema (for editors)")
    .option('-o, --out <file>', 'write it to a file')
    .action((o: { out?: string }) => {
      const text = JSON.stringify(policyJsonSchema(), null, 2) + '\n';
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    });
  return cmd;
}
