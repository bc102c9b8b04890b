import path from 'node:path';
import { bootstrapServers, distDir, instancePaths, type StackLayout } from '../layout';
import type { ProcessSpec } from '../processes';
import { httpOk } from '../probes';

/**
 * Apicurio Registry 3 (its runnable Quarkus assembly from Maven Central), serving the
 * Confluent-compatible API under /apis/ccompat/v7. KafkaSQL storage keeps every schema in
 * a Kafka topic, like Confluent's _schemas, so schemas survive restarts.
 */

export const CCOMPAT_PATH = '/apis/ccompat/v7';
export const REGISTRY_JOURNAL_TOPIC = 'kafkasql-journal';

export function registryUrl(layout: StackLayout): string {
  return `http://127.0.0.1:${layout.registry.port}${CCOMPAT_PATH}`;
}

export function registryProcesses(layout: StackLayout): ProcessSpec[] {
  const paths = instancePaths(layout, layout.registry.name);
  const jar = path.join(distDir(layout.config, 'apicurio'), `apicurio-registry-app-${layout.config.versions.apicurio}-runner.jar`);
  return [
    {
      name: layout.registry.name,
      component: 'schemaRegistry',
      command: 'java',
      args: ['-Xms256m', '-Xmx384m', `-Djava.io.tmpdir=${paths.data}`, '-jar', jar],
      env: {
        APICURIO_STORAGE_KIND: 'kafkasql',
        APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: bootstrapServers(layout),
        APICURIO_KAFKASQL_TOPIC: REGISTRY_JOURNAL_TOPIC,
        APICURIO_STORAGE_SNAPSHOT_LOCATION: paths.data,
        QUARKUS_HTTP_HOST: '127.0.0.1',
        QUARKUS_HTTP_PORT: String(layout.registry.port),
        QUARKUS_HTTP_ACCESS_LOG_ENABLED: 'false',
      },
      paths,
      ports: [layout.registry.port],
      endpoints: { url: registryUrl(layout) },
      async prepare() {},
      // Ready only once the KafkaSQL journal is replayed: /subjects answers earlier, with what is loaded so far.
      probe: async () => {
        await httpOk(`http://127.0.0.1:${layout.registry.port}/health/ready`);
        await httpOk(`${registryUrl(layout)}/subjects`, (body) => Array.isArray(JSON.parse(body)));
      },
    },
  ];
}
