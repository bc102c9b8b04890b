import type { Dashboard } from '../../dashboard-model';
import { breachAnnotation, breaches, streamVariable } from './chart-tables';
import { clickhouse, dashboard, displayName, indent, limitLines, sql, type PanelSpec } from './panels';

/**
 * One seller, optionally narrowed to countries and origins, from the minute rollups
 * (upload_rollup_1m), in buckets of $__interval_s (at least a minute). The anomaly worker keeps
 * no per-seller chart points, so each panel draws Shewhart limits from the seller's own data in
 * the displayed range (phase I): a c-chart of ended attempts, a p-chart of the failure rate, an
 * X-bar chart of latency. The worker's own seller tests (against the seller's history, corrected
 * for testing thousands of sellers) are the annotations and the anomaly history.
 */

const SELLER = 'toUInt64OrZero(${seller:singlequote})';
const FILTER = [
  `seller_id = ${SELLER}`,
  '$__timeFilter(minute)',
  '$__conditionalAll(country IN (${country:singlequote}), $country)',
  '$__conditionalAll(origin IN (${origin:singlequote}), $origin)',
];
/** The seller, range, countries and origins, plus `more` conditions, as one WHERE clause indented by `spaces`. */
const where = (spaces: number, ...more: string[]): string => [...FILTER, ...more].join(`\n${' '.repeat(spaces)}AND `);
const BUCKET = 'toDateTime(intDiv(toUInt32(minute), $__interval_s) * $__interval_s)';

/**
 * Ended attempts (SAVE or ERROR) per bucket, zeros included: a silent seller must show as zeros.
 * Only buckets wholly inside the range, so the edges do not read as drops.
 */
const volume = sql(`
  SELECT time, attempts, c AS center, c + 3 * sqrt(c) AS ucl, greatest(c - 3 * sqrt(c), 0) AS lcl
  FROM (
    SELECT groupArray(t) AS ts, groupArray(n) AS ns, avg(n) AS c
    FROM (
      SELECT t, toFloat64(cnt) AS n
      FROM (
        SELECT toDateTime((intDiv(toUInt32($__fromTime) + $__interval_s - 1, $__interval_s) + number) * $__interval_s) AS t
        FROM numbers(toUInt64(greatest(intDiv(toUInt32($__toTime), $__interval_s) - intDiv(toUInt32($__fromTime) + $__interval_s - 1, $__interval_s), 0)))
      )
      ANY LEFT JOIN (
        SELECT ${BUCKET} AS t, countMerge(events) AS cnt
        FROM upload_rollup_1m
        WHERE ${where(10, "event != 'UPDATE'")}
        GROUP BY t
      ) USING t
      ORDER BY t
    )
  )
  ARRAY JOIN ts AS time, ns AS attempts
  ORDER BY time`);

/** Failed among ended attempts per bucket, against p̄ ± 3·sqrt(p̄(1-p̄)/n) of the bucket's n. */
const failureRate = sql(`
  SELECT time, failures / n AS failure_rate, pbar AS center,
    least(pbar + 3 * sqrt(pbar * (1 - pbar) / n), 1) AS ucl,
    greatest(pbar - 3 * sqrt(pbar * (1 - pbar) / n), 0) AS lcl
  FROM (
    SELECT groupArray(t) AS ts, groupArray(f) AS fs, groupArray(a) AS ns, sum(f) / sum(a) AS pbar
    FROM (
      SELECT ${BUCKET} AS t, toFloat64(countIfMerge(errors)) AS f, toFloat64(countMerge(events)) AS a
      FROM upload_rollup_1m
      WHERE ${where(8, "event != 'UPDATE'")}
      GROUP BY t
      ORDER BY t
    )
  )
  ARRAY JOIN ts AS time, fs AS failures, ns AS n
  ORDER BY time`);

/** Mean latency of creating events per bucket, against the range's mean ± 3σ/√n; p95 for reference. */
const latency = sql(`
  SELECT time, total / n AS mean, p95, mu AS center, mu + 3 * sigma / sqrt(n) AS ucl, greatest(mu - 3 * sigma / sqrt(n), 0) AS lcl
  FROM (
    SELECT groupArray(t) AS ts, groupArray(k) AS ks, groupArray(s) AS ss, groupArray(q) AS qs,
      sum(s) / sum(k) AS mu, sqrt(greatest(sum(sq) / sum(k) - mu * mu, 0)) AS sigma
    FROM (
      SELECT ${BUCKET} AS t, toFloat64(countIfMerge(latency_n)) AS k, sumIfMerge(latency_sum) AS s, sumIfMerge(latency_sq) AS sq,
        quantilesIfMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[3] AS q
      FROM upload_rollup_1m
      WHERE ${where(8)}
      GROUP BY t
      HAVING k > 0
      ORDER BY t
    )
  )
  ARRAY JOIN ts AS time, ks AS n, ss AS total, qs AS p95
  ORDER BY time`);

