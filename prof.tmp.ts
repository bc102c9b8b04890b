import { createTraffic } from './producers/simulator/model';
import { runInMemory } from './consumers/anomaly/in-memory-run';
import { monitorOptions } from './consumers/anomaly/options';
import { loadEnv, serviceConfig } from './lib/config';
import type { UploadEvent } from './schemas/upload-event';
const config = serviceConfig(loadEnv({ ...process.env, ANOMALY_MIN_BASELINE_WINDOWS: '10' }));
const events: UploadEvent[] = [];
const start = BigInt(Date.now() - 3_600_000 - 1000 * 1000) * 1_000_000n;
for (const e of createTraffic({ seed: 3, start, rate: 500 })) { if (events.length >= 500000) break; events.push(e); }
const t0 = performance.now();
runInMemory(events, { partitions: 12, ...monitorOptions(config.anomaly, 12), delivery: 'partition-at-a-time' });
const s = (performance.now() - t0) / 1000;
console.log('in-memory', Math.round(events.length / s), 'ev/s');
