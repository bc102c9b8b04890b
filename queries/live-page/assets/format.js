// Numbers and times on the live page, in each chart's unit; times in UTC (the charts' event time).

const UNITS = {
  failure_rate: 'rate',
  seller_failure_rate: 'rate',
  latency_mean: 'ms',
  latency_p95: 'ms',
  latency_p99: 'ms',
  latency_ewma: 'sigma',
  seller_volume: 'attempts',
  seller_silent: 'minutes',
};

export const CHART_TITLES = {
  failure_rate: 'Failure rate (p-chart)',
  latency_mean: 'Latency mean (X-bar)',
  latency_p95: 'Latency p95 (individuals chart in log space)',
  latency_p99: 'Latency p99 (individuals chart in log space)',
  latency_ewma: 'Latency EWMA of the standardized mean',
  seller_volume: 'Seller volume (attempts per window)',
  seller_failure_rate: 'Seller failure rate',
  seller_silent: 'Seller silence (minutes without attempts)',
};

export function formatValue(chart, value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  switch (UNITS[chart]) {
    case 'rate':
      return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)} %`;
    case 'ms':
      return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
    case 'sigma':
      return `${value.toFixed(2)} σ`;
    case 'minutes':
      return `${value.toFixed(1)} min`;
    default:
      return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
  }
}

/** The axis formatter of a chart's values. */
export const axisFormatter = (chart) => (value) => (UNITS[chart] === 'rate' ? `${+(value * 100).toFixed(2)} %` : UNITS[chart] === 'ms' ? `${value} ms` : String(value));

const pad = (n) => String(n).padStart(2, '0');

/** HH:MM:SS UTC; with the date (MM-DD) when `withDate`. */
export function formatTime(epochSeconds, withDate = false) {
  const d = new Date(epochSeconds * 1000);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return withDate ? `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${time}` : time;
}

export function formatAgo(seconds) {
  if (seconds < 0) return 'just now';
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

/** "origin=xlsx-import" -> "origin xlsx-import", "seller=123" -> "seller 123". */
export const dimensionLabel = (dimension) => dimension.replace('=', ' ');
