/** `warden policy ...`: check a policy, print its JSON Schema. */
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { convertSrt, toYaml } from '../policy/import-srt.js';
import type { Config } from '../config.js';
import { policyPath } from '../policy/builtin.js';
import { compilePolicy } from '../policy/compile.js';
import { loadPolicy, parsePolicy } from '../policy/load.js';
import { policyJsonSchema } from '../policy/schema.js';

export function policyCommand(config: () => Config): Command {
  const cmd = new Command('policy').description('check and inspect policies');

  cmd
    .command('check')
    .description('validate a policy file (or a built-in name); prints file:line for each problem')
    .argument('<file>', 'policy file, or a built-in policy name such as coding-agent')
    .option('--workspace <dir>', 'the workspace ${workspace} stands for', process.cwd())
    .action((file: string, o: { workspace: string }) => {
      const path = policyPath(config().root, file);
      const p = compilePolicy(loadPolicy(path), { workspace: o.workspace });
      const n = (l: unknown[] | null): string => (l === null ? 'no limit' : `${l.length} rules`);
      console.log(`${path}: valid policy "${p.name}" (mode ${p.mode}, on violation ${p.onViolation})`);
      console.log(
        `  files: denyRead ${n(p.files.denyRead)}, allowWrite ${n(p.files.allowWrite)}, denyWrite ${n(p.files.denyWrite)}`,
      );
      console.log(`  exec: allow ${n(p.exec.allow)}, deny ${n(p.exec.deny)}`);
      console.log(`  network: allow ${n(p.network.allow)}, deny ${n(p.network.deny)}`);
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
