import { loadEnv, serviceConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { onShutdown } from '../../lib/shutdown';
import { startCurateWorker } from './worker';

/** The curate worker process: `npm run curate`. Run as many as there are raw partitions to share. */

async function main(): Promise<void> {
  const log = createLogger('curate');
  const worker = await startCurateWorker(serviceConfig(loadEnv()), log);
  onShutdown(log, () => worker.stop());
}

main().catch((err: unknown) => {
  createLogger('curate').fatal({ err }, 'curate worker failed to start');
  process.exit(1);
});
