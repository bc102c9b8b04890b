import type { RunRecord } from '../harness/analysis';
import { isLoad } from '../harness/analysis';
import type { ScenarioSection } from '../harness/report';
import { median } from '../harness/stats';
import type { Scenario } from './runner';
import { constantRateScenario, type ConstantRate } from './steady';

/**
 * `soak`: 1,000 events/s for an hour by default; the memory of every process must stay flat.
 * Start and end RSS are medians over the second and the last tenth of the load (at most 5 minutes
 * each; the first tenth is warm-up), so one garbage collection does not decide; a process is flat
 * when its end RSS is within FLAT_GROWTH of its start.
 */

export const SOAK_DEFAULTS = { rate: 1000, seconds: 3600 } as const;
export const FLAT_GROWTH = 0.1;

export interface RssDrift { process: string; startBytes?: number; endBytes?: number; growth?: number; flat?: boolean }

export function rssDrift(run: RunRecord): RssDrift[] {
  const load = run.samples.filter(isLoad);
  const span = Math.max(1, Math.min(300, Math.floor(load.length / 10)));
  // The first tenth is warm-up (JIT, caches, connection pools, heaps growing to their working size).
  const head = load.slice(span, 2 * span);
  const tail = load.slice(-span);
  return run.processes.map((p) => {
    const of = (ss: typeof load) => median(ss.flatMap((s) => (s.rssBytes[p.name] == null ? [] : [s.rssBytes[p.name]!])));
    const startBytes = of(head);
    const endBytes = of(tail);
    const growth = startBytes && endBytes !== undefined ? endBytes / startBytes - 1 : undefined;
    return { process: p.name, startBytes, endBytes, growth, flat: growth === undefined ? undefined : growth <= FLAT_GROWTH };
  });
}

export function soakScenario(opts: ConstantRate): Scenario {
  return {
    ...constantRateScenario('soak', opts),
    findings(run): ScenarioSection[] {
      const drift = rssDrift(run);
      const mib = (v?: number) => (v === undefined ? 'n/a' : `${(v / 2 ** 20).toFixed(1)} MiB`);
      const grown = drift.filter((d) => d.flat === false);
      const rows = drift.map((d) => `| ${d.process} | ${mib(d.startBytes)} | ${mib(d.endBytes)} | ${d.growth === undefined ? 'n/a' : `${(d.growth * 100).toFixed(1)} %`} | ${d.flat === undefined ? 'n/a' : d.flat ? 'yes' : '**no**'} |`);
      return [
        {
          heading: 'Memory over the soak',
          markdown: [
            grown.length === 0 ? `Every process stayed within +${FLAT_GROWTH * 100} % of its start RSS.` : `**Grew more than ${FLAT_GROWTH * 100} %:** ${grown.map((d) => d.process).join(', ')}.`,
            '',
            'Start and end: median RSS over the second and the last tenth of the load (at most 5 min each; the first tenth is warm-up).',
            '',
            '| process | RSS start | RSS end | growth | flat |',
            '|---|---|---|---|---|',
            ...rows,
          ].join('\n'),
          figures: { rss: drift, flatGrowth: FLAT_GROWTH },
        },
      ];
    },
  };
}
