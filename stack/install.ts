import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type pino from 'pino';
import { REPO_ROOT, type StackConfig } from '../lib/config';
import { distDir } from './layout';
import { StackError } from './processes';

/** Installs what the local stack runs: Debian packages (as root) and the JVM components from Maven Central. */

const run = promisify(execFile);

export const APT_PACKAGES = [
  'openjdk-17-jre-headless',
  'maven',
  'clickhouse-server',
  'clickhouse-client',
  'zookeeper',
  // slf4j-simple gives ZooKeeper a console logger when run without the packaged wrapper.
  'libslf4j-java',
  'prometheus',
  'prometheus-alertmanager',
  'kcat',
  'unzip',
  // Headless browser for the live page's test (driven by playwright-core, never its own downloads).
  'chromium',
];

const POM = path.join(REPO_ROOT, 'stack/maven/pom.xml');
const COMPLETE = '.complete';

async function missingAptPackages(): Promise<string[]> {
  const missing: string[] = [];
  for (const pkg of APT_PACKAGES) {
    const status = await run('dpkg-query', ['-W', '-f=${Status}', pkg]).then((r) => r.stdout, () => '');
    if (!status.includes('install ok installed')) missing.push(pkg);
  }
  return missing;
}

/** Runs a command with its output streamed into the caller's log, failing with the output's tail. */
function runLogged(cmd: string, args: string[], log: pino.Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const keep = (chunk: Buffer) => {
      tail.push(...chunk.toString().split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => reject(new StackError(`could not run ${cmd}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      log.error({ cmd, args, output: tail.join('\n') }, 'command failed');
      reject(new StackError(`${cmd} ${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`));
    });
  });
}

async function javaMajor(env: NodeJS.ProcessEnv): Promise<number> {
  const out = await run('java', ['-version'], { env }).then(
    (r) => r.stderr + r.stdout,
    () => {
      throw new StackError('Java is missing: the stack runs Kafka, ZooKeeper and the registry on Java 17+. Install it with: apt-get install -y openjdk-17-jre-headless');
    },
  );
  const m = /version "(\d+)/.exec(out);
  return m ? Number(m[1]) : 0;
}

export async function requireJavaAndMaven(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const major = await javaMajor(env);
  if (major < 17) throw new StackError(`Java ${major || '(unknown)'} found, Java 17+ needed for Kafka 4 and Apicurio 3: apt-get install -y openjdk-17-jre-headless`);
  await run('mvn', ['--version'], { env }).catch(() => {
    throw new StackError('Maven is missing: the stack fetches Kafka and Apicurio from Maven Central with it. Install it with: apt-get install -y maven');
  });
}

async function installAptPackages(log: pino.Logger): Promise<void> {
  const missing = await missingAptPackages();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new StackError(`missing Debian packages: ${missing.join(' ')}. Install them as root: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
  }
  log.info({ packages: missing }, 'installing Debian packages');
  // Keep the packages' own services from starting: the stack runs its own instances on the same ports.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runLogged('apt-get', ['update', '-q'], log, env);
    await runLogged('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], log, env);
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
}

async function fetchOnce(dir: string, what: string, log: pino.Logger, fetch: (dir: string) => Promise<void>): Promise<void> {
  if (fs.existsSync(path.join(dir, COMPLETE))) return;
  log.info({ dir }, `fetching ${what} from Maven Central`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  await fetch(dir);
  fs.writeFileSync(path.join(dir, COMPLETE), new Date().toISOString());
}

async function fetchMavenArtifacts(config: StackConfig, log: pino.Logger): Promise<void> {
  // Named explicitly so the fetched zip can be found; the default is Maven's own.
  const repo = process.env.MAVEN_REPO_LOCAL ?? path.join(os.homedir(), '.m2', 'repository');
  const mvn = (...args: string[]) => runLogged('mvn', ['-B', '-q', '-f', POM, `-Dmaven.repo.local=${repo}`, ...args], log);
  await fetchOnce(distDir(config, 'kafka'), `Kafka ${config.versions.kafka}`, log, (dir) =>
    mvn(`-Dkafka.version=${config.versions.kafka}`, 'dependency:copy-dependencies', `-DoutputDirectory=${path.join(dir, 'libs')}`),
  );
  const v = config.versions.apicurio;
  await fetchOnce(distDir(config, 'apicurio'), `Apicurio Registry ${v}`, log, async (dir) => {
    // The app pom's parent is not served by Central, and dependency-plugin 3.x reads it even
    // when not transitive; 2.8's get fetches the self-contained zip alone.
    await mvn('org.apache.maven.plugins:maven-dependency-plugin:2.8:get', `-Dartifact=io.apicurio:apicurio-registry-app:${v}:zip:all`, '-Dtransitive=false');
    const zip = path.join(repo, 'io/apicurio/apicurio-registry-app', v, `apicurio-registry-app-${v}-all.zip`);
    await runLogged('unzip', ['-q', '-o', zip, '-d', dir], log);
  });
}

export async function installStack(config: StackConfig, log: pino.Logger): Promise<void> {
  await installAptPackages(log);
  await requireJavaAndMaven();
  await fetchMavenArtifacts(config, log);
}
