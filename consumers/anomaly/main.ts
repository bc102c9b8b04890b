import { loadEnv, serviceConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { onShutdown } from '../../lib/shutdown';
import { startAnomalyWorker } from './worker';

/** The anomaly worker process: `npm run anomaly`. Run several: partitions spread, one leads. */

async function main(): Promise<void> {
  const log = createLogger('anomaly-worker');
  const worker = await startAnomalyWorker(serviceConfig(loadEnv()), log);
  onShutdown(log, () => worker.stop());
}

main().catch((err: unknown) => {
  createLogger('anomaly-worker').fatal({ err }, 'anomaly worker failed to start');
  process.exit(1);
});
