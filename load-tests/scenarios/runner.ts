import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pino from 'pino';
import { createClickHouse } from '../../lib/clickhouse';
import { loadEnv, REPO_ROOT, serviceConfig, stackConfig, type ServiceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { quoteString, uint64 } from '../../lib/sql';
import { pipelineLagTargets } from '../../consumers/maintenance/lag-probe';
import { machine, runningStack } from '../bench-env';
import { analyse, BASELINE, DRAIN, type PhaseRecord, type RunFigures, type RunRecord } from '../harness/analysis';
import { ConsumerLags } from '../harness/consumer-lags';
import { EventBodies, PROBE_SELLER } from '../harness/event-bodies';
import { FreshnessTracker } from '../harness/freshness';
import { runLoadPhase } from '../harness/gateway-load';
import { ProcessUsage } from '../harness/process-usage';
import { writeReport, type RunContext, type ScenarioSection } from '../harness/report';
import { Sampler, type Sample } from '../harness/sampler';
import { countStored, type StoredCount } from '../harness/stored-events';

/**
 * Runs one scenario against the running stack: an idle baseline, the scenario's load phases
 * through the gateway, a drain until every accepted event is stored, then the report folder.
 * An abort (SIGINT/SIGTERM in the CLI) ends the load at once and still writes the report.
 */

export interface ScenarioContext {
  /** Offers `rate` events/s for `seconds` through the gateway; resolves when every request has its answer. */
  phase(name: string, rate: number, seconds: number): Promise<PhaseRecord>;
  samplesOf(phase: string): Sample[];
  readonly freshness: FreshnessTracker;
  readonly sampler: Sampler;
  readonly signal: AbortSignal;
  readonly log: pino.Logger;
  /** The run's tag: every event's attempt_id starts with it. */
  readonly runTag: string;
}

export interface Scenario {
  name: string;
  /** What the scenario was asked for, for the report. */
  params: Record<string, unknown>;
  run(ctx: ScenarioContext): Promise<void>;
  /** The scenario's own findings over the whole run, after the drain; may ask the stack. */
  findings?(run: RunRecord, figures: RunFigures, answers: ReadonlyMap<number, Answer>): ScenarioSection[] | Promise<ScenarioSection[]>;
}

export interface RunOptions {
  /** Events per request. */
  batch: number;
  /** autocannon instances a phase is spread over (see harness/gateway-load.ts). */
  slots: number;
  baselineSeconds: number;
  /** Longest wait after the load for every accepted event to be stored. */
  drainSeconds: number;
  markerEveryMs: number;
  /** Parent of the report folder; default artifacts/load-tests. */
  outDir?: string;
  signal: AbortSignal;
  log: pino.Logger;
  command?: string;
}

/** The HTTP answer to one request, and when it came (epoch ms). */
export interface Answer { status: number; retryAfter?: string; at: number }

/** `answers`: the answer to every answered request, by its seq (see harness/event-bodies.ts). */
export interface RunResult { dir: string; run: RunRecord; figures: RunFigures; sections: ScenarioSection[]; answers: ReadonlyMap<number, Answer> }

/** How often each group commits, so its lag is judged over periods that each hold a commit. */
export function lagPeriods(config: ServiceConfig): Record<string, number> {
  return {
    [config.curate.group]: 5,
    [config.clickhouse.ingestGroup]: 10,
    [config.anomaly.group]: Math.ceil((config.anomaly.windowMs + config.anomaly.latenessMs) / 1000) + 10,
  };
}

/** Load goes to this machine only: refuses a stack whose endpoints are not on the loopback interface. */
export function assertLoopback(endpoints: string[]): void {
  for (const e of endpoints) {
    const host = /^[a-z]+:\/\//.test(e) ? new URL(e).hostname : e.replace(/:\d+$/, '');
    if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host)) throw new Error(`load tests talk only to this machine, but ${e} is not a loopback address`);
  }
}

/** Waits until every accepted event is stored and every marker seen, or `seconds` passed; the last count. */
async function drain(count: () => Promise<StoredCount>, accepted: number, freshness: FreshnessTracker, seconds: number): Promise<StoredCount | undefined> {
  const end = Date.now() + seconds * 1000;
  await sleep(Math.min(3000, seconds * 1000));
  for (;;) {
    const stored = await count().catch(() => undefined);
    if ((stored && stored.distinct >= accepted && freshness.pendingCount === 0) || Date.now() >= end) return stored;
    await sleep(2000);
  }
}

const abortableSleep = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined);

