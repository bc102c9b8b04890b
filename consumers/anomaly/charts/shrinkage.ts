import type { Proportion } from './p-chart';

/**
 * (failures + strength*priorRate)/(events + strength): a small seller's rate pulled toward the
 * global rate. It is the posterior mean under a Beta(strength*priorRate, strength*(1-priorRate))
 * prior (Gelman et al., Bayesian Data Analysis, 3rd ed., ch. 2): `strength` counts as that many
 * events at the prior rate, so 3 events move it little and 30 000 events make it the seller's own.
 */
export function shrunkRate(own: Proportion, priorRate: number, strength: number): number {
  if (!(priorRate >= 0 && priorRate <= 1) || !(strength >= 0) || !(own.events + strength > 0)) {
    throw new RangeError(`shrinkage needs 0 <= priorRate <= 1 and events + strength > 0, got rate ${priorRate}, strength ${strength}, events ${own.events}`);
  }
  return (own.failures + strength * priorRate) / (own.events + strength);
}
