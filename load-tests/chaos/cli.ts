import { Command, Option } from 'commander';
import { createLogger } from '../../lib/logger';
import { onShutdown } from '../../lib/shutdown';
import { parseDuration } from '../../producers/simulator/incidents';
import { FAULTS } from './faults';
import { runChaos, type ChaosResult } from './run-chaos';

/**
 * `npm run chaos -- <fault...|all> [options]`: scripted faults under load on the running stack
 * (most need the cluster topology), one after another. Each writes a report folder under
 * artifacts/load-tests/chaos-<fault>-<time>/ and prints its verdict; the exit code is 1 when a check failed.
 *   npm run chaos -- broker-kill
 *   npm run chaos -- all --rate 1000
 */

const log = createLogger('chaos');

const seconds = (text: string): number => {
  const s = Number(parseDuration(text) / 1_000_000n) / 1000;
  if (s <= 0 || s > 3600) throw new Error(`duration ${text} is outside (0, 1 h]`);
  return s;
};

const program = new Command('chaos')
  .description('Scripted faults under load on the running stack; reports under artifacts/load-tests/')
  .argument('<faults...>', `one or more of: ${Object.keys(FAULTS).join(', ')}; or all`)
  .option('--rate <events/s>', 'load through the gateway', (v) => {
    const r = Number(v);
    if (!Number.isInteger(r) || r < 10 || r > 50_000) throw new Error(`--rate ${v} must be an integer in [10, 50000]`);
    return r;
  }, 1000)
  .option('--before <d>', 'load before the fault', '30s')
  .addOption(new Option('--fault <d>', "how long the fault lasts (default: the fault's own, e.g. 60s for curate-pause)"))
  .option('--after <d>', 'load after the heal', '60s')
  .option('--drain <d>', 'longest wait for every accepted event to be stored', '3m')
  .option('--out <dir>', 'parent folder of the reports (default artifacts/load-tests)')
  .action(async (names: string[], o: { rate: number; before: string; fault?: string; after: string; drain: string; out?: string }) => {
    const chosen = names.includes('all') ? Object.keys(FAULTS) : names;
    const unknown = chosen.filter((n) => !(n in FAULTS));
    if (unknown.length > 0) throw new Error(`unknown fault ${unknown.join(', ')}: choose from ${Object.keys(FAULTS).join(', ')}, or all`);
    const controller = new AbortController();
    // An interrupted fault is still healed (and its report written) before the process exits.
    let current: Promise<unknown> = Promise.resolve();
    onShutdown(log, async () => {
      controller.abort();
      await current.catch(() => undefined);
    }, 300_000);
    const results: ChaosResult[] = [];
    for (const name of chosen) {
      if (controller.signal.aborted) break;
      const fault = FAULTS[name]();
      const running = runChaos(fault, {
        rate: o.rate,
        beforeSeconds: seconds(o.before),
        faultSeconds: o.fault ? seconds(o.fault) : fault.defaultSeconds,
        afterSeconds: seconds(o.after),
        drainSeconds: seconds(o.drain),
        outDir: o.out,
        signal: controller.signal,
        log,
        command: `npm run chaos -- ${process.argv.slice(2).join(' ')}`,
      });
      current = running;
      const result = await running;
      results.push(result);
      const failed = result.checks.filter((c) => !c.ok);
      process.stdout.write(`${name}: ${result.passed ? 'PASSED' : `FAILED (${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')})`}; report: ${result.dir}/summary.md\n`);
    }
    if (results.some((r) => !r.passed)) process.exitCode = 1;
  });

program.parseAsync().catch((err: unknown) => {
  log.fatal({ err }, err instanceof Error ? err.message : String(err));
  process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