export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<RunResult> {
  const stack = await runningStack();
  assertLoopback([stack.components.gateway.url, ...stack.components.clickhouse.http, ...stack.components.kafka.bootstrap.split(',')]);
  const config = serviceConfig(loadEnv());
  const db = config.clickhouse.database;
  const { log, signal } = opts;
  const startedAt = Date.now();
  const runTag = `lt-${scenario.name}-${startedAt.toString(36)}`;
  const loadAverageStart = os.loadavg();
  const ch = createClickHouse(stack.components.clickhouse.http[0]);
  const kafka = createKafka('upload-pulse-load-tests', stack.components.kafka.bootstrap.split(','), log);
  const admin = kafka.admin();
  await admin.connect();
  const usage = ProcessUsage.forStack(stack, stackConfig(loadEnv(), { topology: stack.topology }));
  const sampler = new Sampler({ lags: new ConsumerLags(admin, pipelineLagTargets(config)), usage });
  const freshness = new FreshnessTracker({
    clickhouse: ch,
    database: db,
    keyColumn: 'ts',
    where: `seller_id = ${uint64(PROBE_SELLER)} AND event_date >= today() - 1 AND startsWith(attempt_id, ${quoteString(runTag)})`,
  });
  const bodies = new EventBodies({ runTag, batch: opts.batch, markerEveryMs: opts.markerEveryMs });
  const phases: PhaseRecord[] = [];
  const answers = new Map<number, Answer>();
  const markerOfRequest = new Map<number, string>();
  let stored: StoredCount | undefined;

  try {
    sampler.start();
    freshness.start();
    log.info({ scenario: scenario.name, runTag, topology: stack.topology, baselineSeconds: opts.baselineSeconds }, 'baseline: measuring the idle stack');
    sampler.setPhase(BASELINE, 0);
    await abortableSleep(opts.baselineSeconds * 1000, signal);

    const ctx: ScenarioContext = {
      freshness,
      sampler,
      signal,
      log,
      runTag,
      samplesOf: (phase) => sampler.samples.filter((s) => s.phase === phase),
      async phase(name, rate, seconds) {
        if (phases.some((p) => p.name === name)) throw new Error(`phase "${name}" is run twice: names must be unique`);
        sampler.setPhase(name, rate);
        log.info({ phase: name, rate, seconds, batch: opts.batch }, 'load phase');
        const started = Date.now();
        const totals = await runLoadPhase(
          { rate, seconds, batch: opts.batch },
          {
            body() {
              const body = bodies.next();
              if (body.marker !== undefined) {
                freshness.mark(body.marker.toString(), Number(body.marker / 1_000_000n));
                markerOfRequest.set(body.seq, body.marker.toString());
              }
              return body;
            },
            answer: (seq, status, retryAfter) => {
              answers.set(seq, { status, retryAfter, at: Date.now() });
              const marker = markerOfRequest.get(seq);
              markerOfRequest.delete(seq);
              if (marker !== undefined && status !== 202) freshness.withdraw(marker);
            },
            response: (status, latencyMs) => sampler.response(status, latencyMs, opts.batch),
            error: (kind) => sampler.error(kind),
          },
          { url: stack.components.gateway.url, slots: opts.slots, signal },
        );
        // autocannon reports a slot done up to a second after its last answer: the phase ends at that answer.
        const record = { name, rate, plannedSeconds: seconds, batch: opts.batch, startedAt: started, endedAt: totals.lastAnswerAt ?? Date.now(), totals };
        phases.push(record);
        log.info({ phase: name, ...totals }, 'load phase done');
        return record;
      },
    };
    if (!signal.aborted) await scenario.run(ctx);

    sampler.setPhase(DRAIN, 0);
    const accepted = phases.reduce((a, p) => a + (p.totals.byStatus['202'] ?? 0) * p.batch, 0);
    // Interrupted: a short drain, so the report still comes out promptly.
    const drainSeconds = signal.aborted ? Math.min(10, opts.drainSeconds) : opts.drainSeconds;
    log.info({ accepted, drainSeconds }, 'drain: waiting for every accepted event to be stored');
    stored = await drain(() => countStored(ch, db, runTag), accepted, freshness, drainSeconds);
  } finally {
    await freshness.stop();
    await sampler.stop();
    usage.close();
    await admin.disconnect().catch(() => undefined);
  }
  stored = (await countStored(ch, db, runTag).catch(() => undefined)) ?? stored;
  await ch.close();

  const run: RunRecord = {
    scenario: scenario.name,
    runTag,
    startedAt,
    endedAt: Date.now(),
    interrupted: signal.aborted,
    phases,
    samples: sampler.samples,
    latencies: sampler.latencies,
    markers: freshness.all(),
    stored,
    processes: usage.watched,
    lagPeriodsS: lagPeriods(config),
  };
  const figures = analyse(run);
  const sections = (await scenario.findings?.(run, figures, answers)) ?? [];
  const context: RunContext = {
    command: opts.command ?? process.argv.slice(1).join(' '),
    topology: stack.topology,
    machine: machine(),
    loadAverageStart,
    loadAverageEnd: os.loadavg(),
    params: { ...scenario.params, batch: opts.batch, slots: opts.slots, baselineSeconds: opts.baselineSeconds, drainSeconds: opts.drainSeconds, markerEveryMs: opts.markerEveryMs },
  };
  const stamp = new Date(startedAt).toISOString().replace(/[:.]/g, '-');
  const dir = writeReport(path.join(opts.outDir ?? path.join(REPO_ROOT, 'artifacts', 'load-tests'), `${scenario.name}-${stamp}`), run, figures, context, sections);
  log.info({ dir, serviceLevels: figures.serviceLevels, acceptedRate: Math.round(figures.load.acceptedRate), latencyP99Ms: figures.latency.p99, freshnessP99Ms: figures.freshness.p99, stored: figures.stored, errors: figures.errors }, 'report written');
  return { dir, run, figures, sections, answers };
}
