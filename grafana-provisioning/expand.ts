import type { Dashboard, QueryVariable } from './dashboard-model';
import { isPromTarget } from './dashboard-model';
import type { DashboardQuery, ProvisionedDatasource } from './targets';

/**
 * The text a server receives for a dashboard query, for a given time range and variable values,
 * as Grafana 12 and the ClickHouse plugin (v4) produce it:
 * - Grafana: $__interval from the range and the panel's resolution (rangeutil.calculateInterval),
 *   dashboard variables with their formats (`${var:singlequote}`), $__range, $__from, $__to;
 * - Prometheus datasource: the step (at least the datasource's timeInterval), $__rate_interval =
 *   max($__interval + scrape interval, 4 x scrape interval), the range aligned to the step,
 *   multi-value variables as regex alternations;
 * - ClickHouse plugin: $__conditionalAll (frontend), arrays as 'a','b' (its default format), then
 *   the backend macros ($__timeFilter(c) -> c >= toDateTime(from) AND c <= toDateTime(to), ...).
 * Anything it does not know (a variable not defined, a macro not listed) is an error, not left in.
 */

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** A variable's selection: one value, several, or ALL; `options` are what its query offered. */
export interface VariableState {
  value: string | string[];
  options: string[];
}
export const ALL = '$__all';

export interface ExpandContext {
  range: TimeRange;
  variables: Record<string, VariableState>;
  /** Grafana's resolution: the panel's width in pixels, or its maxDataPoints. */
  maxDataPoints: number;
}

// ---------------------------------------------------------------- time

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** "5s", "1m", "500ms", "6h" -> milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a Grafana interval (a number and ms, s, m, h, d, w or y)`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** A dashboard's relative time ("now-30m" .. "now") at `nowMs`. */
export function dashboardRange(d: Dashboard, nowMs: number): TimeRange {
  const at = (text: string) => {
    const m = /^now(?:-(.+))?$/.exec(text);
    if (!m) throw new Error(`${d.uid}: time "${text}" is not relative to now (now or now-<interval>)`);
    return nowMs - (m[1] ? durationMs(m[1]) : 0);
  };
  return { fromMs: at(d.time.from), toMs: at(d.time.to) };
}

// Grafana's rangeutil.roundInterval: [below this many ms, use this interval].
const ROUNDED: [number, number][] = [
  [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1_500, 1_000], [3_500, 2_000], [7_500, 5_000],
  [12_500, 10_000], [17_500, 15_000], [25_000, 20_000], [45_000, 30_000], [90_000, 60_000], [450_000, 300_000],
  [1_050_000, 600_000], [2_100_000, 1_800_000], [5_400_000, 3_600_000], [9_000_000, 7_200_000], [16_200_000, 10_800_000],
  [32_400_000, 21_600_000], [86_400_000, 43_200_000], [604_800_000, 86_400_000], [1_814_400_000, 604_800_000], [3_628_800_000, 2_592_000_000],
];
export const roundInterval = (ms: number): number => ROUNDED.find(([below]) => ms < below)?.[1] ?? 31_536_000_000;

/** Grafana's $__interval in ms: the range over the resolution, rounded, at least `minInterval` (panel, else datasource). */
export function intervalMs(range: TimeRange, maxDataPoints: number, minInterval?: string): number {
  return Math.max(roundInterval((range.toMs - range.fromMs) / maxDataPoints), minInterval ? durationMs(minInterval) : 1);
}

/** Grafana's secondsToHms, as $__interval is written: the largest whole unit. */
export function intervalText(ms: number): string {
  for (const unit of ['y', 'd', 'h', 'm', 's']) if (ms >= UNIT_MS[unit]) return `${Math.floor(ms / UNIT_MS[unit])}${unit}`;
  return `${ms}ms`;
}

// ---------------------------------------------------------------- dashboard variables

const VARIABLE = /\$\{(\w+)(?::([^}]*))?\}|\$(\w+)|\[\[(\w+)(?::([^\]]*))?\]\]/g;

type Formatter = (value: string | string[]) => string;
const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);
const regexEscape = (s: string): string => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

// Grafana's format registry, the formats these dashboards may use.
const FORMATS: Record<string, Formatter> = {
  singlequote: (v) => list(v).map((s) => `'${s.replace(/'/g, "\\'")}'`).join(','),
  doublequote: (v) => list(v).map((s) => `"${s.replace(/"/g, '\\"')}"`).join(','),
  sqlstring: (v) => list(v).map((s) => `'${s.replace(/'/g, "''")}'`).join(','),
  csv: (v) => list(v).join(','),
  pipe: (v) => list(v).join('|'),
  raw: (v) => list(v).join(','),
  regex: (v) => (list(v).length === 1 ? regexEscape(list(v)[0]) : `(${list(v).map(regexEscape).join('|')})`),
};

