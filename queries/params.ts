import { z } from 'zod';
import { DIMENSION_CHARTS } from '../consumers/anomaly/breaches';
import { SELLER_CHARTS } from '../consumers/anomaly/partials';

/**
 * Query parameters shared by the read endpoints. ClickHouse 18.16 has no server-side parameters,
 * so every value is held to a strict pattern here before lib/sql.ts writes it as a literal.
 */

/** Epoch seconds or an ISO time, as whole epoch seconds. */
export const time = z.string().transform((v, ctx) => {
  const seconds = /^\d{1,12}$/.test(v) ? Number(v) : Date.parse(v) / 1000;
  if (!Number.isFinite(seconds)) {
    ctx.addIssue({ code: 'custom', message: `"${v.slice(0, 40)}" is neither epoch seconds nor an ISO time like 2026-11-27T10:00:00Z` });
    return z.NEVER;
  }
  return Math.floor(seconds);
});

/** The raw topic a chart belongs to (the `stream` column of the chart tables): a Kafka topic name. */
export const stream = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (1-249 of A-Z, a-z, 0-9, dot, dash, underscore)');

/** As the anomaly worker names them: global, origin=<origin>, country=<CC>, seller=<company id>. */
export const dimension = z
  .string()
  .regex(/^(global|origin=[^\u0000-\u001f\u007f]{1,64}|country=[A-Z]{2}|seller=\d{1,20})$/u, 'must be global, origin=<origin>, country=<two uppercase letters> or seller=<decimal id>');

export const dimensionChart = z.enum(DIMENSION_CHARTS, { error: `must be one of ${DIMENSION_CHARTS.join(', ')}` });
export type DimensionChartName = z.output<typeof dimensionChart>;

const ANOMALY_CHARTS = [...DIMENSION_CHARTS, ...SELLER_CHARTS] as const;
export const anomalyChart = z.enum(ANOMALY_CHARTS, { error: `must be one of ${ANOMALY_CHARTS.join(', ')}` });

/** What the live page can draw: a dimension's control chart, or the seller drill-down (its breaches). */
const PAGE_CHARTS = [...DIMENSION_CHARTS, 'seller'] as const;
export const pageChart = z.enum(PAGE_CHARTS, { error: `must be one of ${PAGE_CHARTS.join(', ')}` });
export type PageChart = z.output<typeof pageChart>;

/** A superRefine check: `to` after `from`, at most `maxSeconds` apart (`maxText` says how long that is). */
export const rangeCheck =
  (maxSeconds: number, maxText: string) =>
  (p: { from: number; to: number }, ctx: z.RefinementCtx): void => {
    const range = p.to - p.from;
    if (range <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    if (range > maxSeconds) ctx.addIssue({ code: 'custom', path: ['to'], message: `range must be at most ${maxText}` });
  };

/** Validation errors as `field: reason` lines, for a 400. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown parameter(s): ${i.keys.join(', ')}` : `${i.path.join('.') || 'query'}: ${i.message}`));
}
