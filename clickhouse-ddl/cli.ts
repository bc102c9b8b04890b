import { loadEnv, serviceConfig, type ServiceConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { migrate, type MigrationContext } from './migrate';
import { createClickHouse } from '../lib/clickhouse';

/** `npm run migrate`: brings the ClickHouse schema up to date (idempotent). */

export const migrationContext = (config: ServiceConfig): MigrationContext => ({
  db: config.clickhouse.database,
  kafka_brokers: config.kafkaBrokers.join(','),
  curated_topic: config.topics.curated,
  ingest_group: config.clickhouse.ingestGroup,
});

if (require.main === module) {
  const log = createLogger('migrate');
  const config = serviceConfig(loadEnv());
  const client = createClickHouse(config.clickhouse.url);
  migrate(client, migrationContext(config), log)
    .then((result) => log.info(result, 'schema up to date'))
    .catch((err: unknown) => {
      log.error({ err }, `migration failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    })
    .finally(() => client.close());
}
