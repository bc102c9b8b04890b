import path from 'node:path';
import { REPO_ROOT } from '../../lib/config';
import { bootstrapServers, instancePaths, zookeeperConnect, type StackLayout } from '../layout';
import type { ProcessSpec } from '../processes';
import { httpOk } from '../probes';
import { registryUrl } from './registry';

/** The project's own services, run from source with tsx, wired to this stack's servers. */

function nodeService(layout: StackLayout, name: string, entry: string, env: Record<string, string>, nodeFlags: string[] = []): Omit<ProcessSpec, 'ports' | 'endpoints' | 'probe'> {
  return {
    name,
    component: name,
    command: process.execPath,
    args: [...nodeFlags, '--import', 'tsx', path.join(REPO_ROOT, entry)],
    cwd: REPO_ROOT,
    env: {
      SERVICE_HOST: '127.0.0.1',
      KAFKA_BROKERS: bootstrapServers(layout),
      SCHEMA_REGISTRY_URL: registryUrl(layout),
      ZOOKEEPER_CONNECT: zookeeperConnect(layout),
      CLICKHOUSE_URL: `http://127.0.0.1:${layout.clickhouse[0].httpPort}`,
      ...env,
    },
    paths: instancePaths(layout, name),
    async prepare() {},
  };
}

export const gatewayUrl = (layout: StackLayout): string => `http://127.0.0.1:${layout.gateway.port}`;

export function gatewayProcesses(layout: StackLayout): ProcessSpec[] {
  const { port } = layout.gateway;
  return [
    {
      ...nodeService(layout, layout.gateway.name, 'producers/gateway/main.ts', { GATEWAY_PORT: String(port) }),
      ports: [port],
      endpoints: { url: gatewayUrl(layout) },
      probe: () => httpOk(`${gatewayUrl(layout)}/readyz`),
    },
  ];
}

export const apiUrl = (layout: StackLayout): string => `http://127.0.0.1:${layout.api.port}`;
/** The built-in live page of control charts, served by the API. */
export const livePageUrl = (layout: StackLayout): string => `${apiUrl(layout)}/`;

export function apiProcesses(layout: StackLayout): ProcessSpec[] {
  const { port } = layout.api;
  return [
    {
      ...nodeService(layout, layout.api.name, 'queries/api/main.ts', { API_PORT: String(port) }),
      ports: [port],
      endpoints: { url: apiUrl(layout), livePage: livePageUrl(layout) },
      probe: () => httpOk(`${apiUrl(layout)}/readyz`),
    },
  ];
}

/** A worker whose only endpoint is its metrics server. */
function worker(layout: StackLayout, instance: { name: string; port: number }, entry: string, portVariable: string, probePath: string, nodeFlags: string[] = []): ProcessSpec[] {
  const url = `http://127.0.0.1:${instance.port}`;
  return [
    {
      ...nodeService(layout, instance.name, entry, { [portVariable]: String(instance.port) }, nodeFlags),
      ports: [instance.port],
      endpoints: { metrics: `${url}/metrics` },
      probe: () => httpOk(`${url}${probePath}`),
    },
  ];
}

/** Retention under rebalance-based leadership. */
export const maintenanceProcesses = (layout: StackLayout): ProcessSpec[] =>
  worker(layout, layout.maintenance, 'consumers/maintenance/main.ts', 'MAINTENANCE_PORT', '/metrics');

/** Control charts from the raw stream; more instances share partitions and elect a leader. */
export const anomalyProcesses = (layout: StackLayout): ProcessSpec[] =>
  worker(layout, layout.anomaly, 'consumers/anomaly/main.ts', 'ANOMALY_METRICS_PORT', '/healthz');

/**
 * Raw Avro -> curated JSONEachRow, exactly once; one instance here, more share the partitions.
 * Curate allocates a few short-lived objects per event and a quarter of its CPU went to garbage
 * collection: 64 MiB semi-spaces for the young generation (V8's default is 16) took the raw ->
 * queryable throughput from 14,600-16,400 to 16,500-19,100 events/s (npm run bench:storage,
 * README "Performance"); 128 MiB gave no clear further gain and 100 MiB more RSS.
 */
const CURATE_NODE_FLAGS = ['--max-semi-space-size=64'];
export const curateProcesses = (layout: StackLayout): ProcessSpec[] =>
  worker(layout, layout.curate, 'consumers/curate/main.ts', 'CURATE_METRICS_PORT', '/healthz', CURATE_NODE_FLAGS);
