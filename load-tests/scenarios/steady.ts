import type { Scenario } from './runner';

/** `steady`: the production peak, 1,000 events/s through the gateway, for 10 minutes by default. */

export const STEADY_DEFAULTS = { rate: 1000, seconds: 600 } as const;

export function steadyScenario(opts: { rate: number; seconds: number }): Scenario {
  return {
    name: 'steady',
    params: opts,
    async run(ctx) {
      await ctx.phase('steady', opts.rate, opts.seconds);
    },
  };
}
