import { Command, Option } from 'commander';
import { ConfigError, loadEnv, stackConfig, type TopologyName } from '../lib/config';
import { createLogger } from '../lib/logger';
import { installStack } from './install';
import { StackError } from './processes';
import { activeTopology, stackDown, stackStatus, stackUp, type StackStatus } from './stack';

/** `npm run stack:<command>`: operate the local stack of real servers. */

const log = createLogger('stack');
const topologyOption = () =>
  new Option('--topology <name>', 'single (1 of each) or cluster (3 brokers, 2x2 ClickHouse, 3 ZooKeeper)').choices(['single', 'cluster']);

/** Explicit flag, else the running topology, else STACK_TOPOLOGY. */
function configFor(topology?: string) {
  const base = stackConfig(loadEnv());
  return stackConfig(loadEnv(), { topology: (topology as TopologyName | undefined) ?? activeTopology(base) ?? base.topology });
}

function printStatus(status: StackStatus, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(status, null, 2) + '\n');
    return;
  }
  process.stdout.write(`topology: ${status.topology}\n`);
  for (const [component, c] of Object.entries(status.components)) {
    for (const i of c.instances) {
      const state = i.pid === null ? 'stopped' : i.healthy ? 'healthy' : 'UNHEALTHY';
      const endpoints = Object.entries(i.endpoints).map(([k, v]) => `${k}=${v}`).join(' ');
      process.stdout.write(`  ${component.padEnd(15)} ${i.name.padEnd(19)} ${state.padEnd(10)} pid=${String(i.pid ?? '-').padEnd(8)} ${endpoints}\n`);
    }
  }
}

const program = new Command('stack').description('Local stack of real servers: Kafka, Apicurio, ClickHouse, ZooKeeper, Prometheus, Alertmanager');

program
  .command('install')
  .description('install Debian packages and fetch Kafka and Apicurio from Maven Central, without starting anything')
  .action(async () => installStack(stackConfig(loadEnv()), log));

program
  .command('up')
  .description('install what is missing, start what is not running, wait until every component is healthy')
  .addOption(topologyOption())
  .option('--json', 'print the status as JSON')
  .action(async (opts: { topology?: string; json?: boolean }) => {
    const config = stackConfig(loadEnv(), { topology: opts.topology as TopologyName | undefined });
    printStatus(await stackUp(config, log), Boolean(opts.json));
  });

program
  .command('status')
  .description('pid, endpoints and health of every component; exits 1 when any is unhealthy')
  .addOption(topologyOption())
  .option('--json', 'machine-readable output (stable interface)')
  .action(async (opts: { topology?: string; json?: boolean }) => {
    const status = await stackStatus(configFor(opts.topology));
    printStatus(status, Boolean(opts.json));
    if (!Object.values(status.components).every((c) => c.healthy)) process.exitCode = 1;
  });

program
  .command('down')
  .description('stop every process the stack started (by pid file)')
  .addOption(topologyOption())
  .option('--purge', 'also delete the topology\'s data and logs (downloads are kept)')
  .action(async (opts: { topology?: string; purge?: boolean }) => stackDown(configFor(opts.topology), log, { purge: opts.purge }));

program.parseAsync().catch((err: unknown) => {
  if (err instanceof StackError || err instanceof ConfigError) {
    log.error(err.message);
    process.stderr.write(`\nstack: ${err.message}\n`);
  } else {
    log.error({ err }, 'unexpected failure');
  }
  process.exitCode = 1;
});
