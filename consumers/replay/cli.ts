import { Command, Option } from 'commander';
import { loadEnv, serviceConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { onShutdown } from '../../lib/shutdown';
import { describePlan } from './plan';
import { runReplay, type ReplayOptions } from './replay';
import { RefusalError, TARGETS } from './request';

/**
 * `npm run replay -- --topic T --from TIME --to TIME [--target storage,rollups,anomalies] [--dry-run]`
 * (see README, "Replaying topics"). Exit status: 0 done (or planned, with --dry-run), 2 refused,
 * 3 interrupted (resume with --resume <id>), 1 failed.
 */

export const EXIT = { done: 0, failed: 1, refused: 2, interrupted: 3 } as const;

const program = new Command('replay')
  .description('Replay a Kafka topic range into storage, rollups and anomalies, idempotently')
  .option('--topic <name>', 'topic to read: the raw topic (Avro) or the curated topic (JSONEachRow)')
  .addOption(new Option('--kind <kind>', 'what the topic holds (default: from UPLOAD_EVENTS_TOPIC / CURATED_TOPIC)').choices(['raw', 'curated']))
  .option('--from <time>', 'range start, event time: ISO with a zone (2026-11-27T10:00:00Z) or epoch seconds')
  .option('--to <time>', 'range end (exclusive), same forms')
  .option('--from-offset <offsets>', 'range start as an offset for every partition, or partition:offset pairs (3:1200,4:1800)')
  .option('--to-offset <offsets>', 'range end (exclusive), same forms')
  .option('--partitions <list>', 'partitions to read, e.g. 0,3,5-7 (default: all)')
  .option('--target <targets>', `comma-separated: ${TARGETS.join(', ')} (default: all the topic allows)`)
  .option('--id <id>', 'name for this replay (default: generated); its state and consumer groups carry it')
  .option('--resume <id>', 'resume an interrupted replay (its request is read from its state file)')
  .option('--dry-run', 'print what would be read and rewritten, change nothing')
  .option('--json', 'with --dry-run: the plan as JSON');

async function main(): Promise<number> {
  const opts = program.parse().opts<ReplayOptions & { json?: boolean }>();
  const log = createLogger('replay');
  const abort = new AbortController();
  let finished: Promise<number> | undefined;
  // The batch or chunk in hand completes, its progress is saved, then the process exits 3.
  onShutdown(log, async () => {
    abort.abort();
    return finished ?? EXIT.interrupted;
  });
  finished = (async () => {
    try {
      const outcome = await runReplay(opts, serviceConfig(loadEnv()), log, abort.signal);
      if (outcome.status === 'planned') {
        process.stdout.write(`${opts.json ? JSON.stringify(outcome.plan, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) : describePlan(outcome.plan)}\n`);
        return EXIT.done;
      }
      return outcome.status === 'done' ? EXIT.done : EXIT.interrupted;
    } catch (err) {
      if (err instanceof RefusalError) {
        log.error({ refused: true }, err.message);
        process.stderr.write(`replay refused: ${err.message}\n`);
        return EXIT.refused;
      }
      log.error({ err }, `replay failed: ${err instanceof Error ? err.message : String(err)}`);
      return EXIT.failed;
    }
  })();
  return finished;
}

main().then((status) => process.exit(status));
