import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadEnv, REPO_ROOT, stackConfig } from '../lib/config';
import { activeTopology, stackStatus, type StackStatus } from '../stack/stack';

/** What every benchmark needs: the running stack, the machine it runs on, and where results go. */

/**
 * The running stack: the topology `stack:up` last started, else STACK_TOPOLOGY. A probe that times
 * out on a busy machine is asked again (3 tries, 5 s apart) before the stack is called unhealthy.
 */
export async function runningStack(): Promise<StackStatus> {
  const base = stackConfig(loadEnv());
  const config = stackConfig(loadEnv(), { topology: activeTopology(base) ?? base.topology });
  for (let attempt = 1; ; attempt++) {
    const status = await stackStatus(config);
    const down = Object.entries(status.components).filter(([, c]) => !c.healthy).map(([name]) => name);
    if (down.length === 0) return status;
    if (attempt === 3) throw new Error(`the stack is not healthy (${down.join(', ')}): run 'npm run stack:up' first (npm run stack:status shows each instance)`);
    await sleep(5000);
  }
}

export const machine = (): string => `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB`;

/** Writes the figures as JSON under artifacts/ and prints them as a JSON line. */
export function report(name: string, figures: Record<string, unknown>): void {
  const dir = path.join(REPO_ROOT, 'artifacts', 'load-tests');
  fs.mkdirSync(dir, { recursive: true });
  const record = { benchmark: name, at: new Date().toISOString(), machine: machine(), ...figures };
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(record, null, 2));
  process.stdout.write(JSON.stringify(record) + '\n');
}
