import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Breach, ChartPoint } from './breaches';
import { SELLER_CHARTS } from './partials';

/**
 * The worker's /metrics. Label cardinality stays bounded: dimension charts have one series per
 * dimension (origins are capped per window, countries are ISO codes); seller series exist only for
 * sellers in breach now and the top sellers by volume (ANOMALY_TOP_SELLERS), and are removed when
 * they leave that set.
 */

export interface SellerPoint {
  seller: string;
  attempts: number;
  failures: number;
}

export function anomalyMetrics(registry: Registry) {
  collectDefaultMetrics({ register: registry });
  const labels = ['chart', 'dimension'] as const;
  const value = new Gauge({ name: 'upload_pulse_chart_value', help: 'Latest charted value per chart and dimension (event time of upload_pulse_anomaly_last_window_end_seconds)', labelNames: labels, registers: [registry] });
  const center = new Gauge({ name: 'upload_pulse_chart_center', help: 'Centre line of the latest window', labelNames: labels, registers: [registry] });
  const ucl = new Gauge({ name: 'upload_pulse_chart_ucl', help: 'Upper control limit of the latest window', labelNames: labels, registers: [registry] });
  const lcl = new Gauge({ name: 'upload_pulse_chart_lcl', help: 'Lower control limit of the latest window', labelNames: labels, registers: [registry] });
  const active = new Gauge({ name: 'upload_pulse_chart_breach_active', help: '1 while the latest window of the chart breaks the rule', labelNames: ['chart', 'dimension', 'rule', 'severity'], registers: [registry] });
  const breaches = new Counter({ name: 'upload_pulse_chart_breaches_total', help: 'Breaches found, by chart, rule and severity', labelNames: ['chart', 'rule', 'severity'], registers: [registry] });
  const sellersActive = new Gauge({ name: 'upload_pulse_seller_anomalies_active', help: 'Sellers in breach in the latest window, per seller chart', labelNames: ['chart'], registers: [registry] });
  const sellersTested = new Gauge({ name: 'upload_pulse_sellers_tested', help: 'Seller tests in the latest window (the m of the correction)', registers: [registry] });
  const leader = new Gauge({ name: 'upload_pulse_anomaly_leader', help: '1 while this instance is the anomaly leader', registers: [registry] });
  const lastWindowEnd = new Gauge({ name: 'upload_pulse_anomaly_last_window_end_seconds', help: 'Event time (epoch s) of the end of the latest closed global window', registers: [registry] });
  const partialsUntil = new Gauge({ name: 'upload_pulse_anomaly_partials_until_seconds', help: 'Event time (epoch s) of the end of the newest window this instance sent as a partition owner: the leader charts up to here once every partition has reported', registers: [registry] });
  const windowsClosed = new Counter({ name: 'upload_pulse_anomaly_windows_closed_total', help: 'Global windows charted by this instance as leader', registers: [registry] });
  const events = new Counter({ name: 'upload_pulse_anomaly_events_total', help: 'Raw events read, by outcome', labelNames: ['outcome'], registers: [registry] });
  const partitions = new Gauge({ name: 'upload_pulse_anomaly_assigned_partitions', help: 'Raw partitions this instance owns', registers: [registry] });
  const sellersTracked = new Gauge({ name: 'upload_pulse_anomaly_sellers_tracked', help: 'Sellers with a baseline on this instance', registers: [registry] });
  const outputErrors = new Counter({ name: 'upload_pulse_anomaly_output_errors_total', help: 'Failed writes of chart outputs (retried until they succeed)', labelNames: ['target'], registers: [registry] });
  for (const chart of SELLER_CHARTS) sellersActive.set({ chart }, 0);
  leader.set(0);

  let activeLabels: Record<string, string>[] = [];
  let sellerSeries: Record<string, string>[] = [];

  let newestPartialEnd = 0;

  return {
    leader,
    events,
    partialsSent(windowEnd: number) {
      newestPartialEnd = Math.max(newestPartialEnd, windowEnd);
      partialsUntil.set(newestPartialEnd / 1000);
    },
    partitions,
    sellersTracked,
    outputErrors,
    /** Publishes one closed window: its points, and its breaches as the set active now. */
    window(windowEnd: number, points: ChartPoint[], found: Breach[], tested: number, top: SellerPoint[]) {
      for (const p of points) {
        const l = { chart: p.chart, dimension: p.dimension };
        value.set(l, p.value);
        if (!p.limits) continue;
        center.set(l, p.limits.center);
        ucl.set(l, p.limits.ucl);
        lcl.set(l, p.limits.lcl);
      }
      for (const l of activeLabels) active.remove(l);
      activeLabels = found.map((b) => ({ chart: b.chart, dimension: b.dimension, rule: b.rule, severity: b.severity }));
      for (const l of activeLabels) active.set(l, 1);
      for (const b of found) breaches.inc({ chart: b.chart, rule: b.rule, severity: b.severity });
      for (const chart of SELLER_CHARTS) sellersActive.set({ chart }, new Set(found.filter((b) => b.chart === chart).map((b) => b.dimension)).size);
      sellersTested.set(tested);

      for (const l of sellerSeries) value.remove(l);
      sellerSeries = [];
      for (const s of top) {
        const dimension = `seller=${s.seller}`;
        sellerSeries.push({ chart: 'seller_volume', dimension }, { chart: 'seller_failure_rate', dimension });
        value.set({ chart: 'seller_volume', dimension }, s.attempts);
        value.set({ chart: 'seller_failure_rate', dimension }, s.attempts > 0 ? s.failures / s.attempts : 0);
      }
      lastWindowEnd.set(windowEnd / 1000);
      windowsClosed.inc();
    },
  };
}

export type AnomalyMetrics = ReturnType<typeof anomalyMetrics>;