/** A variable's value as Grafana substitutes it: ALL becomes every option. */
function selected(state: VariableState): string | string[] {
  const isAll = state.value === ALL || (Array.isArray(state.value) && state.value.includes(ALL));
  return isAll ? state.options : state.value;
}

/**
 * Grafana's templateSrv.replace: dashboard variables (with an explicit format, else the
 * datasource's), then Grafana's own `builtins`. `$__x` that is neither is left for the datasource.
 */
function replaceVariables(text: string, ctx: ExpandContext, builtins: Record<string, string>, datasourceFormat: (name: string, v: string | string[]) => string, label: string): string {
  return text.replace(VARIABLE, (match, braced?: string, braceFormat?: string, plain?: string, bracketed?: string, bracketFormat?: string) => {
    const name = (braced ?? plain ?? bracketed)!;
    const format = braceFormat ?? bracketFormat;
    if (name in builtins) return builtins[name];
    if (name.startsWith('__')) return match;
    const state = ctx.variables[name];
    if (!state) throw new Error(`${label}: variable $${name} has no value (defined variables: ${Object.keys(ctx.variables).join(', ') || 'none'})`);
    const value = selected(state);
    if (format === undefined) return datasourceFormat(name, value);
    const formatter = FORMATS[format];
    if (!formatter) throw new Error(`${label}: format "${format}" of $${name} is not one of ${Object.keys(FORMATS).join(', ')}`);
    return formatter(value);
  });
}

const rangeBuiltins = (range: TimeRange): Record<string, string> => {
  const ms = range.toMs - range.fromMs;
  return { __from: String(range.fromMs), __to: String(range.toMs), __range_ms: String(ms), __range_s: String(Math.round(ms / 1000)), __range: `${Math.round(ms / 1000)}s` };
};

// ---------------------------------------------------------------- ClickHouse

/** Arguments of a call whose "(" is at `open`, split at top-level commas, and where the call ends. */
function callArguments(text: string, open: number, label: string): { args: string[]; end: number } {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      args.push(text.slice(start, i).trim());
      return { args, end: i + 1 };
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`${label}: unclosed "(" at ${text.slice(Math.max(0, open - 20), open + 20)}`);
}

/** Replaces every `$__<name>(...)` / `$__<name>` found in `names` with `expand(args)`, innermost last. */
function replaceCalls(text: string, names: Record<string, (args: string[]) => string>, label: string, withArgs: boolean): string {
  const re = /\$__(\w+)/g;
  let out = '';
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const expand = names[m[1]];
    if (!expand) continue;
    const hasArgs = text[re.lastIndex] === '(';
    if (withArgs && !hasArgs) throw new Error(`${label}: $__${m[1]} needs arguments in parentheses`);
    const { args, end } = hasArgs && withArgs ? callArguments(text, re.lastIndex, label) : { args: [], end: re.lastIndex };
    out += text.slice(at, m.index) + expand(args);
    at = end;
    re.lastIndex = end;
  }
  return out + text.slice(at);
}

