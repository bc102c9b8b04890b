import type { Scenario } from './runner';

/** `steady`: the production peak, 1,000 events/s through the gateway, for 10 minutes by default. */

export const STEADY_DEFAULTS = { rate: 1000, seconds: 600 } as const;

export interface ConstantRate { rate: number; seconds: number }

/** One phase at one rate: `steady`, and `soak` with its own findings. */
export function constantRateScenario(name: string, opts: ConstantRate): Scenario {
  return {
    name,
    params: { ...opts },
    async run(ctx) {
      await ctx.phase(name, opts.rate, opts.seconds);
    },
  };
}

export const steadyScenario = (opts: ConstantRate): Scenario => constantRateScenario('steady', opts);
