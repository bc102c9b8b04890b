import fs from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type pino from 'pino';
import { identifier } from '../lib/sql';

/**
 * Applies the numbered SQL files in clickhouse-ddl/migrations/ in order, once each, recording
 * every applied version in <db>.schema_migrations (replicated to every shard server). All DDL runs
 * ON CLUSTER upload_pulse or upload_pulse_ingest: the same files serve the single topology (a 1x1
 * cluster) and the 2x2 one. Statements are written to be re-runnable (IF NOT EXISTS), so a migration interrupted
 * half-way is simply applied again.
 */

export const CLUSTER = 'upload_pulse';
/**
 * The same shards with one replica each (server-config/clickhouse/topology-*.xml), for ALTERs of
 * replicated tables (partition drops, deletions): the replica that runs one writes it to the table's
 * replication log and its twin follows. With both replicas in the DDL task, ClickHouse 18.16 races:
 * the second checks "executed", takes the lock after the first released it, runs the ALTER again and
 * dies on "Node exists" with "Terminating": that server's DDL queue stops until it restarts.
 */
export const SHARDS_CLUSTER = 'upload_pulse_shards';
/**
 * The servers running the Kafka engine (0006_ingest_servers.sql): dedicated ones without a shard in
 * the cluster topology, the one server in the single topology. A migration that changes the columns
 * of upload_events changes them here too.
 */
export const INGEST_CLUSTER = 'upload_pulse_ingest';
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** Values for the {{placeholders}} in the SQL files. */
export interface MigrationContext {
  db: string;
  kafka_brokers: string;
  curated_topic: string;
  ingest_group: string;
}

export interface Migration { version: number; name: string; statements: string[] }

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Comment lines out, statements split on a `;` that ends a line. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function render(sql: string, ctx: MigrationContext): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in ctx)) throw new Error(`unknown placeholder {{${key}}}; known: ${Object.keys(ctx).join(', ')}`);
    return ctx[key as keyof MigrationContext];
  });
}

export function loadMigrations(ctx: MigrationContext, dir = MIGRATIONS_DIR): Migration[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const migrations = files.map((file) => {
    const m = FILE.exec(file);
    if (!m) throw new Error(`migration file ${file} must be named NNNN_name.sql`);
    return { version: Number(m[1]), name: m[2], statements: splitStatements(render(fs.readFileSync(path.join(dir, file), 'utf8'), ctx)) };
  });
  migrations.forEach((m, i) => {
    if (i > 0 && m.version === migrations[i - 1].version) throw new Error(`two migrations share version ${m.version}`);
  });
  return migrations;
}

async function bookkeeping(client: ClickHouseClient, db: string): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${CLUSTER}` });
  // One replication path for all servers: every server holds the full list.
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations ON CLUSTER ${CLUSTER} (version UInt32, name String, applied_at DateTime)
      ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/${db}/schema_migrations', '{replica}') ORDER BY version`,
  });
}

export async function appliedVersions(client: ClickHouseClient, db: string): Promise<number[]> {
  const rows = await (await client.query({ query: `SELECT version FROM ${db}.schema_migrations FINAL ORDER BY version`, format: 'JSONEachRow' })).json<{ version: number }>();
  return rows.map((r) => Number(r.version));
}

export async function migrate(client: ClickHouseClient, ctx: MigrationContext, log: pino.Logger): Promise<{ applied: number[]; alreadyApplied: number[] }> {
  identifier(ctx.db);
  const migrations = loadMigrations(ctx);
  await bookkeeping(client, ctx.db);
  const done = new Set(await appliedVersions(client, ctx.db));
  const applied: number[] = [];
  for (const m of migrations.filter((x) => !done.has(x.version))) {
    log.info({ version: m.version, name: m.name, statements: m.statements.length }, 'applying migration');
    for (const query of m.statements) await client.command({ query });
    await client.insert({ table: `${ctx.db}.schema_migrations`, values: [{ version: m.version, name: m.name, applied_at: Math.floor(Date.now() / 1000) }], format: 'JSONEachRow' });
    applied.push(m.version);
  }
  return { applied, alreadyApplied: [...done].sort((a, b) => a - b) };
}

/** Drops a database everywhere, ingest servers first so their Kafka engine stops consuming. */
export async function dropDatabase(client: ClickHouseClient, db: string): Promise<void> {
  identifier(db);
  await client.command({ query: `DROP DATABASE IF EXISTS ${db} ON CLUSTER ${INGEST_CLUSTER}` });
  await client.command({ query: `DROP DATABASE IF EXISTS ${db} ON CLUSTER ${CLUSTER}` });
}