const dateTime = (ms: number): string => `toDateTime(${Math.floor(ms / 1000)})`;
const date = (ms: number): string => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;
const arity = (name: string, n: number, label: string) => (args: string[]) => {
  if (args.length !== n) throw new Error(`${label}: $__${name} takes ${n} argument(s), got ${args.length}: (${args.join(', ')})`);
  return args;
};

/** The plugin's backend macros (pkg/macros), for a range and an interval in ms. */
function clickhouseMacros(range: TimeRange, intervalMsValue: number, label: string): Record<string, (args: string[]) => string> {
  const seconds = Math.max(Math.floor(intervalMsValue / 1000), 1);
  const between = (column: string, lo: string, hi: string) => `${column} >= ${lo} AND ${column} <= ${hi}`;
  const one = (name: string) => arity(name, 1, label);
  return {
    fromTime: () => dateTime(range.fromMs),
    toTime: () => dateTime(range.toMs),
    interval_s: () => String(seconds),
    timeFilter: (a) => between(one('timeFilter')(a)[0], dateTime(range.fromMs), dateTime(range.toMs)),
    dateFilter: (a) => between(one('dateFilter')(a)[0], date(range.fromMs), date(range.toMs)),
    dateTimeFilter: (a) => {
      const [d, t] = arity('dateTimeFilter', 2, label)(a);
      return `(${between(d, date(range.fromMs), date(range.toMs))}) AND (${between(t, dateTime(range.fromMs), dateTime(range.toMs))})`;
    },
    timeInterval: (a) => `toStartOfInterval(toDateTime(${one('timeInterval')(a)[0]}), INTERVAL ${seconds} second)`,
  };
}

/** Macros that need DateTime64 or functions ClickHouse 18.16 lacks: the dashboards must not use them. */
export const MACROS_MISSING_IN_18_16 = ['fromTime_ms', 'toTime_ms', 'timeFilter_ms', 'timeInterval_ms', 'timeInterval'];

/** The frontend's $__conditionalAll(condition, $var): 1=1 when the variable is All (or empty). */
function conditionalAll(text: string, ctx: ExpandContext, label: string): string {
  return replaceCalls(
    text,
    {
      conditionalAll: (args) => {
        const [condition, variable] = arity('conditionalAll', 2, label)(args);
        const name = /^\$(\w+)$/.exec(variable)?.[1];
        if (!name) throw new Error(`${label}: the second argument of $__conditionalAll must be a variable ($name), got "${variable}"`);
        const state = ctx.variables[name];
        if (!state) throw new Error(`${label}: variable $${name} has no value`);
        const value = list(state.value).join(',');
        return value === '' || value === ALL ? '1=1' : condition;
      },
    },
    label,
    true,
  );
}

