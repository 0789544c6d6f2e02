/**
 * Which mechanism holds each rule of a policy on a kernel of this kind
 * (no BPF-LSM): what `warden policy check` prints, rule by rule. A rule only
 * detected is said to be, never shown as enforced.
 */
import type { CompiledPolicy, PathRule } from '../policy/compile.js';

export interface RuleMechanism {
  rule: string;
  /** the rule as written */
  text: string;
  how: string;
}

const anywhere = (r: PathRule): boolean => r.glob.startsWith('**');
const globbed = (r: PathRule): boolean => r.glob !== r.base;

const CHANGES =
  'changes (write, rename over or of it, link, unlink, new paths beneath) refused by the read-only binds of the ' +
  "session's mount namespace and its supervisor";

export function ruleMechanisms(p: CompiledPolicy): RuleMechanism[] {
  if (p.mode === 'audit') {
    return [{ rule: 'mode', text: 'audit', how: 'every rule is recorded as would-deny; nothing is refused' }];
  }
  const out: RuleMechanism[] = [];
  const add = (rule: string, text: string, how: string): void => void out.push({ rule, text, how });
  for (const r of p.files.denyRead) {
    const reads = anywhere(r)
      ? 'reads of matches are detected only (the file gate cannot mark a **/ glob)'
      : 'reads refused by the fanotify gate, by path and by inode (hardlinks)';
    add(r.id, r.pattern, `${reads}; ${CHANGES}`);
  }
  for (const r of p.files.denyWrite) {
    const scope = globbed(r) ? ' (existing matches bound read-only, new ones refused by the supervisor)' : '';
    const judged =
      r.allowChanges === 'git-config'
        ? '; except a rewrite git makes (a rename onto it) that the supervisor judges by content to set nothing able to run a command: that one it writes itself'
        : '';
    const own =
      r.scope === 'tools'
        ? "; for the agent's tool processes only: the agent program itself (by kernel lineage) may write it (or make it, in a directory there at start), through the supervisor"
        : '';
    add(r.id, r.pattern, `${CHANGES}${scope}${judged}${own}`);
  }
  for (const r of p.files.allowWrite ?? []) {
    add(r.id, r.pattern, 'Landlock (the launch floor): writes elsewhere refused, for the whole session');
  }
  for (const r of p.exec.allow ?? []) add(r.id, r.pattern, 'Landlock execute right (the launch floor)');
  for (const r of p.exec.deny) {
    add(
      r.id,
      r.pattern,
      anywhere(r)
        ? 'matches in the workspace and writable places masked, their bytes refused a run under any name (the launch floor); elsewhere detected only'
        : 'the fanotify gate refuses running and reading it, by path and inode; the launch floor refuses its bytes under any other name and the loader run as a program; executable memfds refused',
    );
  }
  const net = (rule: string, text: string, deny: boolean): void =>
    add(
      rule,
      text,
      /^[\d.:/[\]]+$/.test(text.replace(/:\d+$/, ''))
        ? `cgroup connect/sendmsg programs ${deny ? 'refuse' : 'allow'} it in the kernel`
        : `Warden's resolver ${deny ? 'refuses the name' : 'answers the name, and its addresses are allowed in the kernel'}`,
    );
  p.network.allow?.forEach((r) => net(r.id, r.target.text, false));
  p.network.deny.forEach((r) => net(r.id, r.target.text, true));
  add(
    'network.unix',
    p.network.unixAllow.length ? p.network.unixAllow.join(', ') : 'none outside the session',
    'cgroup connect_unix/sendmsg_unix programs (kernel 6.7+) refuse other pathname sockets; those bound at start are masked',
  );
  add(
    'network.listen',
    p.network.listen,
    p.network.listen === 'local'
      ? 'cgroup bind4/6 refuse host-facing addresses; a cgroup_skb program drops calls in from other hosts'
      : 'no limit on who reaches the session’s listeners',
  );
  for (const r of p.tools.deny)
    add(r.id, r.text, 'refused before it runs, through the agent’s hooks and the MCP proxy');
  return out;
}
