/** `warden trace EVENT_ID`: the path from an event back to where it came from, across sessions. */
import type { Origin, Provenance } from '../detect/provenance.js';
import { bold, describeEvent, dim, fmtTime, red, showArgv } from './render.js';

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s).replace(/\s+/g, ' ');

function originLines(o: Origin, indent: string): string[] {
  const out: string[] = [];
  if (o.kind === 'mcp-result') {
    out.push(
      `${indent}${red('MCP tool result')} ${o.toolCall?.name} ${dim(o.toolCall?.id ?? '')}: ${clip(o.toolCall?.result?.text ?? '', 100)}`,
    );
    return out;
  }
  if (o.kind === 'socket-from-session') {
    out.push(
      `${indent}${red('data from another session')} over loopback port ${bold(String(o.port))}: ${o.local ? describeEvent(o.local) : ''}`,
    );
    if (o.peer) {
      out.push(
        `${indent}  its end: ${describeEvent(o.peer)} by ${o.peer.comm} (pid ${o.peer.pid}) in session ${bold(o.peer.sessionId)} ${dim(`event #${o.peer.id}`)}`,
      );
    }
    return out;
  }
  const read = o.read ? `read ${dim(fmtTime(o.read.timeUs).slice(11))} by ${o.read.comm} (pid ${o.read.pid})` : '';
  const label = o.kind === 'download' ? 'downloaded file' : 'file written by another session';
  out.push(`${indent}${red(label)} ${bold(o.file ?? '?')}, ${read}`);
  if (o.write) {
    out.push(
      `${indent}  written ${dim(fmtTime(o.write.timeUs).slice(11))} by ${o.write.comm} (pid ${o.write.pid}) in session ${bold(o.write.sessionId)} ${dim(`event #${o.write.id}`)}`,
    );
  }
  if (o.upstream) out.push(...provenanceLines(o.upstream, `${indent}    `, false));
  return out;
}

function provenanceLines(p: Provenance, indent: string, head: boolean): string[] {
  const out: string[] = [];
  if (head)
    out.push(
      `${bold(`event #${p.event.id}`)} ${describeEvent(p.event)} ${dim(`(session ${p.sessionId}: ${p.sessionName})`)}`,
    );
  const chain = p.lineage.map((l) => `${l.comm}[${l.pid}] ${clip(showArgv(l.argv, 60), 60)}`);
  if (chain.length) out.push(`${indent}by ${chain.join(dim(' ← '))}`);
  if (p.toolCall) {
    out.push(
      `${indent}tool call ${bold(p.toolCall.name)} ${dim(p.toolCall.id)} ${clip(JSON.stringify(p.toolCall.input ?? null), 120)}`,
    );
  }
  if (p.turn)
    out.push(`${indent}asked for in model turn ${p.turn.seq}${p.turn.text ? `: "${clip(p.turn.text, 100)}"` : ''}`);
  if (p.origins.length) {
    out.push(`${indent}untrusted input the session took in before it:`);
    for (const o of p.origins) out.push(...originLines(o, `${indent}  `));
  } else if (head)
    out.push(
      `${indent}${dim("no untrusted input found before it (no other session's files, downloads or MCP results)")}`,
    );
  return out;
}

export function renderProvenance(p: Provenance): string {
  return provenanceLines(p, '  ', true).join('\n');
}
