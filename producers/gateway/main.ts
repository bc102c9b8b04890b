import http from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadEnv, serviceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { registerService } from '../../lib/service-registry';
import { onShutdown } from '../../lib/shutdown';
import { EventProducer } from '../event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from '../schema-registry';
import { ensureTopic } from '../../lib/topics';
import { uploadEventsTopic } from '../topics';
import type { UploadEvent } from '../../schemas/upload-event';
import { createGatewayApp } from './app';
import { atomicSend } from './atomic-send';

/** The ingest gateway process: `npm run gateway`. */

async function main(): Promise<void> {
  const config = serviceConfig(loadEnv());
  const log = createLogger('gateway');
  const kafka = createKafka('upload-pulse-gateway', config.kafkaBrokers, log);
  const registry = createSchemaRegistry(config.schemaRegistryUrl);
  const admin = kafka.admin();
  await admin.connect();

  const topic = config.topics.uploadEvents;
  if (await ensureTopic(admin, uploadEventsTopic(config))) log.info({ topic }, 'created topic');
  const schemaId = await registerUploadEventSchema(registry, topic);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const producerOptions = { kafka, registry, topic, schemaId, metrics, log, ...config.producer };
  const direct = new EventProducer(producerOptions);
  const { transactionalId } = config.gateway;
  const transactional = transactionalId === undefined ? undefined : new EventProducer({ ...producerOptions, transactionalId });
  const producers = transactional ? [direct, transactional] : [direct];
  await Promise.all(producers.map((p) => p.connect()));
  const send = transactional ? atomicSend(direct, transactional, config.producer.maxBatch) : (events: UploadEvent[]) => direct.send(events);

  const readiness = async (): Promise<string[]> => {
    const checks = await Promise.allSettled([
      admin.describeCluster(),
      fetch(`${config.schemaRegistryUrl}/subjects`, { signal: AbortSignal.timeout(2000) }).then((r) => {
        if (!r.ok) throw new Error(`registry answered ${r.status}`);
      }),
    ]);
    const names = ['kafka unreachable', 'schema registry unreachable'];
    return checks.flatMap((c, i) => (c.status === 'rejected' ? [`${names[i]}: ${c.reason instanceof Error ? c.reason.message : String(c.reason)}`] : []));
  };

  const app = createGatewayApp({ send, readiness, metrics, log, ...config.gateway });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(config.gateway.port, config.host, resolve));
  log.info({ url: `http://${config.host}:${config.gateway.port}`, topic, schemaId, transactionalId: config.gateway.transactionalId }, 'gateway listening');
  const discovery = registerService({ connect: config.zookeeperConnect, service: 'gateway', host: config.host, port: config.gateway.port, log });

  onShutdown(log, async () => {
    await discovery.close();
    // Stop taking connections, let in-flight requests finish, then flush what they queued.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(producers.map((p) => p.close()));
    await admin.disconnect();
  });
}

main().catch((err: unknown) => {
  createLogger('gateway').fatal({ err }, 'gateway failed to start');
  process.exit(1);
});
