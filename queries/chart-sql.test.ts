import { anomaliesSql } from './anomalies';
import { chartPointsParams, chartPointsSql } from './chart-points';
import { chartWhere } from './chart-sql';
import { clickhouseProblem } from './clickhouse-problem';
import { dimensionsSql } from './dimensions';
import { dimension, describeIssues } from './params';

/** Chart-table reads: validated values, escaped literals, the last written version of a row. */

test('the range filter: stream, equal columns, windows in [from, to), rows written since', () => {
  expect(chartWhere({ stream: 's.raw', from: 100, to: 200, since: 150 }, 'written_at', { chart: 'failure_rate', dimension: undefined })).toBe(
    "stream = 's.raw' AND chart = 'failure_rate' AND window_start >= toDateTime(100) AND window_start < toDateTime(200) AND written_at >= toDateTime(150)",
  );
  expect(chartWhere({ stream: 's', from: 100.7 }, 'detected_at')).toBe("stream = 's' AND window_start >= toDateTime(100)");
});

test('values that got past validation are still written as escaped literals', () => {
  const sql = chartPointsSql('upload_pulse', { stream: 's', chart: 'failure_rate', dimension: "origin=a'b\\", from: 0 });
  expect(sql).toContain("dimension = 'origin=a\\'b\\\\'");
  expect(() => chartPointsSql('upload_pulse; DROP', { stream: 's', chart: 'failure_rate', dimension: 'global', from: 0 })).toThrow('not a plain identifier');
});

test('a window or breach written twice reads as its last written version', () => {
  expect(chartPointsSql('db', { stream: 's', chart: 'latency_mean', dimension: 'global', from: 0 })).toContain('argMax(value, written_at) AS value');
  const anomalies = anomaliesSql('db', { stream: 's', from: 0, limit: 5 });
  expect(anomalies).toContain('argMax(value, detected_at) AS value');
  expect(anomalies).toMatch(/GROUP BY anomaly_id, .* LIMIT 5$/s);
});

test('the seller drill-down lists sellers with breaches; dimension charts list dimensions with points', () => {
  expect(dimensionsSql('db', { stream: 's', chart: 'seller', from: 0 })).toContain("FROM db.anomalies WHERE stream = 's' AND window_start >= toDateTime(0) AND startsWith(dimension, 'seller=')");
  expect(dimensionsSql('db', { stream: 's', chart: 'latency_p95', from: 0 })).toContain("FROM db.chart_points WHERE stream = 's' AND chart = 'latency_p95'");
});

test.each(['global', 'origin=xlsx-import', 'origin=Some Origin/2', 'country=RU', 'seller=9007199254740003'])('dimension %s is accepted', (d) => {
  expect(dimension.safeParse(d).success).toBe(true);
});

test.each(["global' OR 1=1", 'country=ru', 'seller=12a', 'seller=123456789012345678901', 'origin=', 'origin=a\nb', 'region=EU'])('dimension %j is refused', (d) => {
  expect(dimension.safeParse(d).success).toBe(false);
});

test('problems name the parameter and what it must be', () => {
  const problems = (query: Record<string, string>) => {
    const parsed = chartPointsParams.safeParse(query);
    return parsed.success ? [] : describeIssues(parsed.error);
  };
  expect(problems({ chart: 'nope', dimension: 'global', from: '100', to: '200' })).toEqual([expect.stringMatching(/^chart: must be one of failure_rate, latency_mean/)]);
  expect(problems({ chart: 'failure_rate', dimension: 'global', from: '200', to: '100' })).toEqual(['to: must be after from']);
  expect(problems({ chart: 'failure_rate', dimension: 'global', from: '0', to: String(8 * 86_400) })).toEqual(['to: range must be at most 7 days']);
});

test('a ClickHouse failure in words: unreachable when no answer came, else what the server said', () => {
  expect(clickhouseProblem(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }))).toBe('ClickHouse unreachable: connect ECONNREFUSED 127.0.0.1:8123');
  expect(clickhouseProblem(new Error('Code: 60, e.displayText() = DB::Exception: Table x doesn\'t exist\nstack'))).toBe("ClickHouse query failed: Code: 60, e.displayText() = DB::Exception: Table x doesn't exist");
});