/** A time series of the seller from the minute rollups (buckets of a minute at least): values renamed, limits dashed. */
const rollupChart = (p: Pick<PanelSpec, 'key' | 'title' | 'description' | 'width' | 'unit'> & { rawSql: string; values: Record<string, string> }): PanelSpec => ({
  ...(p.key ? { key: p.key } : {}),
  type: 'timeseries',
  title: p.title,
  description: p.description,
  width: p.width,
  height: 8,
  unit: p.unit,
  min: 0,
  interval: '1m',
  targets: [clickhouse(p.rawSql, 'timeseries')],
  overrides: [...Object.entries(p.values).map(([column, name]) => displayName(column, name)), ...limitLines()],
});

const THIS_SELLER = "dimension = concat('seller=', ${seller:singlequote})";
const ROLLUP_VALUES = (column: string, label: string) => ({
  name: column,
  label,
  description: `The seller's ${label.toLowerCase()} in the time range.`,
  rawSql: sql(`
    SELECT DISTINCT ${column}
    FROM upload_rollup_1m
    WHERE seller_id = ${SELLER} AND $__timeFilter(minute)
    ORDER BY ${column}`),
  multi: true,
});

export const sellerDrilldown = (): Dashboard =>
  dashboard({
    uid: 'upload-pulse-seller',
    title: 'upload-pulse: seller drill-down',
    description: 'One seller: volume, failure rate and latency against limits from its own data, and the anomaly worker’s findings about it.',
    lookback: '6h',
    variables: [
      streamVariable(true),
      {
        name: 'seller',
        label: 'Seller',
        description: 'company_id; the 100 busiest sellers of the range are listed, any id can be typed.',
        rawSql: sql(`
          SELECT toString(seller_id) AS seller
          FROM upload_rollup_1m
          WHERE $__timeFilter(minute) AND event != 'UPDATE'
          GROUP BY seller_id
          ORDER BY countMerge(events) DESC, seller_id
          LIMIT 100`),
        multi: false,
      },
      ROLLUP_VALUES('country', 'Countries'),
      ROLLUP_VALUES('origin', 'Origins'),
    ],
    panels: [
      rollupChart({
        key: 'volume',
        title: 'Volume: ended attempts per bucket (c-chart)',
        description: "SAVE and ERROR events per bucket, against the range's mean c̄ ± 3√c̄ (Poisson). Red regions: the worker's seller_volume and seller_silent findings.",
        width: 24,
        unit: 'short',
        rawSql: volume,
        values: { attempts: 'ended attempts' },
      }),
      rollupChart({
        key: 'failure',
        title: 'Failure rate (p-chart)',
        description: "Failed among ended attempts per bucket, against the range's pooled rate ± 3σ for the bucket's attempts. Red regions: the worker's seller_failure_rate findings.",
        width: 12,
        unit: 'percentunit',
        rawSql: failureRate,
        values: { failure_rate: 'failure rate' },
      }),
      rollupChart({
        title: 'Latency of creating events (X-bar)',
        description: "Mean creation-to-event latency per bucket, against the range's mean ± 3σ/√n; p95 for reference.",
        width: 12,
        unit: 'ms',
        rawSql: latency,
        values: { mean: 'mean', p95: 'p95' },
      }),
      {
        type: 'table',
        title: 'Anomaly history',
        description: "The worker's findings about this seller in the time range, newest first: value against the expected count or rate, and the exact-tail p-value before the Benjamini-Hochberg correction.",
        width: 24,
        height: 9,
        targets: [
          clickhouse(
            sql(`
              SELECT time, chart, rule, severity, value, center AS expected, p_value
              FROM (
                ${indent(breaches(THIS_SELLER), 16)}
              )
              ORDER BY time DESC, chart
              LIMIT 500`),
            'table',
          ),
        ],
      },
    ],
    annotations: [
      breachAnnotation('seller volume findings', ['seller_volume', 'seller_silent'], THIS_SELLER, ['volume']),
      breachAnnotation('seller failure findings', ['seller_failure_rate'], THIS_SELLER, ['failure']),
    ],
  });
