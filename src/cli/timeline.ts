/** `warden timeline`: the timeline of a session (see api/timeline.ts), for people. */
import type { Alert, ToolCall } from '../model/records.js';
import type { Timeline } from '../api/timeline.js';
import type { WardenEvent } from '../model/events.js';
import { bold, decisionTag, describeEvent, dim, fmtTime, isRoutineRead, red } from './render.js';

const clip = (s: string, n: number): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}…` : one;
};

/** Actions worth a line: everything but lifecycle noise and routine reads. */
function shown(e: WardenEvent): boolean {
  if (e.type === 'open' && !e.decision && /^\/dev\/(null|tty)$/.test(e.path)) return false;
  return e.type !== 'fork' && e.type !== 'exit' && !isRoutineRead(e);
}

function callLines(c: ToolCall & { events: WardenEvent[] }, alerts: Alert[], max: number): string[] {
  const d = c.decision;
  const verdict =
    d && d.verdict !== 'allowed'
      ? ` ${(d.verdict === 'denied' ? red : bold)(`[${d.verdict.toUpperCase()} ${d.rule} by ${d.by}: ${d.reason}]`)}`
      : '';
  const out = [
    `  ${bold('tool')} ${c.name || '?'} ${dim(c.id)} ${clip(JSON.stringify(c.input ?? null), 160)}${verdict}`,
  ];
  const acts = c.events.filter(shown);
  for (const e of acts.slice(0, max))
    out.push(`      ${dim(fmtTime(e.timeUs).slice(11))} ${e.comm} ${describeEvent(e)}${decisionTag(e)}`);
  if (acts.length > max) out.push(dim(`      … ${acts.length - max} more actions`));
  const hidden = c.events.length - acts.length;
  if (hidden) out.push(dim(`      · ${hidden} lifecycle events and routine reads not shown`));
  if (c.result) out.push(`      ${dim('result')} ${c.result.isError ? red('error ') : ''}${clip(c.result.text, 120)}`);
  for (const a of alerts.filter((x) => x.toolCallId === c.id)) out.push(`      ${red(`! ${a.detector}`)} ${a.message}`);
  return out;
}

export function renderTimeline(t: Timeline, maxActions = 20): string {
  const lines = [bold(`session ${t.session.id}`) + ` ${t.session.name} (${t.session.status})`];
  for (const turn of t.turns) {
    const r = turn.response;
    const model = turn.request.model ?? '?';
    const flags = [
      turn.action !== 'forwarded' ? red(turn.action.toUpperCase()) : '',
      r?.truncated ? red('truncated') : '',
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(
      `${dim(fmtTime(turn.startedUs).slice(11))} ${bold(`turn ${turn.seq}`)} ${turn.provider} ${model} ${turn.status ?? '-'} ${flags}`,
    );
    if (turn.request.lastUserText) lines.push(`  ${dim('user')} ${clip(turn.request.lastUserText, 140)}`);
    if (turn.secrets.length)
      lines.push(`  ${red('secrets')} ${turn.secrets.map((s) => `${s.kind} ${s.preview}`).join(', ')}`);
    if (r?.text) lines.push(`  ${dim('model')} ${clip(r.text, 160)}`);
    for (const c of turn.toolCalls) lines.push(...callLines(c, t.alerts, maxActions));
  }
  if (t.otherToolCalls.length) {
    lines.push(bold('tool calls outside any recorded turn'));
    for (const c of t.otherToolCalls) lines.push(...callLines(c, t.alerts, maxActions));
  }
  if (t.undeclared.length) {
    lines.push(red(bold(`actions no tool call explains (${t.undeclared.length})`)));
    for (const e of t.undeclared.filter(shown).slice(0, maxActions)) {
      lines.push(`  ${dim(fmtTime(e.timeUs).slice(11))} ${e.pid} ${e.comm} ${describeEvent(e)}${decisionTag(e)}`);
    }
  }
  const other = t.alerts.filter((a) => !a.toolCallId);
  if (other.length) {
    lines.push(bold('alerts'));
    for (const a of other) lines.push(`  ${red(`! ${a.detector}`)} [${a.severity}] ${a.message}`);
  }
  if (!t.turns.length && !t.otherToolCalls.length) {
    lines.push(
      dim('no model turns or tool calls recorded: was the agent started by warden run, with hooks installed?'),
    );
  }
  return lines.join('\n');
}
