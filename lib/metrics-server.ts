import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Serves /metrics and /healthz; port 0 takes a free port. Resolves with the listening server and its port. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method === 'GET' && req.url === '/metrics') {
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        (err: unknown) => send(500, 'text/plain', `collecting metrics failed: ${String(err)}`),
      );
    } else if (req.method === 'GET' && req.url === '/healthz') {
      send(200, 'application/json', '{"status":"ok"}');
    } else {
      send(404, 'application/json', JSON.stringify({ error: `no route ${req.method} ${req.url}; try GET /metrics` }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`metrics server cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen(port, host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}
