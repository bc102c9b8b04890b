import { createTraffic } from '../producers/simulator/model';
import { planIncidents } from '../producers/simulator/incidents';

/**
 * Simulator generation speed on one core: `npm run bench:simulator -- [events] [rate]`.
 * Runs with a demo incident plan so the incident checks are part of the measured loop.
 */
const events = Number(process.argv[2] ?? 2_000_000);
const rate = Number(process.argv[3] ?? 1000);
const start = 1_740_830_400_000_000_000n; // 2025-03-01T12:00:00Z
const incidents = planIncidents(1, start, BigInt(Math.ceil(Math.max(60, events / rate) * 1e9)));
const traffic = createTraffic({ seed: 1, start, rate, incidents });
traffic.next(); // exclude population set-up from the timing
let bytes = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < events; i++) bytes += traffic.next().data.media.length;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`${events} events in ${seconds.toFixed(2)} s: ${Math.round(events / seconds).toLocaleString('en')} events/s (${(bytes / events).toFixed(2)} media files/event)`);
