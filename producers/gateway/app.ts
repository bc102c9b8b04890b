import express, { type NextFunction, type Request, type Response } from 'express';
import type pino from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { UploadEvent } from '../../schemas/upload-event';
import { validateEvent, type FieldError } from '../../schemas/validate-event';
import { parseEventsBody } from './parse-body';

/** The HTTP ingest gateway: validates a whole request, then hands it to the producer, all or nothing. */

export interface GatewayDeps {
  send: (events: UploadEvent[]) => Promise<void>;
  /** Problems that make the gateway unable to accept events now (empty when ready). */
  readiness: () => Promise<string[]>;
  metrics: Registry;
  bodyLimitBytes: number;
  retryAfterS: number;
  log: pino.Logger;
  nowNs?: () => bigint;
}

const wallClockNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

function httpMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({ name: 'upload_pulse_gateway_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers }),
    latency: new Histogram({ name: 'upload_pulse_gateway_request_seconds', help: 'HTTP request latency', labelNames: ['route'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    accepted: new Counter({ name: 'upload_pulse_gateway_events_accepted_total', help: 'Events acknowledged by Kafka and answered 202', registers }),
  };
}

export function createGatewayApp(deps: GatewayDeps): express.Express {
  const metrics = httpMetrics(deps.metrics);
  const nowNs = deps.nowNs ?? wallClockNs;
  const app = express();
  app.disable('x-powered-by');

  app.use((req, res, next) => {
    const stop = metrics.latency.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ?? 'unmatched';
      stop({ route });
      metrics.requests.inc({ route, status: String(res.statusCode) });
    });
    next();
  });

  const unavailable = (res: Response, error: string) =>
    res.status(503).set('Retry-After', String(deps.retryAfterS)).json({ error, retry_after_s: deps.retryAfterS });

  app.post('/v1/events', express.raw({ type: () => true, limit: deps.bodyLimitBytes }), async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const parsed = parseEventsBody(body, req.get('content-type'));
    if (!parsed.ok) return void res.status(parsed.status).json({ error: parsed.error });

    const now = nowNs();
    const events: UploadEvent[] = [];
    const invalid: { index: number; errors: FieldError[] }[] = [];
    parsed.items.forEach((item, index) => {
      const result = validateEvent(item, now);
      if (result.ok) events.push(result.event);
      else invalid.push({ index, errors: result.errors });
    });
    if (invalid.length > 0) {
      return void res.status(400).json({ error: `${invalid.length} of ${parsed.items.length} events are invalid; nothing of this request was written`, invalid });
    }
    try {
      await deps.send(events);
    } catch (err) {
      deps.log.warn({ err, events: events.length }, 'events not written');
      return void unavailable(res, `events not written: ${err instanceof Error ? err.message : String(err)}; retry later`);
    }
    metrics.accepted.inc(events.length);
    res.status(202).json({ accepted: events.length });
  });

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));

  app.get('/readyz', async (_req, res) => {
    const problems = await deps.readiness();
    if (problems.length > 0) return void unavailable(res, `not ready: ${problems.join('; ')}`);
    res.json({ status: 'ready' });
  });

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });

  app.use((req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}; events go to POST /v1/events` }));

  app.use((err: { type?: string; status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') {
      return void res.status(413).json({ error: `body over the ${deps.bodyLimitBytes}-byte limit: split the events over several requests` });
    }
    if (err.status && err.status >= 400 && err.status < 500) return void res.status(err.status).json({ error: err.message ?? 'bad request' });
    deps.log.error({ err }, 'unexpected gateway error');
    res.status(500).json({ error: 'internal error' });
  });

  return app;
}
