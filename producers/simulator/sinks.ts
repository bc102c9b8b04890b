import type pino from 'pino';
import { Registry } from 'prom-client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { eventJson, type UploadEvent } from '../../schemas/upload-event';
import { EventProducer, QueueFullError } from '../event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from '../schema-registry';
import { ensureTopic } from '../../lib/topics';
import { uploadEventsTopic } from '../topics';

/** Where simulated events go: straight to Kafka through the producer library, or through the gateway. */

export interface Sink {
  /** Resolves once every event is acknowledged; waits and retries while the sink pushes back. */
  send(events: UploadEvent[]): Promise<void>;
  close(): Promise<void>;
}

export async function producerSink(config: ServiceConfig, log: pino.Logger): Promise<Sink> {
  const kafka = createKafka('upload-pulse-simulator', config.kafkaBrokers, log);
  const admin = kafka.admin();
  await admin.connect();
  const topic = config.topics.uploadEvents;
  await ensureTopic(admin, uploadEventsTopic(config));
  await admin.disconnect();
  const registry = createSchemaRegistry(config.schemaRegistryUrl);
  const schemaId = await registerUploadEventSchema(registry, topic);
  const producer = new EventProducer({ kafka, registry, topic, schemaId, metrics: new Registry(), log, ...config.producer });
  await producer.connect();
  return {
    async send(events) {
      for (;;) {
        try {
          return await producer.send(events);
        } catch (err) {
          if (!(err instanceof QueueFullError)) throw err;
          await sleep(20);
        }
      }
    },
    close: () => producer.close(),
  };
}

/**
 * A request sent on a kept-alive connection the server closed meanwhile (idle past its keep-alive
 * timeout, often because this process was busy): undici's "other side closed". Sending it again is
 * safe: the gateway either never read it or wrote it, and curate drops re-sent events.
 */
// By name, not instanceof: fetch's errors come from Node's own realm, not always the caller's (jest's vm).
const closedConnection = (err: unknown): boolean => (err as Error | undefined)?.name === 'TypeError' && ['UND_ERR_SOCKET', 'ECONNRESET'].includes(((err as Error).cause as { code?: string } | undefined)?.code ?? '');

/** Posts NDJSON batches; a 503 is honoured with its Retry-After, a 400 is a simulator bug and fails. */
export function gatewaySink(url: string, log: pino.Logger): Sink {
  const post = async (body: string): Promise<Response> => {
    const request = () => fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    try {
      return await request();
    } catch (err) {
      if (!closedConnection(err)) throw err;
      log.warn({ err }, 'gateway connection closed under the request; sending it again');
      return request();
    }
  };
  return {
    async send(events) {
      const body = events.map((e) => eventJson(e)).join('\n');
      for (;;) {
        const res = await post(body);
        if (res.status === 202) return;
        const text = await res.text();
        if (res.status !== 503) throw new Error(`gateway answered ${res.status}: ${text.slice(0, 500)}`);
        const wait = Number(res.headers.get('retry-after') ?? '1');
        log.warn({ wait }, 'gateway unavailable; retrying');
        await sleep(wait * 1000);
      }
    },
    close: async () => {},
  };
}
