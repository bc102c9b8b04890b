import { setTimeout as sleep } from 'node:timers/promises';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type pino from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { UploadEvent } from '../schemas/upload-event';

/**
 * The producer library: idempotent, acks=all, batched and compressed, with a bounded queue.
 * `send` resolves once Kafka acknowledged every event it was given; when the queue is full it
 * throws QueueFullError at once, which is the caller's signal to slow down.
 *
 * With a `transactionalId`, each batch is one Kafka transaction and a `send` is never split over
 * two: its events become visible to (read-committed) consumers all together or not at all, even
 * when a broker dies with some partitions written. The gateway uses this so a 503 means "nothing written".
 *
 * After a failed batch the producer is unavailable: `send` throws ProducerUnavailableError at once
 * (a caller is not kept waiting on a Kafka that is down) while a loop replaces the kafkajs producer
 * with a new one (a new producer id), every second until one connects. A new producer is needed
 * because kafkajs keeps counting sequence numbers for batches the broker never got, and every later
 * send to those partitions fails with OUT_OF_ORDER_SEQUENCE_NUMBER (kafkajs issue #598).
 */

export class QueueFullError extends Error {}
export class ProducerClosedError extends Error {}
export class ProducerUnavailableError extends Error {}

export interface EventProducerOptions {
  kafka: Kafka;
  registry: SchemaRegistry;
  topic: string;
  schemaId: number;
  maxQueuedEvents: number;
  maxBatch: number;
  lingerMs: number;
  compression: 'none' | 'gzip';
  /**
   * Smaller batches go uncompressed. kafkajs compresses each partition's part of a batch apart, and
   * a few events there shrink little while gzip costs the producer a thread-pool round trip and the
   * broker a decompression: at 1,000 single-event requests/s (about ten events a batch over twelve
   * partitions) the gateway's p99 fell from 33-46 ms to 24-31 ms without it.
   */
  compressFromEvents: number;
  /** How long the broker may take to replicate a batch to the in-sync replicas before failing it. */
  sendTimeoutMs: number;
  /** Batches as transactions of whole `send` calls; unique per producing process, stable across its restarts. */
  transactionalId?: string;
  /** Pause between attempts to reconnect after a failed batch; default 1 s. */
  reconnectDelayMs?: number;
  metrics: Registry;
  log: pino.Logger;
}

interface Request { remaining: number; settled: boolean; resolve: () => void; reject: (err: Error) => void }
interface Chunk { messages: Message[]; request: Request }

const NS_PER_MS = 1_000_000n;

/**
 * Shared by every producer of the process (the gateway has two): each labels its series with its
 * delivery, `idempotent` or `transactional`.
 */
function producerMetrics(registry: Registry) {
  const registers = [registry];
  const existing = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    events: existing('upload_pulse_producer_events_total', () => new Counter({ name: 'upload_pulse_producer_events_total', help: 'Events by outcome: acked by Kafka, failed after retries, rejected because the queue was full', labelNames: ['topic', 'result', 'delivery'], registers })),
    batch: existing('upload_pulse_producer_batch_events', () => new Histogram({ name: 'upload_pulse_producer_batch_events', help: 'Events per produce batch', labelNames: ['topic', 'delivery'], buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000], registers })),
    queue: existing('upload_pulse_producer_queue_events', () => new Gauge({ name: 'upload_pulse_producer_queue_events', help: 'Events accepted by the producer and not yet acknowledged', labelNames: ['topic', 'delivery'], registers })),
    latency: existing('upload_pulse_producer_send_seconds', () => new Histogram({ name: 'upload_pulse_producer_send_seconds', help: 'Time from batch send to Kafka acknowledgement', labelNames: ['topic', 'delivery'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers })),
    resets: existing('upload_pulse_producer_resets_total', () => new Counter({ name: 'upload_pulse_producer_resets_total', help: 'Kafka producers replaced after a failed batch (new producer id)', labelNames: ['topic', 'delivery'], registers })),
  };
}