/** The SQL the ClickHouse plugin sends for a query. Panels use their $__interval; variable queries have none (1 s). */
export function expandClickHouse(q: DashboardQuery, ctx: ExpandContext): string {
  const interval = q.source === 'panel' ? intervalMs(ctx.range, ctx.maxDataPoints, q.panel?.interval) : 0;
  const builtins = { ...rangeBuiltins(ctx.range), __interval: intervalText(interval), __interval_ms: String(interval) };
  // The plugin's default format: a multi-value variable as a quoted list, a single value as is.
  const pluginFormat = (_name: string, v: string | string[]) => (Array.isArray(v) ? `'${v.join("','")}'` : v);
  const interpolated = replaceVariables(conditionalAll(q.text, ctx, q.label), ctx, builtins, pluginFormat, q.label);
  const macros = clickhouseMacros(ctx.range, interval, q.label);
  const withArgs = ['timeFilter', 'dateFilter', 'dateTimeFilter', 'timeInterval'];
  const expanded = replaceCalls(
    replaceCalls(interpolated, Object.fromEntries(withArgs.map((n) => [n, macros[n]])), q.label, true),
    Object.fromEntries(Object.entries(macros).filter(([n]) => !withArgs.includes(n))),
    q.label,
    false,
  );
  const left = /\$__\w+|\$\{?\w+/.exec(expanded);
  if (left) throw new Error(`${q.label}: "${left[0]}" is neither a dashboard variable, a Grafana variable nor a macro of the ClickHouse plugin`);
  return expanded;
}

// ---------------------------------------------------------------- Prometheus

export interface PromQuery {
  expr: string;
  /** Seconds since epoch, aligned to the step. */
  start: number;
  end: number;
  /** Seconds. */
  step: number;
  instant: boolean;
}

// Grafana's prometheusRegularEscape / prometheusSpecialRegexEscape.
const promEscape = (s: string): string => s.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
const promRegexEscape = (s: string): string => s.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

/** The query the Prometheus datasource sends for a panel target or a variable. */
export function expandPrometheus(q: DashboardQuery, ctx: ExpandContext, ds: ProvisionedDatasource): PromQuery {
  const scrapeS = durationMs(ds.jsonData?.timeInterval ?? '15s') / 1000;
  const rangeS = (ctx.range.toMs - ctx.range.fromMs) / 1000;
  const requested = intervalMs(ctx.range, ctx.maxDataPoints, q.panel?.interval ?? ds.jsonData?.timeInterval) / 1000;
  // adjustInterval: Prometheus refuses more than 11,000 points.
  const safe = rangeS / 11_000 > 1 ? Math.ceil(rangeS / 11_000) : rangeS / 11_000;
  const step = Math.max(requested, safe);
  const rate = Math.max(step + scrapeS, 4 * scrapeS);
  const builtins = { ...rangeBuiltins(ctx.range), __interval: `${step}s`, __interval_ms: String(step * 1000), __rate_interval: `${rate}s`, __rate_interval_ms: String(rate * 1000) };
  const variables = Object.fromEntries(q.dashboard.templating.list.map((v): [string, QueryVariable] => [v.name, v]));
  const promFormat = (name: string, v: string | string[]) => {
    const def = variables[name];
    if (def && !def.multi && !def.includeAll) return promEscape(list(v).join(','));
    const values = list(v).map(promRegexEscape);
    return values.length === 1 ? values[0] : `(${values.join('|')})`;
  };
  const expr = replaceVariables(q.text, ctx, builtins, promFormat, q.label);
  const left = /\$__\w+|\$\{?\w+/.exec(expr);
  if (left) throw new Error(`${q.label}: "${left[0]}" is neither a dashboard variable nor a Grafana variable`);
  const instant = q.target !== undefined && isPromTarget(q.target) && q.target.instant;
  const start = Math.ceil(ctx.range.fromMs / 1000);
  const end = Math.ceil(ctx.range.toMs / 1000);
  return { expr, start: Math.floor(start / step) * step, end: Math.floor(end / step) * step, step, instant };
}

// ---------------------------------------------------------------- variable values

/**
 * Resolves a dashboard's variables in order, as Grafana does when it opens: each query variable's
 * query (with the variables before it) gives its options; the saved selection stays if offered
 * (All stays All), else the first option is chosen.
 */
export async function resolveVariables(queries: DashboardQuery[], range: TimeRange, options: (q: DashboardQuery, text: string) => Promise<string[]>): Promise<Record<string, VariableState>> {
  const variables: Record<string, VariableState> = {};
  for (const q of queries.filter((x) => x.source === 'variable')) {
    const v = q.variable!;
    if (q.language !== 'sql') throw new Error(`${q.label}: only ClickHouse variable queries are supported here`);
    const offered = await options(q, expandClickHouse(q, { range, variables, maxDataPoints: 1 }));
    const saved = v.current?.value;
    const savedValues = saved === undefined ? [] : list(saved);
    let value: string | string[];
    if (v.includeAll && savedValues.includes(ALL)) value = v.multi ? [ALL] : ALL;
    else if (savedValues.length > 0 && savedValues.every((s) => offered.includes(s))) value = v.multi ? savedValues : savedValues[0];
    else value = v.multi ? offered.slice(0, 1) : (offered[0] ?? '');
    variables[v.name] = { value, options: offered };
  }
  return variables;
}
