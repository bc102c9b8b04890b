import crypto from 'node:crypto';
import { loadEnv, stackConfig } from '../lib/config';
import { layoutFor, type StackLayout } from '../stack/layout';
import { stackStatus, type StackStatus } from '../stack/stack';

/** What an integration test needs to reach the running stack. */
export interface TestStack { layout: StackLayout; status: StackStatus }

export async function testStack(): Promise<TestStack> {
  const config = stackConfig(loadEnv());
  return { layout: layoutFor(config), status: await stackStatus(config) };
}

/** Names unique to one test file and run, so files never share topics or tables. */
export const uniqueName = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
