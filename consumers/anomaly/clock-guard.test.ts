import pino from 'pino';
import { FUTURE_TOLERANCE_MS, resumable } from './clock-guard';

const NOW = Date.UTC(2026, 10, 28, 4);

function capture() {
  const lines: { msg: string; closedUntil?: string; partition?: number }[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

test('a committed position behind the clock, or within the tolerance ahead of it, is resumed from', () => {
  const { log, lines } = capture();
  const behind = { closedUntil: NOW - 3_600_000, maxTs: NOW - 3_590_000 };
  const justAhead = { closedUntil: NOW + FUTURE_TOLERANCE_MS, maxTs: NOW };
  expect(resumable(behind, NOW, log, { partition: 3 })).toBe(behind);
  expect(resumable(justAhead, NOW, log, { partition: 3 })).toBe(justAhead);
  expect(resumable({}, NOW, log, { leader: true })).toEqual({});
  expect(resumable(undefined, NOW, log, { partition: 3 })).toBeUndefined();
  expect(lines).toEqual([]);
});

test('a committed position ahead of the clock is dropped with a warning naming it', () => {
  const { log, lines } = capture();
  const ahead = { closedUntil: NOW + FUTURE_TOLERANCE_MS + 1, maxTs: NOW };
  expect(resumable(ahead, NOW, log, { partition: 7 })).toBeUndefined();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ partition: 7, closedUntil: new Date(ahead.closedUntil).toISOString() });
  expect(lines[0].msg).toMatch(/ahead of the clock/);
});
