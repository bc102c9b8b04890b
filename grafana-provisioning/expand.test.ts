import { clickhouse, dashboard, prom, type PanelSpec, type VariableSpec } from './dashboards/generator/panels';
import { ALL, dashboardRange, durationMs, expandClickHouse, expandPrometheus, intervalMs, intervalText, resolveVariables, type ExpandContext, type VariableState } from './expand';
import { dashboardQueries, type DashboardQuery, type ProvisionedDatasource } from './targets';

/** Grafana's and the ClickHouse plugin's substitutions, checked against what they are documented (and coded) to produce. */

const FROM = Date.parse('2026-11-27T10:00:00Z');
const range = (minutes: number) => ({ fromMs: FROM, toMs: FROM + minutes * 60_000 });
const PROM_DS: ProvisionedDatasource = { name: 'Prometheus', uid: 'prometheus', type: 'prometheus', jsonData: { timeInterval: '5s' } };

const variable = (name: string, rawSql: string, multi = false, current?: string): VariableSpec => ({ name, label: name, description: name, rawSql, multi, ...(current ? { current } : {}) });

/** The queries of a one-off dashboard: its variables, then one panel per target. */
function queries(targets: PanelSpec['targets'], variables: VariableSpec[] = [], interval?: string): DashboardQuery[] {
  const panels = targets.map((t, i): PanelSpec => ({ type: 'timeseries', title: `p${i}`, description: '', width: 6, height: 4, targets: [t], ...(interval ? { interval } : {}) }));
  return dashboardQueries(dashboard({ uid: 'test', title: 'test', description: '', lookback: '30m', variables, panels }));
}
const panelQuery = (rawSql: string, interval?: string) => queries([clickhouse(rawSql, 'timeseries')], [], interval)[0];
const ctx = (minutes: number, variables: Record<string, VariableState> = {}): ExpandContext => ({ range: range(minutes), variables, maxDataPoints: 1000 });

describe('intervals, as Grafana computes $__interval', () => {
  test.each([
    [30, undefined, 2_000],
    [30, '5s', 5_000],
    [360, undefined, 20_000],
    [360, '1m', 60_000],
    [24 * 60, undefined, 60_000],
    [7 * 24 * 60, undefined, 600_000],
  ])('%i minutes over 1000 points, at least %s: %i ms', (minutes, min, expected) => {
    expect(intervalMs(range(minutes), 1000, min)).toBe(expected);
  });

  test('durations and the $__interval text', () => {
    expect([durationMs('500ms'), durationMs('5s'), durationMs('1m'), durationMs('6h'), durationMs('1d')]).toEqual([500, 5_000, 60_000, 21_600_000, 86_400_000]);
    expect(() => durationMs('5 minutes')).toThrow(/not a Grafana interval/);
    expect([intervalText(500), intervalText(5_000), intervalText(60_000), intervalText(3_600_000)]).toEqual(['500ms', '5s', '1m', '1h']);
  });

  test("a dashboard's relative time range", () => {
    const d = dashboard({ uid: 'x', title: 'x', description: '', lookback: '6h', panels: [] });
    expect(dashboardRange(d, FROM)).toEqual({ fromMs: FROM - 6 * 3_600_000, toMs: FROM });
  });
});

describe('ClickHouse plugin macros', () => {
  const from = FROM / 1000;
  const to = from + 1800;

  test('$__timeFilter, $__fromTime, $__toTime and $__dateFilter as toDateTime/toDate of the range', () => {
    expect(expandClickHouse(panelQuery('SELECT 1 WHERE $__timeFilter(window_start) AND d >= toDate($__fromTime) AND t < $__toTime'), ctx(30))).toBe(
      `SELECT 1 WHERE window_start >= toDateTime(${from}) AND window_start <= toDateTime(${to}) AND d >= toDate(toDateTime(${from})) AND t < toDateTime(${to})`,
    );
    expect(expandClickHouse(panelQuery('$__dateFilter(event_date)'), ctx(30))).toBe("event_date >= toDate('2026-11-27') AND event_date <= toDate('2026-11-27')");
    expect(expandClickHouse(panelQuery('$__dateTimeFilter(event_date, event_time)'), ctx(30))).toBe(
      `(event_date >= toDate('2026-11-27') AND event_date <= toDate('2026-11-27')) AND (event_time >= toDateTime(${from}) AND event_time <= toDateTime(${to}))`,
    );
  });

  test("$__interval_s is the panel's interval in whole seconds, at least its min interval; variable queries get 1", () => {
    expect(expandClickHouse(panelQuery('$__interval_s'), ctx(360))).toBe('20');
    expect(expandClickHouse(panelQuery('$__interval_s', '1m'), ctx(360))).toBe('60');
    expect(expandClickHouse(panelQuery('$__interval_s'), ctx(1))).toBe('1');
    const [v] = queries([], [variable('v', 'SELECT $__interval_s')]);
    expect(expandClickHouse(v, ctx(360))).toBe('SELECT 1');
  });

  test('macro arguments may hold parentheses and commas', () => {
    expect(expandClickHouse(panelQuery('$__timeFilter(toDateTime(intDiv(x, 60) * 60))'), ctx(30))).toBe(`toDateTime(intDiv(x, 60) * 60) >= toDateTime(${from}) AND toDateTime(intDiv(x, 60) * 60) <= toDateTime(${to})`);
  });

  test('an unknown macro, a wrong argument count or a missing parenthesis fails naming the query', () => {
    expect(() => expandClickHouse(panelQuery('WHERE $__timeFilter_ms(t)'), ctx(30))).toThrow(/test panel "p0" A: "\$__timeFilter_ms" is neither/);
    expect(() => expandClickHouse(panelQuery('WHERE $__timeFilter(a, b)'), ctx(30))).toThrow(/\$__timeFilter takes 1 argument\(s\), got 2/);
    expect(() => expandClickHouse(panelQuery('WHERE $__timeFilter(t'), ctx(30))).toThrow(/unclosed "\("/);
    expect(() => expandClickHouse(panelQuery('WHERE $__timeFilter'), ctx(30))).toThrow(/needs arguments/);
  });
});

