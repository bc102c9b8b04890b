import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorKind, refusalReason, runLoadPhase } from './gateway-load';

/** A local HTTP endpoint that records when each body arrived: the load generator's own behaviour, not the gateway's. */
async function recorder(status: (n: number, body: string) => number) {
  const arrivals: { at: number; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      arrivals.push({ at: Date.now(), body });
      const code = status(arrivals.length, body);
      // Refusals carry a reason with numbers in it, as the gateway's do.
      const answer = code >= 400 ? { error: `not written: request ${arrivals.length} at ${new Date().toISOString()}` } : {};
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('a phase sends rate x seconds / batch requests, each with its own body, every one answered, spread over the second', async () => {
  // Every tenth body is refused: the answer hook must name exactly those requests.
  const target = await recorder((_n, body) => (Number(body.slice('body-'.length)) % 10 === 0 ? 503 : 202));
  let seq = 0;
  const answered: number[] = [];
  const bySeq = new Map<number, number>();
  try {
    const totals = await runLoadPhase(
      { rate: 400, seconds: 3, batch: 2 },
      { body: () => ({ text: `body-${seq}`, seq: seq++ }), response: (status) => answered.push(status), answer: (s, status) => bySeq.set(s, status), error: () => undefined },
      { url: target.url, slots: 10, signal: new AbortController().signal },
    );
    expect(totals).toMatchObject({ requestsPerSecond: 200, sent: 600, answered: 600, unknownOutcome: 0, errors: {}, stoppedEarly: false });
    expect(totals.byStatus).toEqual({ 202: 540, 503: 60 });
    expect(totals.refusals).toEqual({ '503: not written: request # at #': 60 });
    expect(answered).toHaveLength(600);
    expect(bySeq.size).toBe(600);
    expect([...bySeq].filter(([, status]) => status === 503).map(([s]) => s % 10)).toEqual(Array(60).fill(0));
    expect(new Set(target.arrivals.map((a) => a.body)).size).toBe(600);
    // Ten staggered slots: arrivals fall in (nearly) every 100-ms tenth of the second, not in one burst.
    const tenths = new Set(target.arrivals.map((a) => Math.floor((a.at % 1000) / 100)));
    // One slot puts them in one or two tenths; a loaded machine smears a few more.
    expect(tenths.size).toBeGreaterThanOrEqual(6);
    expect(totals.seconds).toBeGreaterThan(2);
    expect(totals.seconds).toBeLessThan(10);
  } finally {
    await target.close();
  }
});

test('an abort stops the phase early, and what was sent without an answer is counted as unknown', async () => {
  const target = await recorder(() => 202);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 1500);
  try {
    const totals = await runLoadPhase({ rate: 100, seconds: 60, batch: 1 }, { body: () => ({ text: 'x', seq: 0 }), response: () => undefined, error: () => undefined }, { url: target.url, signal: controller.signal });
    expect(totals.stoppedEarly).toBe(true);
    expect(totals.seconds).toBeLessThan(5);
    expect(totals.sent).toBeLessThan(400);
    expect(totals.unknownOutcome).toBe(totals.sent - totals.answered);
  } finally {
    await target.close();
  }
});

test('request errors are named by kind', () => {
  expect(errorKind(new Error('request timed out'))).toBe('timeout');
  expect(errorKind(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
  expect(errorKind(new Error('odd'))).toBe('socket-error');
});

test('a refusal that is not the JSON the gateway sends is counted by its text', () => {
  expect(refusalReason(502, 'Bad Gateway')).toBe('502: Bad Gateway');
  expect(refusalReason(503, '{"error":"producer queue full (99 of 100 events pending); slow down"}')).toBe('503: producer queue full (# of # events pending); slow down');
});

