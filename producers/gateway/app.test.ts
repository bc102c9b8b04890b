import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { eventJson, sampleEvent } from '../../schemas/event-fixtures';
import type { UploadEvent } from '../../schemas/upload-event';
import { QueueFullError } from '../event-producer';
import { createGatewayApp } from './app';

/** The gateway's HTTP contract, with the producer replaced by an in-memory stub (unit test). */

let server: http.Server;
let base: string;
let sent: UploadEvent[][];
let failWith: Error | undefined;

beforeEach(async () => {
  sent = [];
  failWith = undefined;
  const app = createGatewayApp({
    send: async (events) => {
      if (failWith) throw failWith;
      sent.push(events);
    },
    readiness: async () => [],
    metrics: new Registry(),
    bodyLimitBytes: 64 * 1024,
    retryAfterS: 7,
    log: pino({ level: 'silent' }),
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (body: string | Buffer, contentType = 'application/json') =>
  fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': contentType }, body });

test('one event, an array, or NDJSON: 202 with the count, 64-bit values exact', async () => {
  const e = sampleEvent();
  expect(await (await post(eventJson(e))).json()).toEqual({ accepted: 1 });
  expect(await (await post(eventJson([e, e]))).json()).toEqual({ accepted: 2 });
  const res = await post(`${eventJson(e)}\n\n${eventJson(e)}\n`, 'application/x-ndjson');
  expect(res.status).toBe(202);
  expect(sent.map((batch) => batch.length)).toEqual([1, 2, 2]);
  expect(sent[0][0].id).toBe(1764212345123456789n);
});

test('an invalid event fails the whole request with per-index field errors, and nothing is sent', async () => {
  const res = await post(eventJson([sampleEvent(), { ...sampleEvent(), country: 'xx' }, sampleEvent()]));
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: string; invalid: { index: number; errors: { field: string }[] }[] };
  expect(body.error).toMatch(/1 of 3 events are invalid; nothing of this request was written/);
  expect(body.invalid).toEqual([{ index: 1, errors: [expect.objectContaining({ field: 'country' })] }]);
  expect(sent).toEqual([]);
});

test.each([
  ['wrong content type', 415, () => post('{}', 'text/plain'), /unsupported content type "text\/plain"/],
  ['malformed JSON', 400, () => post('{"id": 1,'), /body is not JSON/],
  ['malformed NDJSON line', 400, () => post(`${eventJson(sampleEvent())}\n{oops`, 'application/x-ndjson'), /line 2 is not JSON/],
  ['invalid UTF-8', 400, () => post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/],
  ['empty array', 400, () => post('[]'), /no events in the body/],
  ['body over the limit', 413, () => post(eventJson(Array.from({ length: 400 }, () => sampleEvent()))), /over the 65536-byte limit/],
  ['unknown route', 404, () => fetch(`${base}/v2/nothing`), /no route GET \/v2\/nothing/],
])('%s answers %d', async (_name, status, request, message) => {
  const res = await request();
  expect(res.status).toBe(status);
  expect(((await res.json()) as { error: string }).error).toMatch(message);
  expect(sent).toEqual([]);
});

test('a full queue or an unreachable broker answers 503 with Retry-After', async () => {
  for (const err of [new QueueFullError('producer queue full'), new Error('Connection error: ECONNREFUSED')]) {
    failWith = err;
    const res = await post(eventJson(sampleEvent()));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(((await res.json()) as { error: string }).error).toMatch(/events not written/);
  }
});

test('metrics count requests by route and status and the events accepted', async () => {
  await post(eventJson([sampleEvent(), sampleEvent()]));
  await post('[]');
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).toMatch(/upload_pulse_gateway_requests_total\{route="\/v1\/events",status="202"\} 1/);
  expect(text).toMatch(/upload_pulse_gateway_requests_total\{route="\/v1\/events",status="400"\} 1/);
  expect(text).toMatch(/upload_pulse_gateway_events_accepted_total 2/);
});
