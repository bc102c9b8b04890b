import type { ClickHouseClient } from '@clickhouse/client';
import express from 'express';
import type pino from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { describeIssues, querySeries, seriesParams } from '../series';

/** The project's read API: chart series for dashboards, the live page and operators. */

export interface ApiDeps { clickhouse: ClickHouseClient; database: string; metrics: Registry; log: pino.Logger }

export function createApiApp(deps: ApiDeps): express.Express {
  const registers = [deps.metrics];
  const requests = new Counter({ name: 'upload_pulse_api_requests_total', help: 'API requests by route and status', labelNames: ['route', 'status'], registers });
  const latency = new Histogram({ name: 'upload_pulse_api_request_seconds', help: 'API request latency', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 1, 3, 10], registers });
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const stop = latency.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ?? 'unmatched';
      stop({ route });
      requests.inc({ route, status: String(res.statusCode) });
    });
    next();
  });

  app.get('/v1/series', async (req, res) => {
    const parsed = seriesParams.safeParse(req.query);
    if (!parsed.success) return void res.status(400).json({ error: 'invalid query parameters', problems: describeIssues(parsed.error) });
    try {
      res.json(await querySeries(deps.clickhouse, deps.database, parsed.data));
    } catch (err) {
      deps.log.error({ err }, 'series query failed');
      res.status(503).json({ error: `ClickHouse query failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` });
    }
  });

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const ok = await deps.clickhouse.ping();
    if (ok.success) return void res.json({ status: 'ready' });
    res.status(503).json({ error: 'ClickHouse unreachable' });
  });
  app.get('/metrics', async (_req, res) => void res.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  app.use((req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}; see README, "Reading chart data"` }));
  return app;
}
