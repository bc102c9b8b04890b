import http from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadEnv, serviceConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { registerService } from '../../lib/service-registry';
import { onShutdown } from '../../lib/shutdown';
import { LiveFeed } from '../live-feed';
import { createApiApp } from './app';
import { createClickHouse } from '../../lib/clickhouse';

/** The API process: `npm run api`. */

async function main(): Promise<void> {
  const config = serviceConfig(loadEnv());
  const log = createLogger('api');
  const clickhouse = createClickHouse(config.clickhouse.url);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const live = new LiveFeed({ clickhouse, database: config.clickhouse.database, pollMs: config.api.livePollMs, maxStreams: config.api.liveMaxStreams, log, metrics });
  const server = http.createServer(createApiApp({ clickhouse, database: config.clickhouse.database, metrics, log, live, defaultStream: config.topics.uploadEvents }));
  await new Promise<void>((resolve) => server.listen(config.api.port, config.host, resolve));
  log.info({ url: `http://${config.host}:${config.api.port}`, livePage: `http://${config.host}:${config.api.port}/`, stream: config.topics.uploadEvents }, 'api listening');
  const discovery = registerService({ connect: config.zookeeperConnect, service: 'api', host: config.host, port: config.api.port, log });
  onShutdown(log, async () => {
    // Live-page streams never end by themselves: end them first, or server.close() would wait for them.
    await live.close();
    await discovery.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await clickhouse.close();
  });
}

main().catch((err: unknown) => {
  createLogger('api').fatal({ err }, 'api failed to start');
  process.exit(1);
});
