import http from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadEnv, serviceConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { registerService } from '../../lib/service-registry';
import { onShutdown } from '../../lib/shutdown';
import { createApiApp } from './app';
import { createClickHouse } from '../../lib/clickhouse';

/** The API process: `npm run api`. */

async function main(): Promise<void> {
  const config = serviceConfig(loadEnv());
  const log = createLogger('api');
  const clickhouse = createClickHouse(config.clickhouse.url);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const server = http.createServer(createApiApp({ clickhouse, database: config.clickhouse.database, metrics, log }));
  await new Promise<void>((resolve) => server.listen(config.api.port, config.host, resolve));
  log.info({ url: `http://${config.host}:${config.api.port}` }, 'api listening');
  const discovery = await registerService({ connect: config.zookeeperConnect, service: 'api', host: config.host, port: config.api.port, log });
  onShutdown(log, async () => {
    await discovery.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await clickhouse.close();
  });
}

main().catch((err: unknown) => {
  createLogger('api').fatal({ err }, 'api failed to start');
  process.exit(1);
});
