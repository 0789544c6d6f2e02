/** Turns the resolver's queries into dns events, attributed to the process that asked. */
import type { WardenEvent } from '../model/events.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { cgroupPids } from './cgroup.js';
import { pidOfLocalPort } from './sockets.js';
import type { DnsQueryRecord } from './dns.js';

export function dnsEventRecorder(
  sessionId: string,
  cgroup: string,
  pipeline: Pipeline,
  policy: () => CompiledPolicy | null,
  sink: (e: WardenEvent) => void,
): (q: DnsQueryRecord) => void {
  return (q) => {
    const pid = pidOfLocalPort(q.clientPort, cgroupPids(cgroup)) ?? 0;
    const proc = pipeline.processes.get(pid);
    const nowUs = Date.now() * 1000;
    sink({
      sessionId,
      time: new Date(nowUs / 1000).toISOString(),
      timeUs: nowUs,
      pid,
      tid: pid,
      ppid: proc?.ppid ?? 0,
      uid: proc?.uid ?? 0,
      gid: 0,
      comm: proc?.comm ?? '?',
      exe: proc?.exe ?? '',
      execId: proc?.execId ?? '',
      parentExecId: proc?.parentExecId ?? null,
      type: 'dns',
      name: q.name,
      qtype: q.qtype,
      answers: q.answers,
      rcode: q.rcode,
      transport: q.transport,
      decision: {
        verdict: q.verdict,
        rule: q.rule,
        mechanism: 'dns-redirect',
        reason: q.reason,
        policy: policy()?.name ?? 'none',
      },
    });
  };
}
