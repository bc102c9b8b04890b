import path from 'node:path';
import { REPO_ROOT } from '../../lib/config';
import { bootstrapServers, instancePaths, zookeeperConnect, type StackLayout } from '../layout';
import type { ProcessSpec } from '../processes';
import { httpOk } from '../probes';
import { registryUrl } from './registry';

/** The project's own services, run from source with tsx, wired to this stack's servers. */

function nodeService(layout: StackLayout, name: string, entry: string, env: Record<string, string>): Omit<ProcessSpec, 'ports' | 'endpoints' | 'probe'> {
  return {
    name,
    component: name,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(REPO_ROOT, entry)],
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

export function apiProcesses(layout: StackLayout): ProcessSpec[] {
  const { port } = layout.api;
  return [
    {
      ...nodeService(layout, layout.api.name, 'queries/api/main.ts', { API_PORT: String(port) }),
      ports: [port],
      endpoints: { url: apiUrl(layout) },
      probe: () => httpOk(`${apiUrl(layout)}/readyz`),
    },
  ];
}

/** Retention under rebalance-based leadership; its only endpoint is /metrics. */
export function maintenanceProcesses(layout: StackLayout): ProcessSpec[] {
  const { port } = layout.maintenance;
  const url = `http://127.0.0.1:${port}`;
  return [
    {
      ...nodeService(layout, layout.maintenance.name, 'consumers/maintenance/main.ts', { MAINTENANCE_PORT: String(port) }),
      ports: [port],
      endpoints: { metrics: `${url}/metrics` },
      probe: () => httpOk(`${url}/metrics`),
    },
  ];
}