export class EventProducer {
  private producer: Producer;
  /** Set from a failed batch until a new producer connected. */
  private broken: { since: number; reason: string } | undefined;
  private reconnecting: Promise<void> | undefined;
  private readonly metrics: ReturnType<typeof producerMetrics>;
  private readonly labels: { topic: string; delivery: 'idempotent' | 'transactional' };
  private readonly queue: Chunk[] = [];
  /** Accepted and not yet acknowledged (queued, being encoded or in flight): the bound applies to this. */
  private queuedEvents = 0;
  /** Encoded and waiting for a batch. */
  private unsent = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private encodeValue: (event: UploadEvent) => Buffer = () => {
    throw new Error('EventProducer.connect() must be called before send()');
  };
  /** Resolved when nothing is pending: what close() waits for. */
  private readonly idle: (() => void)[] = [];

  constructor(private readonly opts: EventProducerOptions) {
    this.producer = this.newProducer();
    this.metrics = producerMetrics(opts.metrics);
    this.labels = { topic: opts.topic, delivery: opts.transactionalId === undefined ? 'idempotent' : 'transactional' };
  }

  private newProducer(): Producer {
    return this.opts.kafka.producer({
      idempotent: true,
      // kafkajs requires a single in-flight request per broker for idempotence.
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      // About 15 s of retries: a SIGKILLed broker keeps its partitions until the KRaft controller
      // misses its heartbeats (broker.session.timeout.ms, 9 s). The 3 s this used to allow refused
      // 1.2 % of requests with 503 during the broker-kill fault. A Kafka that is down altogether costs
      // only the first failed batch this wait: later sends are refused at once (ProducerUnavailableError).
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 3000 },
      ...(this.opts.transactionalId === undefined ? {} : { transactionalId: this.opts.transactionalId }),
    });
  }

  private markBroken(err: Error): void {
    this.broken ??= { since: Date.now(), reason: err.message };
    this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
  }

  /** New producers in place of the failed one until one connects (or the producer is closed). */
  private async reconnect(): Promise<void> {
    while (!this.closed) {
      const old = this.producer;
      this.producer = this.newProducer();
      this.metrics.resets.inc(this.labels);
      void old.disconnect().catch(() => undefined);
      try {
        await this.producer.connect();
        this.opts.log.info({ unavailableMs: Date.now() - this.broken!.since }, 'Kafka producer reconnected');
        this.broken = undefined;
        return;
      } catch (err) {
        this.opts.log.warn({ err }, 'Kafka producer could not reconnect; trying again');
        await sleep(this.opts.reconnectDelayMs ?? 1000);
      }
    }
  }

  private unavailable(): ProducerUnavailableError {
    return new ProducerUnavailableError(`Kafka unavailable since ${new Date(this.broken!.since).toISOString()} (${this.broken!.reason}); reconnecting, retry in a few seconds`);
  }

  async connect(): Promise<void> {
    const schema = await this.opts.registry.getSchema(this.opts.schemaId);
    // Confluent wire format: magic byte 0, the schema id (big-endian int32), then the Avro body.
    const header = Buffer.alloc(5);
    header.writeInt32BE(this.opts.schemaId, 1);
    this.encodeValue = (event) => Buffer.concat([header, schema.toBuffer(event)]);
    await this.producer.connect();
  }

  /** Events accepted and not yet acknowledged; callers may use it to pace themselves. */
  get pending(): number {
    return this.queuedEvents;
  }

  async send(events: UploadEvent[]): Promise<void> {
    if (this.closed) throw new ProducerClosedError('the producer is shutting down; retry against another instance');
    if (this.broken) throw this.unavailable();
    const { maxQueuedEvents } = this.opts;
    if (this.queuedEvents + events.length > maxQueuedEvents) {
      this.metrics.events.inc({ ...this.labels, result: 'rejected' }, events.length);
      throw new QueueFullError(`producer queue full (${this.queuedEvents} of ${maxQueuedEvents} events pending); slow down and retry`);
    }
    if (events.length === 0) return;
    // Encoding is synchronous: a bad event throws here, before anything is queued.
    const messages = events.map((e) => this.encode(e));
    this.queuedEvents += events.length;
    this.metrics.queue.set(this.labels, this.queuedEvents);
    return new Promise<void>((resolve, reject) => {
      // A transactional send stays one chunk, so one transaction holds all of it.
      const chunkSize = this.opts.transactionalId === undefined ? this.opts.maxBatch : messages.length;
      const request: Request = { remaining: Math.ceil(messages.length / chunkSize), settled: false, resolve, reject };
      for (let i = 0; i < messages.length; i += chunkSize) this.queue.push({ messages: messages.slice(i, i + chunkSize), request });
      this.unsent += messages.length;
      this.schedule();
    });
  }

  /** Stops accepting events, sends everything accepted, and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queuedEvents > 0) {
      await new Promise<void>((resolve) => {
        this.idle.push(resolve);
        void this.flush();
      });
    }
    await this.reconnecting;
    await this.producer.disconnect();
  }

  private encode(event: UploadEvent): Message {
    return {
      key: event.data.company_id.toString(),
      value: this.encodeValue(event),
      // Kafka's timestamp is the event time, so replays can seek by event time.
      timestamp: (event.ts / NS_PER_MS).toString(),
    };
  }

  private release(n: number): void {
    this.queuedEvents -= n;
    this.metrics.queue.set(this.labels, this.queuedEvents);
    if (this.queuedEvents === 0) this.idle.splice(0).forEach((resolve) => resolve());
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.unsent >= this.opts.maxBatch || this.closed) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.lingerMs);
    }
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: Chunk[] = [];
      let size = 0;
      while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0].messages.length <= this.opts.maxBatch)) {
        const chunk = this.queue.shift()!;
        this.unsent -= chunk.messages.length;
        // The rest of a request that already failed is not sent: its caller was told it failed.
        if (chunk.request.settled) this.release(chunk.messages.length);
        else {
          batch.push(chunk);
          size += chunk.messages.length;
        }
      }
      if (batch.length > 0) await this.sendBatch(batch, size);
    }
  }

  private async sendBatch(batch: Chunk[], size: number): Promise<void> {
    const { topic, compression, compressFromEvents, sendTimeoutMs } = this.opts;
    const stop = this.metrics.latency.startTimer(this.labels);
    this.metrics.batch.observe(this.labels, size);
    const messages = batch.flatMap((c) => c.messages);
    const record = { topic, acks: -1, timeout: sendTimeoutMs, compression: compression === 'gzip' && size >= compressFromEvents ? CompressionTypes.GZIP : CompressionTypes.None };
    try {
      // Queued before the failure: refused at once rather than sent into a Kafka that is down.
      if (this.broken) throw this.unavailable();
      if (this.opts.transactionalId === undefined) await this.producer.send({ ...record, messages });
      else await this.sendTransaction(record, messages);
      stop();
      this.metrics.events.inc({ ...this.labels, result: 'acked' }, size);
      for (const { request } of batch) {
        request.remaining -= 1;
        if (request.remaining === 0 && !request.settled) {
          request.settled = true;
          request.resolve();
        }
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.metrics.events.inc({ ...this.labels, result: 'failed' }, size);
      if (!(err instanceof ProducerUnavailableError)) {
        this.opts.log.warn({ err, events: size }, 'produce failed after retries');
        this.markBroken(error);
      }
      for (const { request } of batch) {
        if (!request.settled) {
          request.settled = true;
          request.reject(error);
        }
      }
    } finally {
      this.release(size);
    }
  }

  /** One transaction; a batch over maxBatch (a large send) goes as several produce requests inside it. */
  private async sendTransaction(record: { topic: string; acks: number; timeout: number; compression: CompressionTypes }, messages: Message[]): Promise<void> {
    const txn = await this.producer.transaction();
    try {
      for (let i = 0; i < messages.length; i += this.opts.maxBatch) await txn.send({ ...record, messages: messages.slice(i, i + this.opts.maxBatch) });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }
}
