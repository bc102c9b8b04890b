import fs from 'node:fs';
import path from 'node:path';
import { loadEnv, stackConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { stackDown, stackStatus, stackUp } from '../stack/stack';

/** Brings the real stack up once per integration run; remembers whether it was already up. */
export const startedByTestsMarker = (dir: string): string => path.join(dir, 'started-by-tests');

export default async function globalSetup(): Promise<void> {
  const config = stackConfig(loadEnv());
  const log = createLogger('test-stack');
  const before = await stackStatus(config);
  const wasUp = Object.values(before.components).every((c) => c.healthy);
  try {
    await stackUp(config, log);
  } catch (err) {
    // jest skips the global teardown when setup fails: stop what this run started.
    if (!wasUp) await stackDown(config, log);
    throw err;
  }
  if (!wasUp) fs.writeFileSync(startedByTestsMarker(config.dir), config.topology);
}
