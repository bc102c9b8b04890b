import path from 'node:path';
import express from 'express';

/**
 * The built-in live page at `/`: static HTML, CSS and plain JavaScript modules from this folder,
 * with ECharts served straight from node_modules (nothing to build). The page reads /v1/dimensions
 * and the /v1/live event stream of the same service.
 */

const ASSETS = path.join(__dirname, 'assets');
const ECHARTS = require.resolve('echarts/dist/echarts.min.js');
// ECharts writes tooltips as HTML with inline styles: styles may be inline, scripts only from here.
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export function livePage(): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.set({ 'content-security-policy': CSP, 'cache-control': 'no-cache' });
    res.sendFile(path.join(__dirname, 'index.html'));
  });
  router.get('/assets/vendor/echarts.min.js', (_req, res) => res.sendFile(ECHARTS, { maxAge: '1d' }));
  // no-cache: revalidated each load (ETag), so a restarted service never serves a stale page.
  router.use('/assets', express.static(ASSETS, { index: false, setHeaders: (res) => res.set('cache-control', 'no-cache') }));
  return router;
}
