/**
 * The daily and weekly rhythm of uploads as a multiplier of the mean event rate, in UTC.
 * Each UTC day's cosine averages exactly 1 and the weekday/weekend levels are scaled so a full
 * week averages exactly 1: the configured rate is then the true weekly mean.
 */

export interface CycleShape {
  /** Day swing: the multiplier runs from 1 - a (night) to 1 + a (peak hour); in [0, 1). */
  diurnalAmplitude: number;
  /** Saturday and Sunday volume relative to weekdays; > 0. */
  weekendFactor: number;
  /** Hour of the daily peak, UTC; the trough is 12 hours later. */
  peakHourUtc: number;
}

export interface Cycle {
  /** Multiplier at `offsetNs` nanoseconds after the run start. */
  at(offsetNs: number): number;
  /** Its maximum over all times (the thinning bound of the arrival process). */
  readonly max: number;
}

// Hot-path aliases: globals are slow to resolve inside vm contexts such as jest's (see random.ts).
const { cos, floor, PI } = Math;
const DAY_S = 86_400;
const WEEK_S = 7 * DAY_S;
const NS_PER_WEEK = BigInt(WEEK_S) * 1_000_000_000n;
// Day 0 of an epoch week is a Thursday (1970-01-01), so days 2 and 3 are Saturday and Sunday.
const SATURDAY = 2;
const SUNDAY = 3;

export function createCycle(start: bigint, shape: CycleShape): Cycle {
  const { diurnalAmplitude: amp, weekendFactor, peakHourUtc } = shape;
  if (!(amp >= 0 && amp < 1)) throw new RangeError(`diurnalAmplitude must be in [0, 1), got ${amp}`);
  if (!(weekendFactor > 0 && Number.isFinite(weekendFactor))) throw new RangeError(`weekendFactor must be a positive number, got ${weekendFactor}`);
  if (!(peakHourUtc >= 0 && peakHourUtc < 24)) throw new RangeError(`peakHourUtc must be in [0, 24), got ${peakHourUtc}`);
  const weekday = 7 / (5 + 2 * weekendFactor);
  const weekend = weekendFactor * weekday;
  const peakS = peakHourUtc * 3600;
  // Seconds into the epoch week at the run start; reduced in bigint so the float stays small.
  const phaseS = Number(((start % NS_PER_WEEK) + NS_PER_WEEK) % NS_PER_WEEK) / 1e9;
  return {
    max: Math.max(weekday, weekend) * (1 + amp),
    at(offsetNs) {
      const s = (phaseS + offsetNs / 1e9) % WEEK_S;
      const day = floor(s / DAY_S);
      const level = day === SATURDAY || day === SUNDAY ? weekend : weekday;
      return level * (1 + amp * cos((2 * PI * (s - day * DAY_S - peakS)) / DAY_S));
    },
  };
}
