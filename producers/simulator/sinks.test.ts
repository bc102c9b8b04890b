import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { sampleEvent } from '../../schemas/event-fixtures';
import { gatewaySink } from './sinks';

/** The gateway sink against a local HTTP server that drops connections on purpose. */

const log = pino({ level: 'silent' });
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function server(handle: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; requests: () => number }> {
  let n = 0;
  const s = http.createServer((req, res) => handle(++n, req, res));
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, requests: () => n };
}

test('a batch whose connection the gateway closed is sent again', async () => {
  const gateway = await server((n, req, res) => {
    if (n === 1) return void req.socket.destroy();
    req.resume();
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}'));
  });
  await gatewaySink(gateway.url, log).send([sampleEvent()]);
  expect(gateway.requests()).toBe(2);
});

test('a connection closed twice in a row, or an error answer, fails the send', async () => {
  const dropping = await server((_n, req) => req.socket.destroy());
  await expect(gatewaySink(dropping.url, log).send([sampleEvent()])).rejects.toThrow(/fetch failed/);
  expect(dropping.requests()).toBe(2);

  const refusing = await server((_n, req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(400).end('{"error":"invalid"}'));
  });
  await expect(gatewaySink(refusing.url, log).send([sampleEvent()])).rejects.toThrow(/gateway answered 400/);
  expect(refusing.requests()).toBe(1);
});
