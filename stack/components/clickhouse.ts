import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/config';
import { instancePaths, portOverrides, type StackLayout } from '../layout';
import type { ProcessSpec } from '../processes';
import { httpOk } from '../probes';
import { renderSharedFile } from '../render';

/**
 * ClickHouse servers (shard replicas and, in the cluster topology, ingest servers) from Debian's
 * `clickhouse-server` package. Each gets the packaged config.xml and users.xml plus the shared
 * files in server-config/clickhouse/ (the same ones compose/ mounts); only paths are local to
 * this stack.
 */

const PACKAGED = '/etc/clickhouse-server';
const SHARED = path.join(REPO_ROOT, 'server-config/clickhouse');

export const CLICKHOUSE_CLUSTER = 'upload_pulse';

export function clickhouseProcesses(layout: StackLayout): ProcessSpec[] {
  const ports = portOverrides(layout);
  return [...layout.clickhouse, ...layout.clickhouseIngest].map((node) => {
    const paths = instancePaths(layout, node.name);
    const configDir = path.join(paths.conf, 'config.d');
    const localXml = `<?xml version="1.0"?>
<!-- Written by the local stack: this instance's folders. -->
<yandex>
    <path>${paths.data}/</path>
    <tmp_path>${paths.data}/tmp/</tmp_path>
    <user_files_path>${paths.data}/user_files/</user_files_path>
    <format_schema_path>${paths.data}/format_schemas/</format_schema_path>
</yandex>
`;
    return {
      name: node.name,
      component: 'clickhouse',
      command: '/usr/sbin/clickhouse-server',
      args: [`--config-file=${path.join(paths.conf, 'config.xml')}`],
      paths,
      ports: [node.httpPort, node.tcpPort, node.interserverPort],
      endpoints: { http: `http://127.0.0.1:${node.httpPort}`, native: `127.0.0.1:${node.tcpPort}` },
      async prepare() {
        fs.copyFileSync(path.join(PACKAGED, 'config.xml'), path.join(paths.conf, 'config.xml'));
        fs.copyFileSync(path.join(PACKAGED, 'users.xml'), path.join(paths.conf, 'users.xml'));
        fs.rmSync(configDir, { recursive: true, force: true });
        for (const file of ['common.xml', `topology-${layout.topology}.xml`, node.configFile]) {
          renderSharedFile(path.join(SHARED, file), configDir, ports);
        }
        const usersDir = path.join(paths.conf, 'users.d');
        fs.rmSync(usersDir, { recursive: true, force: true });
        for (const file of fs.readdirSync(path.join(SHARED, 'users.d'))) renderSharedFile(path.join(SHARED, 'users.d', file), usersDir, ports);
        fs.writeFileSync(path.join(configDir, 'local.xml'), localXml);
      },
      // Answers SQL and reaches ZooKeeper: replicated tables and ON CLUSTER DDL need both.
      probe: () =>
        httpOk(
          `http://127.0.0.1:${node.httpPort}/?query=${encodeURIComponent("SELECT count() FROM system.zookeeper WHERE path = '/'")}`,
          (body) => Number(body.trim()) > 0,
        ),
    };
  });
}
