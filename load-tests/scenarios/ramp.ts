import { latencyOf, lagTrends, markersIn } from '../harness/analysis';
import { freshnessOf, type Marker } from '../harness/freshness';
import type { ScenarioSection } from '../harness/report';
import { judge, SERVICE_LEVELS, type Verdict } from '../harness/service-levels';
import type { Scenario, ScenarioContext } from './runner';

/**
 * `ramp`: steps the rate up until a service level breaks and reports the highest rate sustained.
 * Each step is judged on its own: p99 ingest latency of its requests, p99 freshness of its markers
 * (one not seen 5 s after it was sent already breaks it), the lag trend of every group over the
 * step after its first `settleSeconds`, no failed request, and at least 90 % of the rate accepted. The step must hold two commit periods of the slowest
 * group (the anomaly worker's: a chart window plus lateness), or that group is not judged.
 */

export const RAMP_DEFAULTS = { startRate: 1000, step: 1000, stepSeconds: 180, maxRate: 20000, settleSeconds: 10 } as const;

/** A step sustains its rate when it accepts at least this share of it. */
export const SUSTAINED_SHARE = 0.9;

export interface RampOptions { startRate: number; step: number; stepSeconds: number; maxRate: number; settleSeconds: number }

export interface StepResult { rate: number; acceptedRate: number; latencyP99Ms?: number; freshnessP99Ms?: number; errors: number; verdict: Verdict }

/** Markers of the step that can be judged now: seen, or already later than the freshness target. */
export function judgeableMarkers(markers: readonly Marker[], nowMs: number): Marker[] {
  return markers.filter((m) => m.seenAtMs !== undefined || nowMs - m.sentAtMs > SERVICE_LEVELS.freshnessP99Ms);
}

export function highestSustained(steps: readonly StepResult[]): number | undefined {
  let best: number | undefined;
  for (const s of steps) {
    if (!s.verdict.ok) break;
    best = s.rate;
  }
  return best;
}

async function judgeStep(ctx: ScenarioContext, name: string, rate: number, opts: RampOptions, periods: Record<string, number>): Promise<StepResult> {
  const phase = await ctx.phase(name, rate, opts.stepSeconds);
  const settled = ctx.samplesOf(name).filter((s) => s.at >= phase.startedAt + opts.settleSeconds * 1000);
  const latency = latencyOf(ctx.sampler.latencies, [name]);
  const freshness = freshnessOf(judgeableMarkers(markersIn(ctx.freshness.all(), phase.startedAt, phase.endedAt), Date.now()));
  const errors = phase.totals.sent - (phase.totals.byStatus['202'] ?? 0);
  const verdict = judge({ ingestP99Ms: latency.p99, freshnessP99Ms: freshness.p99, lag: lagTrends(settled, periods, rate) });
  const acceptedRate = ((phase.totals.byStatus['202'] ?? 0) * phase.batch) / ((phase.endedAt - phase.startedAt) / 1000);
  if (errors > 0) verdict.broken.push(`${errors} requests failed`);
  // Answers too slow to keep the rate: the step ran longer at a lower rate than it offered.
  if (acceptedRate < SUSTAINED_SHARE * rate) verdict.broken.push(`accepted only ${Math.round(acceptedRate)} events/s`);
  verdict.ok = verdict.broken.length === 0;
  return { rate, acceptedRate, latencyP99Ms: latency.p99, freshnessP99Ms: freshness.p99, errors, verdict };
}

export function rampScenario(opts: RampOptions, lagPeriodsS: Record<string, number>): Scenario {
  const steps: StepResult[] = [];
  return {
    name: 'ramp',
    params: { ...opts },
    async run(ctx) {
      for (let rate = opts.startRate; rate <= opts.maxRate && !ctx.signal.aborted; rate += opts.step) {
        const step = await judgeStep(ctx, `step-${rate}`, rate, opts, lagPeriodsS);
        steps.push(step);
        ctx.log.info({ step: rate, acceptedRate: Math.round(step.acceptedRate), latencyP99Ms: step.latencyP99Ms, freshnessP99Ms: step.freshnessP99Ms, ...step.verdict }, 'ramp step judged');
        if (!step.verdict.ok) break;
      }
    },
    findings(): ScenarioSection[] {
      const best = highestSustained(steps);
      const broke = steps.find((s) => !s.verdict.ok);
      const ms = (v?: number) => (v === undefined ? 'n/a' : Number.isFinite(v) ? `${Math.round(v)} ms` : 'never seen');
      return [
        {
          heading: 'Ramp',
          markdown: [
            `**Highest sustained rate: ${best === undefined ? 'none (the first step broke)' : `${best.toLocaleString('en-US')} events/s`}.** ${
              broke ? `At ${broke.rate.toLocaleString('en-US')} events/s: ${broke.verdict.broken.join('; ')}.` : `No step broke up to ${(steps[steps.length - 1]?.rate ?? opts.startRate).toLocaleString('en-US')} events/s (the ramp's ceiling or its stop).`
            }`,
            '',
            '| step (events/s) | accepted events/s | ingest p99 | freshness p99 | failed requests | service levels |',
            '|---|---|---|---|---|---|',
            ...steps.map((s) => `| ${s.rate.toLocaleString('en-US')} | ${Math.round(s.acceptedRate).toLocaleString('en-US')} | ${ms(s.latencyP99Ms)} | ${ms(s.freshnessP99Ms)} | ${s.errors} | ${s.verdict.ok ? 'met' : `broken: ${s.verdict.broken.join('; ')}`} |`),
          ].join('\n'),
          figures: { highestSustainedRate: best ?? null, steps },
        },
      ];
    },
  };
}
