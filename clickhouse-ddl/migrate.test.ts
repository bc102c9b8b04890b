import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMigrations, render, splitStatements, type MigrationContext } from './migrate';

const ctx: MigrationContext = { db: 'upload_pulse', kafka_brokers: '127.0.0.1:9092', curated_topic: 'curated', ingest_group: 'clickhouse-ingest' };

test('statements split on line-ending semicolons, comments dropped', () => {
  expect(splitStatements('-- note; with semicolon\nCREATE TABLE a (x String DEFAULT \'a;b\');\n\nCREATE TABLE b;\n')).toEqual(["CREATE TABLE a (x String DEFAULT 'a;b')", 'CREATE TABLE b']);
});

test('placeholders are filled in; an unknown one is named', () => {
  expect(render("kafka_broker_list = '{{kafka_brokers}}' ON {{db}}.t", ctx)).toBe("kafka_broker_list = '127.0.0.1:9092' ON upload_pulse.t");
  expect(() => render('{{dbname}}.t', ctx)).toThrow(/unknown placeholder \{\{dbname\}\}; known: db, kafka_brokers/);
});

test('the shipped migrations are numbered, ordered, fully rendered and all ON CLUSTER', () => {
  const migrations = loadMigrations(ctx);
  expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
  for (const statement of migrations.flatMap((m) => m.statements)) {
    expect(statement).not.toMatch(/\{\{/);
    expect(statement).toMatch(/ON CLUSTER upload_pulse/);
  }
});

test('a badly named migration file is refused by name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  fs.writeFileSync(path.join(dir, '1-init.sql'), 'SELECT 1;');
  expect(() => loadMigrations(ctx, dir)).toThrow(/1-init.sql must be named NNNN_name.sql/);
});
