import type { ClickHouseClient } from '@clickhouse/client';
import express from 'express';
import type pino from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { z } from 'zod';
import { anomaliesParams, queryAnomalies } from '../anomalies';
import { chartPointsParams, queryChartPoints } from '../chart-points';
import { chartWindowsParams, queryChartWindows } from '../chart-windows';
import { clickhouseProblem } from '../clickhouse-problem';
import { dimensionsParams, queryDimensions } from '../dimensions';
import { liveParams, type LiveFeed } from '../live-feed';
import { livePage } from '../live-page/serve';
import { describeIssues } from '../params';
import { querySeries, seriesParams } from '../series';

/** The project's read API: chart series and control charts for dashboards, the live page and operators. */

export interface ApiDeps {
  clickhouse: ClickHouseClient;
  database: string;
  metrics: Registry;
  log: pino.Logger;
  /** The live page's event streams (main.ts closes them on SIGTERM). */
  live: LiveFeed;
  /** The raw topic whose charts are shown when a request names no `stream`. */
  defaultStream: string;
}

/** The live feed's responses last as long as the page is open: left out of the latency histogram. */
const STREAMING_ROUTES = new Set(['/v1/live']);

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
      if (!STREAMING_ROUTES.has(route)) stop({ route });
      requests.inc({ route, status: String(res.statusCode) });
    });
    next();
  });

  /** A JSON read: query parameters validated (400 naming each problem), ClickHouse failures as 503. */
  const read = <S extends z.ZodType<object>>(path: string, schema: S, run: (q: z.output<S>) => Promise<unknown>) =>
    app.get(path, async (req, res) => {
      const parsed = schema.safeParse(req.query);
      if (!parsed.success) return void res.status(400).json({ error: 'invalid query parameters', problems: describeIssues(parsed.error) });
      try {
        res.json(await run(parsed.data));
      } catch (err) {
        deps.log.error({ err, path }, 'read failed');
        res.status(503).json({ error: clickhouseProblem(err) });
      }
    });
  const { clickhouse: ch, database: db } = deps;
  const inStream = <Q extends { stream?: string }>(q: Q) => ({ ...q, stream: q.stream ?? deps.defaultStream });

  read('/v1/series', seriesParams, (q) => querySeries(ch, db, q));
  read('/v1/chart-points', chartPointsParams, async (q) => {
    const query = inStream(q);
    return { stream: query.stream, chart: q.chart, dimension: q.dimension, points: await queryChartPoints(ch, db, query) };
  });
  read('/v1/anomalies', anomaliesParams, async (q) => {
    const query = inStream(q);
    return { stream: query.stream, anomalies: await queryAnomalies(ch, db, query) };
  });
  read('/v1/windows', chartWindowsParams, async (q) => {
    const query = inStream(q);
    return { stream: query.stream, dimension: q.dimension, windows: await queryChartWindows(ch, db, query) };
  });
  read('/v1/dimensions', dimensionsParams, async (q) => {
    const query = inStream(q);
    return { stream: query.stream, chart: q.chart, dimensions: await queryDimensions(ch, db, query) };
  });

  app.get('/v1/live', (req, res) => {
    const parsed = liveParams.safeParse(req.query);
    if (!parsed.success) return void res.status(400).json({ error: 'invalid query parameters', problems: describeIssues(parsed.error) });
    if (!deps.live.serve(inStream(parsed.data), res)) {
      res.status(503).json({ error: deps.live.isClosed ? 'the API is shutting down' : `too many live streams open (${deps.live.openStreams}); raise API_LIVE_MAX_STREAMS or close some pages` });
    }
  });

  app.use(livePage());
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const ok = await deps.clickhouse.ping();
    if (ok.success) return void res.json({ status: 'ready' });
    res.status(503).json({ error: 'ClickHouse unreachable' });
  });
  app.get('/metrics', async (_req, res) => void res.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  app.use((req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}; see README, "Reading chart data" and "Live control charts"` }));
  return app;
}
