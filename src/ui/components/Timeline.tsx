/** Model turns, the tool calls each asked for, and the kernel actions under each; denied ones marked. */
import type { Timeline as T, ToolCall, WEvent } from '../types';
import { denied, describe, notable, time } from '../format';

function Action({ e }: { e: WEvent }) {
  return (
    <li className={denied(e) ? 'action denied' : 'action'} data-event={e.id}>
      <span className="t">{time(e.timeUs)}</span> <span className="comm">{e.comm}</span> {describe(e)}
      {e.decision && e.decision.verdict !== 'allowed' && (
        <span className="verdict">
          {e.decision.verdict.toUpperCase()} {e.decision.rule} by {e.decision.mechanism}
        </span>
      )}
    </li>
  );
}

function Call({ c }: { c: ToolCall }) {
  const acts = c.events.filter(notable);
  return (
    <div className={c.decision?.verdict === 'denied' ? 'call denied' : 'call'} data-call={c.id}>
      <div className="call-head">
        <b>{c.name || '?'}</b> <code>{JSON.stringify(c.input ?? null).slice(0, 160)}</code>
        {c.decision && c.decision.verdict !== 'allowed' && (
          <span className="verdict">
            {c.decision.verdict.toUpperCase()} {c.decision.rule}: {c.decision.reason}
          </span>
        )}
      </div>
      <ul>
        {acts.slice(0, 30).map((e) => (
          <Action key={e.id} e={e} />
        ))}
        {acts.length > 30 && <li className="more">… {acts.length - 30} more</li>}
      </ul>
    </div>
  );
}

export function Timeline({ t }: { t: T }) {
  return (
    <div className="timeline" data-testid="timeline">
      {t.turns.map((turn) => (
        <section key={turn.seq} className="turn">
          <h4>
            turn {turn.seq} · {turn.provider} {turn.request.model ?? ''}{' '}
            <span className="t">{time(turn.startedUs)}</span>
            {turn.action !== 'forwarded' && <span className="verdict">{turn.action}</span>}
          </h4>
          {turn.response?.text && <p className="model">{turn.response.text.slice(0, 300)}</p>}
          {turn.toolCalls.map((c) => (
            <Call key={c.id} c={c} />
          ))}
        </section>
      ))}
      {t.otherToolCalls.length > 0 && (
        <section className="turn">
          <h4>tool calls outside a recorded turn</h4>
          {t.otherToolCalls.map((c) => (
            <Call key={c.id} c={c} />
          ))}
        </section>
      )}
      {t.undeclared.length > 0 && (
        <section className="turn undeclared">
          <h4>actions no tool call explains ({t.undeclared.length})</h4>
          <ul>
            {t.undeclared
              .filter(notable)
              .slice(0, 50)
              .map((e) => (
                <Action key={e.id} e={e} />
              ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** Sessions without model turns (a plain command): the notable actions in order. */
export function Actions({ events }: { events: WEvent[] }) {
  const acts = events.filter(notable);
  return (
    <ul className="actions" data-testid="actions">
      {acts.slice(-300).map((e) => (
        <Action key={e.id} e={e} />
      ))}
    </ul>
  );
}
