// ECharts options for a control chart: the value, centre line, UCL/LCL, zones shaded at 1, 2 and
// 3 sigma, and every point that broke a rule marked with the rule number(s).
import { axisFormatter, formatTime, formatValue } from './format.js';

const ZONE_COLORS = { A: 'rgba(229, 57, 53, 0.11)', B: 'rgba(251, 192, 45, 0.20)', C: 'rgba(67, 160, 71, 0.13)' };
const BAD = '#c62828';
const LOG_CHARTS = new Set(['latency_p95', 'latency_p99']);

/**
 * Where the line k sigma from the centre lies, in the chart's unit: the quantile charts are drawn
 * in log space (sigma in log units), the others linearly; rates and latencies stay >= 0.
 */
function zoneLine(chart) {
  if (LOG_CHARTS.has(chart)) return (p, k) => p.center * Math.exp(k * p.sigma);
  if (chart === 'latency_ewma') return (p, k) => p.center + k * p.sigma;
  return (p, k) => Math.max(0, p.center + k * p.sigma);
}

/**
 * Bands from bottom to top as [lower k, upper k, zone]. The EWMA has no runs rules, so only its
 * in-control band (between its own limits) is shaded.
 */
const bandsOf = (chart) =>
  chart === 'latency_ewma'
    ? [[-1, 1, 'C']]
    : [[-3, -2, 'A'], [-2, -1, 'B'], [-1, 1, 'C'], [1, 2, 'B'], [2, 3, 'A']];

const hasLimits = (p) => p.center !== null && p.sigma !== null && p.sigma > 0;

export function controlChartOption(chart, points) {
  const x = (p) => p.t * 1000;
  const line = zoneLine(chart);
  const bands = bandsOf(chart);
  // The EWMA's band runs between its limits (L sigma), the others' zones at whole sigmas.
  const at = (p, k) => (chart === 'latency_ewma' ? (k < 0 ? p.lcl : p.ucl) : line(p, k));
  const stacked = (name, color, value) => ({
    name: 'zones',
    id: name,
    type: 'line',
    stack: 'zones',
    stackStrategy: 'all',
    silent: true,
    symbol: 'none',
    lineStyle: { opacity: 0 },
    areaStyle: color ? { color, opacity: 1 } : undefined,
    itemStyle: { color: color ?? 'transparent' },
    data: points.map((p) => [x(p), hasLimits(p) ? value(p) : null]),
    z: 1,
  });
  const byX = new Map(points.map((p) => [x(p), p]));
  const limitLine = (id, name, pick, style) => ({
    id, name, type: 'line', symbol: 'none', silent: true, z: 2,
    lineStyle: style, itemStyle: { color: style.color },
    data: points.map((p) => [x(p), pick(p)]),
  });
  const breaches = points.filter((p) => p.rules.length > 0);

  return {
    animation: false,
    useUTC: true,
    grid: { left: 64, right: 20, top: 36, bottom: 28 },
    legend: { top: 0, right: 8, data: ['value', 'centre', 'UCL / LCL', { name: 'zones', itemStyle: { color: 'rgba(251, 192, 45, 0.7)' } }, 'broke a rule (rule no.)'], itemWidth: 16, textStyle: { fontSize: 11 } },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'line' },
      formatter: (items) => {
        const p = byX.get(items[0]?.axisValue);
        if (!p) return '';
        const rows = [
          ['value', formatValue(chart, p.value)],
          ['centre', formatValue(chart, p.center)],
          ['UCL / LCL', `${formatValue(chart, p.ucl)} / ${formatValue(chart, p.lcl)}`],
          ['n', String(p.n)],
          ...(p.rules.length ? [['rules', p.rules.join(', ')]] : []),
        ];
        return `<b>${formatTime(p.t, true)} UTC</b><br>${rows.map(([k, v]) => `${k}: <b>${v}</b>`).join('<br>')}`;
      },
    },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', scale: true, axisLabel: { formatter: axisFormatter(chart) }, splitLine: { lineStyle: { color: '#eef0f3' } } },
    series: [
      stacked('zone-base', null, (p) => at(p, bands[0][0])),
      ...bands.map(([lo, hi, zone], i) => stacked(`zone-${i}`, ZONE_COLORS[zone], (p) => at(p, hi) - at(p, lo))),
      limitLine('ucl', 'UCL / LCL', (p) => p.ucl, { color: BAD, type: 'dashed', width: 1.2 }),
      limitLine('lcl', 'UCL / LCL', (p) => p.lcl, { color: BAD, type: 'dashed', width: 1.2 }),
      limitLine('centre', 'centre', (p) => p.center, { color: '#2e7d32', width: 1.2 }),
      {
        id: 'value', name: 'value', type: 'line', z: 3,
        showSymbol: points.length <= 240, symbolSize: 4,
        lineStyle: { color: '#2f6fdb', width: 1.6 }, itemStyle: { color: '#2f6fdb' },
        data: points.map((p) => [x(p), p.value]),
      },
      {
        id: 'breaches', name: 'broke a rule (rule no.)', type: 'scatter', z: 4,
        symbolSize: 10, itemStyle: { color: BAD, borderColor: '#fff', borderWidth: 1 },
        label: { show: true, position: 'top', distance: 4, color: BAD, fontWeight: 'bold', fontSize: 12, formatter: (d) => d.data.rules },
        labelLayout: { hideOverlap: true },
        data: breaches.map((p) => ({ value: [x(p), p.value], rules: p.rules.join(',') })),
      },
    ],
  };
}

