import { Command } from 'commander';
import { loadEnv, serviceConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { applyRetention } from './retention';
import { createClickHouse } from '../lib/clickhouse';

/** `npm run retention -- [--dry-run]`: apply retention once, by hand (the maintenance worker runs it hourly). */

const opts = new Command('retention').option('--dry-run', 'list the expired partitions without dropping them').parse().opts<{ dryRun?: boolean }>();
const log = createLogger('retention');
const config = serviceConfig(loadEnv());
const client = createClickHouse(config.clickhouse.url);
applyRetention(client, config.clickhouse.database, new Date(), log, { dryRun: opts.dryRun })
  .then((dropped) => log.info({ dropped, dryRun: Boolean(opts.dryRun) }, 'retention applied'))
  .catch((err: unknown) => {
    log.error({ err }, `retention failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => client.close());
