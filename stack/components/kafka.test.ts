import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnv, stackConfig } from '../../lib/config';
import { requireJavaAndMaven } from '../install';
import { layoutFor } from '../layout';
import { kafkaProcesses } from './kafka';

test('a Kafka data folder with foreign content is refused with the fix, and left untouched', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-kafka-'));
  try {
    const [broker] = kafkaProcesses(layoutFor(stackConfig(loadEnv({ STACK_DIR: dir }), { topology: 'single' })));
    for (const d of [broker.paths.data, broker.paths.conf]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(broker.paths.data, 'garbage'), 'x');
    await expect(broker.prepare()).rejects.toThrow(/not empty but has no meta.properties.*stack:down -- --purge/);
    expect(fs.readdirSync(broker.paths.data)).toEqual(['garbage']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing Java is named with the package that provides it', async () => {
  const emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), 'empty-path-'));
  await expect(requireJavaAndMaven({ ...process.env, PATH: emptyPath })).rejects.toThrow(/Java is missing.*openjdk-17-jre-headless/);
});
