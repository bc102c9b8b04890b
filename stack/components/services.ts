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
      KAFKA_BROKERS: bootstrapServers(layout),
      SCHEMA_REGISTRY_URL: registryUrl(layout),
      ZOOKEEPER_CONNECT: zookeeperConnect(layout),
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
      ...nodeService(layout, layout.gateway.name, 'producers/gateway/main.ts', { GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port) }),
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
      ...nodeService(layout, layout.api.name, 'queries/api/main.ts', {
        API_PORT: String(port),
        CLICKHOUSE_URL: `http://127.0.0.1:${layout.clickhouse[0].httpPort}`,
      }),
      ports: [port],
      endpoints: { url: apiUrl(layout) },
      probe: () => httpOk(`${apiUrl(layout)}/readyz`),
    },
  ];
}
