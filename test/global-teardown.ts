import fs from 'node:fs';
import { loadEnv, stackConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { stackDown } from '../stack/stack';
import { startedByTestsMarker } from './global-setup';

/** Stops the stack if this run started it, unless KEEP_STACK=1 asks to keep it for debugging. */
export default async function globalTeardown(): Promise<void> {
  const config = stackConfig(loadEnv());
  const marker = startedByTestsMarker(config.dir);
  if (!fs.existsSync(marker) || process.env.KEEP_STACK === '1') return;
  await stackDown(config, createLogger('test-stack'));
  fs.rmSync(marker, { force: true });
}
