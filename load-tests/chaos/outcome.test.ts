import type { Marker } from '../harness/freshness';
import type { Answer } from '../scenarios/runner';
import { eventOutcome, recoveryOf } from './outcome';

const answer = (status: number, at = 0, retryAfter?: string): Answer => ({ status, at, retryAfter });

test('requests are judged one by one: lost events, requests stored in part, refusals stored anyway, duplicates', () => {
  const answers = new Map<number, Answer>([
    [0, answer(202)],
    [1, answer(202)],
    [2, answer(503, 0, '5')],
    [3, answer(503)],
    [4, answer(503, 0, '5')],
    // 5: never answered
  ]);
  const byRequest = new Map([
    [0, 10], // accepted, stored
    [1, 7], // accepted, 3 lost, and stored in part
    [3, 10], // refused but its send completed
    [4, 4], // refused and stored in part
    [5, 10], // unanswered, stored
  ]);
  const o = eventOutcome(6, 10, answers, { byRequest, rows: 45, rowsFinal: 41, distinct: 41 });
  expect(o.requests).toEqual({ sent: 6, accepted: 2, refused: { 503: 3 }, unanswered: 1, refusedWithoutRetryAfter: 1 });
  expect(o.events).toEqual({ accepted: 20, stored: 41, lost: 3, partialRequests: 2, storedWithoutAcceptance: 2, duplicatesFinal: 0, duplicateRowsBeforeMerge: 4 });
});

test('recovery: freshness back under the worse of 5 s and the pre-fault p95, counted from the fault; refused markers ignored', () => {
  const fault = 100_000;
  const markers: Marker[] = [
    ...Array.from({ length: 20 }, (_, i) => ({ key: `b${i}`, sentAtMs: fault - 20_000 + i * 1000, seenAtMs: fault - 20_000 + i * 1000 + 2000 })),
    { key: 'inflight', sentAtMs: fault - 500, seenAtMs: fault + 31_000 },
    { key: 'f1', sentAtMs: fault + 1000, seenAtMs: fault + 30_000 },
    { key: 'f2', sentAtMs: fault + 10_000, seenAtMs: fault + 22_000 },
    { key: 'refused', sentAtMs: fault + 20_000, refused: true },
    { key: 'ok1', sentAtMs: fault + 25_000, seenAtMs: fault + 27_000 },
    { key: 'ok2', sentAtMs: fault + 40_000, seenAtMs: fault + 41_000 },
  ];
  const answers = new Map<number, Answer>([
    [0, answer(503, fault + 5000)],
    [1, answer(202, fault + 33_000)],
    [2, answer(202, fault + 34_000)],
  ]);
  const r = recoveryOf(markers, answers, fault, fault + 30_000);
  expect(r.thresholdMs).toBe(5000);
  // The last late marker was sent 10 s after the fault; the next one, 25 s after, was on time.
  expect(r.freshnessSeconds).toBe(25);
  expect(r.worstMs).toBe(31_500);
  expect(r.acceptingAgainSeconds).toBe(3);

  const never = recoveryOf([...markers, { key: 'lost', sentAtMs: fault + 50_000 }], new Map(), fault, fault + 30_000);
  expect(never.freshnessSeconds).toBeNull();
  expect(never.acceptingAgainSeconds).toBeUndefined();
});
