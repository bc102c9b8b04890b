import { CLUSTER } from '../../../clickhouse-ddl/migrate';
import type { Dashboard } from '../../dashboard-model';
import { clickhouse, dashboard, prom, sql } from './panels';

/**
 * Pipeline overview: is every stage moving, from the gateway to queryable rows? Prometheus scrapes
 * the services (alerting/prometheus.yml) and keeps the recording rules of alerting/rules/; the
 * storage gauges come from the maintenance probes, every MAINTENANCE_PROBE_INTERVAL_S (15 s).
 */

const RATE = '$__rate_interval';

export const pipelineOverview = (): Dashboard =>
  dashboard({
    uid: 'upload-pulse-pipeline',
    title: 'upload-pulse: pipeline overview',
    description: 'Events in by topic, consumer lag, dead letters, freshness, ClickHouse inserts and parts, and which services are up.',
    lookback: '30m',
    panels: [
      {
        type: 'timeseries',
        title: 'Events in per second, by topic',
        description:
          'Produced through the producer library (the gateway), by topic; read from the raw topic and written to the curated topic by curate. Traffic produced straight to Kafka (the simulator) shows as read by curate.',
        width: 12,
        height: 8,
        unit: 'ops',
        min: 0,
        targets: [
          prom(`sum by (topic) (rate(upload_pulse_producer_events_total{result="acked"}[${RATE}]))`, '{{topic}}: produced by the gateway'),
          prom(`sum(rate(upload_pulse_curate_consumed_total[${RATE}]))`, 'raw topic: read by curate'),
          prom(`sum(rate(upload_pulse_curate_curated_total[${RATE}]))`, 'curated topic: written by curate'),
        ],
      },
      {
        type: 'timeseries',
        title: 'Consumer lag per group',
        description: 'Messages each group has not read yet, summed over partitions (maintenance probe). ConsumerLagHigh pages above 60,000 (a minute at the design rate).',
        width: 12,
        height: 8,
        unit: 'short',
        min: 0,
        targets: [prom('upload_pulse:consumer_lag:max', '{{group}} on {{topic}}')],
      },
      {
        type: 'timeseries',
        title: 'Curate dead letters per second, by reason',
        description: 'Messages curate sent to the DLQ topic. The dlq-reason header on each says why; DLQGrowing raises a ticket when they keep coming for 10 minutes.',
        width: 8,
        height: 8,
        unit: 'ops',
        min: 0,
        targets: [prom(`sum by (reason) (rate(upload_pulse_curate_dlq_total[${RATE}]))`, '{{reason}}')],
      },
      {
        type: 'timeseries',
        title: 'Event to queryable: age of the newest stored event',
        description:
          'Now minus the newest event_time in upload_events. While events flow, an upper bound of the time from sending an event to querying it (the storage probe adds up to 15 s); when traffic stops it just grows.',
        width: 8,
        height: 8,
        unit: 's',
        min: 0,
        targets: [prom('time() - max(upload_pulse_stored_latest_event_seconds)', 'newest event age')],
      },
      {
        type: 'timeseries',
        title: 'ClickHouse inserts: rows per second',
        description: 'Growth of the row count of upload_events (active parts, one replica per shard), from the storage probe every 15 s: hence the fixed 1-minute window.',
        width: 8,
        height: 8,
        unit: 'rowsps',
        targets: [prom('deriv(upload_pulse:stored_events:max[1m])', 'upload_events')],
      },
      {
        type: 'table',
        title: 'ClickHouse active parts per table',
        description: 'Active parts and rows of every table of the database, one replica of each shard (system.parts through the cluster). Many small parts mean merges fall behind inserts.',
        width: 8,
        height: 9,
        targets: [
          clickhouse(
            sql(`
              SELECT table, count() AS parts, sum(rows) AS rows
              FROM cluster('${CLUSTER}', system.parts)
              WHERE active AND database = (SELECT currentDatabase())
              GROUP BY table
              ORDER BY parts DESC, table`),
            'table',
          ),
        ],
      },
      {
        type: 'stat',
        title: 'Service instances up',
        description:
          'Instances answering scrapes, per service registered in ZooKeeper; 0 (red) for a service that had instances in the last hour and has none now (ServiceDown). Prometheus and Alertmanager scrape themselves.',
        width: 16,
        height: 9,
        decimals: 0,
        thresholds: { base: 'red', steps: [[1, 'green']] },
        targets: [
          prom('sum by (service) (up{job="upload-pulse"}) or on (service) 0 * count by (service) (max_over_time(up{job="upload-pulse", service!="load-tests"}[1h]))', '{{service}}'),
          prom('up{job=~"prometheus|alertmanager"}', '{{job}}'),
        ],
        options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'value_and_name' },
      },
    ],
  });
