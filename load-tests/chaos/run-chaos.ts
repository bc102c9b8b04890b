import { setTimeout as sleep } from 'node:timers/promises';
import type pino from 'pino';
import { createClickHouse } from '../../lib/clickhouse';
import { loadEnv, serviceConfig, stackConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { layoutFor } from '../../stack/layout';
import { runningStack } from '../bench-env';
import type { ScenarioSection } from '../harness/report';
import { runScenario, type RunResult } from '../scenarios/runner';
import { firingIntervals, waitResolved, type AlertInterval } from './alerts';
import type { Check, Fault, FaultEnv } from './faults';
import { eventOutcome, recoveryOf, type EventOutcome, type Recovery } from './outcome';
import { storedCounts } from './storage-checks';

/**
 * One fault scenario: load through the gateway for `before` seconds, the fault for `faultSeconds`,
 * the heal, load for `after` seconds more, the drain; then the verdict. Common checks: every request
 * answered; every accepted event stored once (FINAL) and no request stored in part; requests refused
 * only as the fault allows; freshness back under its service level; the fault's alerts fired and
 * resolved, and no forbidden alert fired. The fault's own checks come on top.
 */

export interface ChaosOptions {
  rate: number;
  beforeSeconds: number;
  faultSeconds: number;
  afterSeconds: number;
  drainSeconds: number;
  outDir?: string;
  signal: AbortSignal;
  log: pino.Logger;
  command?: string;
}

export interface ChaosResult {
  fault: string;
  topology: string;
  dir: string;
  checks: Check[];
  passed: boolean;
  outcome: EventOutcome;
  recovery: Recovery;
  alerts: AlertInterval[];
  faultAt: number;
  healedAt: number;
  run: RunResult;
}

/** Alerts every fault report lists, whether or not the fault expects them. */
const WATCHED_ALERTS = ['ServiceDown', 'IngestStalled', 'ConsumerLagHigh'];
/** After the heal, a refusal may still come while clients reconnect. */
const REFUSAL_GRACE_MS = 30_000;

export async function runChaos(fault: Fault, opts: ChaosOptions): Promise<ChaosResult> {
  const status = await runningStack();
  const layout = layoutFor(stackConfig(loadEnv(), { topology: status.topology }));
  const why = fault.unsupported?.(layout);
  if (why) throw new Error(`${fault.name} ${why}`);
  const config = serviceConfig(loadEnv());
  const clickhouse = createClickHouse(status.components.clickhouse.http[0]);
  const admin = createKafka('upload-pulse-chaos', status.components.kafka.bootstrap.split(','), opts.log).admin();
  await admin.connect();
  const env: FaultEnv = { layout, status, config, admin, clickhouse, log: opts.log };
  let faultAt = 0;
  let healedAt = 0;
  const duringChecks: Check[] = [];
  let verdict: Omit<ChaosResult, 'dir' | 'run' | 'topology'> | undefined;

  try {
    await fault.setUp?.(env);
    const run = await runScenario(
      {
        name: `chaos-${fault.name}`,
        params: { fault: fault.name, rate: opts.rate, beforeSeconds: opts.beforeSeconds, faultSeconds: opts.faultSeconds, afterSeconds: opts.afterSeconds },
        async run(ctx) {
          const load = ctx.phase('load', opts.rate, opts.beforeSeconds + opts.faultSeconds + opts.afterSeconds);
          try {
            await sleep(opts.beforeSeconds * 1000, undefined, { signal: ctx.signal });
            faultAt = Date.now();
            ctx.log.info({ fault: fault.name }, 'injecting the fault');
            try {
              await fault.inject(env);
              await sleep(Math.max(0, faultAt + opts.faultSeconds * 1000 - Date.now()), undefined, { signal: ctx.signal });
              if (fault.whileDown) duringChecks.push(...(await fault.whileDown(env)));
            } finally {
              ctx.log.info({ fault: fault.name }, 'healing');
              await fault.heal(env);
              healedAt = Date.now();
              ctx.log.info({ fault: fault.name, downSeconds: (healedAt - faultAt) / 1000 }, 'healed');
            }
          } finally {
            await load;
          }
        },
        async findings(record, figures, answers): Promise<ScenarioSection[]> {
          const sent = record.phases.reduce((a, p) => a + p.totals.sent, 0);
          const batch = record.phases[0]?.batch ?? 1;
          const outcome = eventOutcome(sent, batch, answers, await storedCounts(clickhouse, config.clickhouse.database, record.runTag));
          const recovery = recoveryOf(record.markers, answers, faultAt, healedAt);
          const own = (await fault.verify?.(env, { runTag: record.runTag, faultAt, healedAt })) ?? [];
          const stillFiring = fault.expectAlerts.length > 0 ? await waitResolved(status.components.prometheus.url, fault.expectAlerts, 300_000) : [];
          const alerts = await firingIntervals(status.components.prometheus.url, [...new Set([...WATCHED_ALERTS, ...fault.expectAlerts])], record.startedAt, Date.now());
          const checks = [...commonChecks(fault, outcome, recovery, answers, faultAt, healedAt), ...alertChecks(fault, alerts, stillFiring, faultAt, healedAt), ...duringChecks, ...own];
          verdict = { fault: fault.name, checks, passed: checks.every((c) => c.ok), outcome, recovery, alerts, faultAt, healedAt };
          return [{ heading: `Fault: ${fault.name}`, markdown: verdictMarkdown(fault, verdict, figures.freshness.p99), figures: { ...verdict } }];
        },
      },
      { batch: 10, slots: 10, baselineSeconds: 5, drainSeconds: opts.drainSeconds, markerEveryMs: 100, outDir: opts.outDir, signal: opts.signal, log: opts.log, command: opts.command },
    );
    if (!verdict) throw new Error(`${fault.name}: the run ended without a verdict`);
    return { ...verdict, topology: status.topology, dir: run.dir, run };
  } finally {
    await fault.tearDown?.(env).catch((err: unknown) => opts.log.error({ err }, 'fault tear-down failed'));
    await admin.disconnect().catch(() => undefined);
    await clickhouse.close();
  }
}

function commonChecks(fault: Fault, o: EventOutcome, r: Recovery, answers: ReadonlyMap<number, { status: number; at: number }>, faultAt: number, healedAt: number): Check[] {
  const refusedTotal = Object.values(o.requests.refused).reduce((a, b) => a + b, 0);
  const checks: Check[] = [
    { name: 'every request answered', ok: o.requests.unanswered === 0, detail: `${o.requests.sent} sent, ${o.requests.unanswered} without an answer` },
    { name: 'nothing lost', ok: o.events.lost === 0, detail: `${o.events.accepted} events accepted, ${o.events.lost} of them not stored` },
    { name: 'no request stored in part', ok: o.events.partialRequests === 0, detail: `${o.events.partialRequests} requests with some but not all events stored` },
    { name: 'nothing doubled (FINAL)', ok: o.events.duplicatesFinal === 0, detail: `${o.events.duplicatesFinal} extra rows seen with FINAL (${o.events.duplicateRowsBeforeMerge} before merges)` },
    { name: 'freshness recovered', ok: r.freshnessSeconds !== null, detail: r.freshnessSeconds === null ? `still above ${(r.thresholdMs / 1000).toFixed(1)} s at the end` : `back under ${(r.thresholdMs / 1000).toFixed(1)} s ${r.freshnessSeconds.toFixed(0)} s after the fault` },
  ];
  if (fault.requests === 'acknowledged') {
    checks.push({ name: 'producers keep being acknowledged', ok: refusedTotal === 0, detail: refusedTotal === 0 ? `all ${o.requests.accepted} requests answered 202` : `refused: ${JSON.stringify(o.requests.refused)}` });
  } else {
    const outside = [...answers.values()].filter((a) => a.status !== 202 && (a.at < faultAt || a.at > healedAt + REFUSAL_GRACE_MS)).length;
    const only503 = Object.keys(o.requests.refused).every((s) => s === '503');
    checks.push({
      name: 'refused with 503 and Retry-After while down, only then',
      ok: refusedTotal > 0 && only503 && o.requests.refusedWithoutRetryAfter === 0 && outside === 0,
      detail: `refused: ${JSON.stringify(o.requests.refused)}, ${o.requests.refusedWithoutRetryAfter} without Retry-After, ${outside} outside the fault (+${REFUSAL_GRACE_MS / 1000} s)`,
    });
    checks.push({ name: 'accepting again after the heal', ok: r.acceptingAgainSeconds !== undefined, detail: r.acceptingAgainSeconds === undefined ? 'no request accepted after the heal' : `first 202 ${r.acceptingAgainSeconds.toFixed(1)} s after the heal` });
  }
  return checks;
}

function alertChecks(fault: Fault, alerts: AlertInterval[], stillFiring: string[], faultAt: number, healedAt: number): Check[] {
  const checks = fault.expectAlerts.map((name) => {
    const fired = alerts.filter((a) => a.alert === name && a.to >= faultAt);
    return { name: `${name} fired and resolved`, ok: fired.length > 0 && !stillFiring.some((f) => f.startsWith(`${name}{`)), detail: fired.length === 0 ? 'never fired' : `fired ${s(fired[0].from - faultAt)} after the fault; ${stillFiring.length > 0 ? `still firing: ${stillFiring.join(', ')}` : `resolved ${s(fired.at(-1)!.to - healedAt)} after the heal (last firing sample)`}` };
  });
  for (const name of fault.forbidAlerts) {
    const fired = alerts.filter((a) => a.alert === name);
    checks.push({ name: `${name} stays silent`, ok: fired.length === 0, detail: fired.length === 0 ? 'did not fire' : `fired ${fired.map((a) => `{${a.labels}} from +${s(a.from - faultAt)} to +${s(a.to - faultAt)}`).join('; ')} after the fault` });
  }
  return checks;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function verdictMarkdown(fault: Fault, v: Omit<ChaosResult, 'dir' | 'run' | 'topology'>, freshnessP99: number | undefined): string {
  const o = v.outcome;
  return [
    fault.summary + '.',
    '',
    `**${v.passed ? 'PASSED' : 'FAILED'}**: fault injected at ${new Date(v.faultAt).toISOString()}, healed (healthy again) ${s(v.healedAt - v.faultAt)} later.`,
    '',
    '| requests sent | accepted | refused | unanswered | events accepted | stored | lost | duplicates (FINAL / before merges) | stored in part | recovery (freshness) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    `| ${o.requests.sent} | ${o.requests.accepted} | ${JSON.stringify(o.requests.refused)} | ${o.requests.unanswered} | ${o.events.accepted} | ${o.events.stored} | ${o.events.lost} | ${o.events.duplicatesFinal} / ${o.events.duplicateRowsBeforeMerge} | ${o.events.partialRequests} | ${v.recovery.freshnessSeconds === null ? 'not recovered' : `${v.recovery.freshnessSeconds.toFixed(0)} s`} |`,
    '',
    `Freshness p99 over the run: ${freshnessP99 === undefined ? 'n/a' : s(freshnessP99)}; worst after the fault: ${v.recovery.worstMs === undefined ? 'n/a' : Number.isFinite(v.recovery.worstMs) ? s(v.recovery.worstMs) : 'a marker never seen'}.`,
    '',
    '| check | result | detail |',
    '|---|---|---|',
    ...v.checks.map((c) => `| ${c.name} | ${c.ok ? 'ok' : '**FAILED**'} | ${c.detail} |`),
    '',
    v.alerts.length === 0 ? 'Alerts: none of ' + WATCHED_ALERTS.join(', ') + ' fired.' : 'Alerts that fired: ' + v.alerts.map((a) => `${a.alert}{${a.labels}} from +${s(a.from - v.faultAt)} to +${s(a.to - v.faultAt)} after the fault`).join('; ') + '.',
  ].join('\n');
}