describe('dashboard variables in SQL', () => {
  const one = (value: string | string[], options: string[] = list(value)): VariableState => ({ value, options });
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

  test("explicit formats follow Grafana's registry; the plugin's own format quotes lists only", () => {
    const vars = { s: one("it's"), m: one(['RU', 'DE']) };
    expect(expandClickHouse(panelQuery('${s:singlequote} ${m:singlequote} ${m:csv} ${m:pipe} ${s:sqlstring} ${m:regex}'), ctx(30, vars))).toBe("'it\\'s' 'RU','DE' RU,DE RU|DE 'it''s' (RU|DE)");
    expect(expandClickHouse(panelQuery('$s [[s]] ${s} $m'), ctx(30, vars))).toBe("it's it's it's 'RU','DE'");
  });

  test('All stands for every option; $__conditionalAll drops the condition for All only', () => {
    const sqlText = 'WHERE $__conditionalAll(country IN (${country:singlequote}), $country)';
    expect(expandClickHouse(panelQuery(sqlText), ctx(30, { country: one([ALL], ['RU', 'DE']) }))).toBe('WHERE 1=1');
    expect(expandClickHouse(panelQuery(sqlText), ctx(30, { country: one(['DE']) }))).toBe("WHERE country IN ('DE')");
    expect(expandClickHouse(panelQuery('${country:singlequote}'), ctx(30, { country: one([ALL], ['RU', 'DE']) }))).toBe("'RU','DE'");
  });

  test('a variable without a value, or an unknown format, fails naming both', () => {
    expect(() => expandClickHouse(panelQuery('seller = $seller'), ctx(30))).toThrow(/test panel "p0" A: variable \$seller has no value/);
    expect(() => expandClickHouse(panelQuery('${s:percentencode}'), ctx(30, { s: one('x') }))).toThrow(/format "percentencode" of \$s is not one of/);
  });
});

describe('Prometheus', () => {
  const promQuery = (expr: string, variables: VariableSpec[] = []) => queries([prom(expr, '')], variables).at(-1)!;

  test("step and $__rate_interval follow the datasource's 5 s scrape interval", () => {
    const q = expandPrometheus(promQuery('rate(x[$__rate_interval]) / $__interval'), ctx(30), PROM_DS);
    expect(q).toMatchObject({ expr: 'rate(x[20s]) / 5s', step: 5, instant: false });
    const day = expandPrometheus(promQuery('rate(x[$__rate_interval])'), ctx(24 * 60), PROM_DS);
    expect(day).toMatchObject({ expr: 'rate(x[65s])', step: 60 });
  });

  test('the range is aligned to the step', () => {
    const q = expandPrometheus(promQuery('x'), { range: { fromMs: FROM + 2_500, toMs: FROM + 1_800_000 + 7_200 }, variables: {}, maxDataPoints: 1000 }, PROM_DS);
    expect([q.start, q.end, q.step]).toEqual([FROM / 1000, FROM / 1000 + 1805, 5]);
  });

  test('multi-value variables become escaped regex alternations; single values are escaped as strings', () => {
    const q = promQuery('x{a=~"$m", b="$s"}', [variable('m', 'SELECT 1', true), variable('s', 'SELECT 1')]);
    expect(expandPrometheus(q, ctx(30, { m: { value: ['a.b', 'c'], options: [] }, s: { value: "it's", options: [] } }), PROM_DS).expr).toBe(`x{a=~"(a\\\\.b|c)", b="it\\\\'s"}`);
  });
});

describe('resolving variables as a dashboard opens', () => {
  test('in order, each query seeing the ones before; a saved choice stays if offered, All stays All, else the first option', async () => {
    const qs = queries(
      [],
      [variable('stream', "SELECT 'a'", false, 'gone'), variable('seller', 'SELECT seller WHERE stream = ${stream:singlequote}', false, '7'), variable('country', 'SELECT country WHERE seller = $seller', true)],
    );
    const seen: string[] = [];
    const offered: Record<string, string[]> = { stream: ['s1', 's2'], seller: ['5', '7'], country: ['RU', 'DE'] };
    const vars = await resolveVariables(qs, range(30), async (q, text) => {
      seen.push(text);
      return offered[q.variable!.name];
    });
    expect(seen).toEqual(["SELECT 'a'", "SELECT seller WHERE stream = 's1'", 'SELECT country WHERE seller = 7']);
    expect(vars).toEqual({ stream: { value: 's1', options: ['s1', 's2'] }, seller: { value: '7', options: ['5', '7'] }, country: { value: [ALL], options: ['RU', 'DE'] } });
  });
});