const SELLER_CHARTS = ['seller_volume', 'seller_failure_rate', 'seller_silent'];
const SELLER_NAMES = { seller_volume: 'volume (attempts)', seller_failure_rate: 'failure rate', seller_silent: 'silence (minutes)' };

/**
 * The seller drill-down: one small panel per seller test with breaches, each breach drawn as the
 * observed value (marked with its rule, "tail") against what the seller's own history expected.
 */
export function sellerChartOption(breaches) {
  const charts = SELLER_CHARTS.filter((c) => breaches.some((b) => b.chart === c));
  const times = breaches.map((b) => b.start * 1000);
  const [min, max] = [Math.min(...times), Math.max(...times)];
  const pad = Math.max(60_000, (max - min) * 0.05);
  const height = 100 / Math.max(1, charts.length);
  const grid = charts.map((_, i) => ({ left: 64, right: 20, top: `${i * height + 7}%`, height: `${height - 14}%` }));
  return {
    animation: false,
    useUTC: true,
    grid,
    legend: { top: 0, right: 8, data: ['observed (rule)', 'expected'], textStyle: { fontSize: 11 } },
    tooltip: {
      trigger: 'item',
      formatter: (item) => {
        const b = item.data.breach;
        return `<b>${formatTime(b.start, true)} UTC</b><br>${SELLER_NAMES[b.chart]}: <b>${formatValue(b.chart, b.value)}</b><br>expected: <b>${formatValue(b.chart, b.center)}</b><br>p-value: <b>${b.pValue === null ? '–' : b.pValue.toExponential(2)}</b><br>${b.severity}`;
      },
    },
    xAxis: charts.map((_, i) => ({ type: 'time', gridIndex: i, min: min - pad, max: max + pad, axisLabel: { hideOverlap: true } })),
    yAxis: charts.map((c, i) => ({ type: 'value', gridIndex: i, scale: true, name: SELLER_NAMES[c], nameTextStyle: { align: 'left', fontSize: 11 }, axisLabel: { formatter: axisFormatter(c) } })),
    series: charts.flatMap((c, i) => {
      const mine = breaches.filter((b) => b.chart === c);
      return [
        {
          name: 'expected', type: 'scatter', xAxisIndex: i, yAxisIndex: i, symbol: 'emptyDiamond', symbolSize: 9, itemStyle: { color: '#2e7d32' },
          data: mine.map((b) => ({ value: [b.start * 1000, b.center], breach: b })),
        },
        {
          name: 'observed (rule)', type: 'scatter', xAxisIndex: i, yAxisIndex: i, symbolSize: 10, itemStyle: { color: BAD },
          label: { show: true, position: 'top', color: BAD, fontWeight: 'bold', fontSize: 11, formatter: (d) => d.data.breach.rule },
          labelLayout: { hideOverlap: true },
          data: mine.map((b) => ({ value: [b.start * 1000, b.value], breach: b })),
        },
      ];
    }),
  };
}
