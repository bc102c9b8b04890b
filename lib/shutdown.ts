import type pino from 'pino';

/**
 * Runs `stop` once on SIGTERM or SIGINT (flush, commit, leave the group), then exits with the
 * status `stop` resolves to (0 when it resolves to nothing). A second signal, or a stop that
 * outlasts `graceMs`, exits at once with status 1.
 */
export function onShutdown(log: pino.Logger, stop: () => Promise<void | number>, graceMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      (status) => {
        log.info('stopped cleanly');
        process.exit(status ?? 0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
