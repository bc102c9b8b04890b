import { rangeSize, type PartitionRange } from './range';
import type { ReplayRequest, Target, TopicKind } from './request';
import type { RollupView } from './rollups';
import { monthOf } from './storage-pass';

/** What a replay will read and rewrite: printed by --dry-run, logged at the start of a run. */

export interface ReplayPlan {
  id: string;
  database: string;
  topic?: string;
  kind: TopicKind;
  targets: Target[];
  /** The time range read (widened to whole chart windows for anomalies), or offsets only. */
  range: { by: 'time'; fromMs: number; toMs: number; asked: { fromMs: number; toMs: number } } | { by: 'offset' };
  partitions: PartitionRange[];
  /** Offsets in the ranges: an upper bound of the events read (transaction markers, events outside the times). */
  events: number;
  group?: string;
  /** Months (YYYYMM) whose rollups are cleared and rebuilt; offset ranges add those of the rows read. */
  months: string[];
  rollups: { view: string; target: string; clear: string }[];
  anomalies?: { stream: string; fromMs: number; toMs: number };
  stateFile: string;
}

/** Months (YYYYMM, UTC) that [fromMs, toMs) touches. */
export function monthsOverlapping(fromMs: number, toMs: number): string[] {
  const months: string[] = [];
  const d = new Date(fromMs);
  let cursor = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  while (cursor < toMs) {
    months.push(monthOf(cursor));
    const c = new Date(cursor);
    cursor = Date.UTC(c.getUTCFullYear(), c.getUTCMonth() + 1, 1);
  }
  return months;
}

export function buildPlan(o: {
  id: string;
  database: string;
  request: ReplayRequest;
  /** The request's time range as asked, before widening (time ranges). */
  asked?: { fromMs: number; toMs: number };
  partitions: PartitionRange[];
  group?: string;
  months: string[];
  views: RollupView[];
  stateFile: string;
}): ReplayPlan {
  const { request: r } = o;
  const range: ReplayPlan['range'] = r.range.by === 'time' ? { by: 'time', fromMs: r.range.fromMs, toMs: r.range.toMs, asked: o.asked ?? { fromMs: r.range.fromMs, toMs: r.range.toMs } } : { by: 'offset' };
  return {
    id: o.id,
    database: o.database,
    ...(r.topic ? { topic: r.topic } : {}),
    kind: r.kind,
    targets: r.targets,
    range,
    partitions: o.partitions,
    events: rangeSize(o.partitions),
    ...(o.group ? { group: o.group } : {}),
    months: o.months,
    rollups: r.targets.includes('rollups') ? o.views.map((v) => ({ view: v.view, target: v.target, clear: v.clear.by === 'partition' ? 'DROP PARTITION' : `DELETE WHERE toYYYYMM(${v.clear.column}) IN months` })) : [],
    ...(r.targets.includes('anomalies') && r.topic && r.range.by === 'time' ? { anomalies: { stream: r.topic, fromMs: r.range.fromMs, toMs: r.range.toMs } } : {}),
    stateFile: o.stateFile,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const month = (m: string): string => `${m.slice(0, 4)}-${m.slice(4)}`;

/** The plan for a person: what is read, what is rewritten and how. */
export function describePlan(p: ReplayPlan): string {
  const lines = [`replay ${p.id} (ClickHouse database ${p.database}; state ${p.stateFile})`];
  if (p.topic) {
    const when = p.range.by === 'time' ? `events with event time in [${iso(p.range.fromMs)}, ${iso(p.range.toMs)})` : 'the offsets below';
    lines.push(`read: topic ${p.topic} (${p.kind}), ${when}, with consumer group ${p.group ?? '-'} (live consumers untouched)`);
    if (p.range.by === 'time' && (p.range.asked.fromMs !== p.range.fromMs || p.range.asked.toMs !== p.range.toMs)) {
      lines.push(`      widened from [${iso(p.range.asked.fromMs)}, ${iso(p.range.asked.toMs)}) to whole chart windows`);
    }
    lines.push(`      ${p.events} offsets in ${p.partitions.length} partitions:`);
    for (const r of p.partitions) lines.push(`        partition ${r.partition}: offsets ${r.start} to ${r.end} (${r.end - r.start})`);
  }
  if (p.targets.includes('storage')) {
    lines.push(`rewrite: ${p.database}.upload_events: insert the ${p.kind === 'raw' ? 'curated (decoded, validated, derived) events' : 'rows'}; copies of stored events collapse by event_key (exact with FINAL)`);
  }
  if (p.targets.includes('rollups')) {
    const months = p.months.length > 0 ? p.months.map(month).join(', ') : 'none yet';
    lines.push(`rewrite: rollups of month(s) ${months}${p.range.by === 'offset' ? ' plus the months of the rows read' : ''}, rebuilt from ${p.database}.upload_events FINAL:`);
    for (const r of p.rollups) lines.push(`        ${r.target} (view ${r.view}): ${r.clear}, then re-insert`);
  }
  if (p.anomalies) {
    lines.push(`rewrite: chart_windows, chart_points and anomalies of stream ${p.anomalies.stream} for windows in [${iso(p.anomalies.fromMs)}, ${iso(p.anomalies.toMs)}): delete, then regenerate in event time (baselines seeded from chart_windows before ${iso(p.anomalies.fromMs)})`);
  }
  return lines.join('\n');
}
