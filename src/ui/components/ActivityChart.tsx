/** Activity over time as stacked bars: actions by kind, with refusals and alerts marked above them. */
import type { Activity } from '../types';
import { dateTime, time } from '../format';

const KINDS = [
  ['exec', '#6a6', 'programs run'],
  ['file', '#0aa', 'file actions'],
  ['network', '#2f6fde', 'network'],
  ['other', '#aaa', 'other'],
] as const;
const W = 960;
const H = 150;
const TOP = 14;

export function ActivityChart({ activity, title }: { activity: Activity; title: string }) {
  const { buckets } = activity;
  const total = (b: Activity['buckets'][number]): number => b.exec + b.file + b.network + b.other;
  const max = Math.max(1, ...buckets.map(total));
  const bw = W / Math.max(buckets.length, 1);
  const span = activity.endUs - activity.startUs;
  /* as fine as the span needs: a day and more by date, a few minutes to the millisecond */
  const at = (us: number): string => (span > 86400e6 ? dateTime(us) : span > 120e6 ? time(us).slice(0, 8) : time(us));
  const busy = buckets.filter((b) => total(b) > 0).length;
  return (
    <figure className="activity" data-testid="activity" data-buckets={busy}>
      <figcaption>
        {title}
        <span className="legend">
          {KINDS.map(([k, color, label]) => (
            <span key={k}>
              <i style={{ background: color }} /> {label}
            </span>
          ))}
          <span>
            <i className="mark-denied" /> refused
          </span>
          <span>
            <i className="mark-alert" /> alert
          </span>
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H + 18}`} preserveAspectRatio="none" role="img" aria-label={title}>
        {buckets.map((b, i) => {
          let y = H;
          const x = i * bw;
          return (
            <g key={b.startUs}>
              <title>
                {`${at(b.startUs)}: ${b.exec} programs, ${b.file} file, ${b.network} network, ${b.other} other` +
                  `${b.denied ? `, ${b.denied} refused` : ''}${b.alerts ? `, ${b.alerts} alerts` : ''}`}
              </title>
              <rect x={x} y={0} width={bw} height={H} fill="transparent" />
              {KINDS.map(([k, color]) => {
                const h = ((H - TOP) * b[k]) / max;
                y -= h;
                return h > 0 ? (
                  <rect key={k} x={x + 0.5} y={y} width={Math.max(bw - 1, 0.5)} height={h} fill={color} />
                ) : null;
              })}
              {b.denied > 0 && (
                <rect className="mark-denied" x={x + 0.5} y={2} width={Math.max(bw - 1, 1)} height={4} />
              )}
              {b.alerts > 0 && <circle className="mark-alert" cx={x + bw / 2} cy={10} r={3.5} />}
            </g>
          );
        })}
        <line x1={0} y1={H} x2={W} y2={H} stroke="#bbb" />
        <text x={2} y={H + 14} className="axis">
          {at(activity.startUs)}
        </text>
        <text x={W - 2} y={H + 14} className="axis" textAnchor="end">
          {at(activity.endUs)}
        </text>
        <text x={2} y={TOP} className="axis">
          {max}
        </text>
      </svg>
    </figure>
  );
}
