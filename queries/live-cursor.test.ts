import { LiveCursor } from './live-cursor';

/** What a live stream sends again and what it reads again. */

type Row = { t: number; written: number; value: number };
const key = (r: Row) => String(r.t);
const version = (r: Row) => r.written;

test('the first read has no lower bound; later reads start the overlap before the newest version seen', () => {
  const cursor = new LiveCursor(10);
  expect(cursor.since).toBeUndefined();
  cursor.fresh([{ t: 1, written: 100, value: 0 }, { t: 2, written: 130, value: 0 }], key, version);
  expect(cursor.since).toBe(120);
});

test('a row read again in the same version is not sent again; a rewrite of it is', () => {
  const cursor = new LiveCursor(10);
  const first: Row = { t: 1, written: 100, value: 1 };
  expect(cursor.fresh([first], key, version)).toEqual([first]);
  expect(cursor.fresh([first], key, version)).toEqual([]);
  const rewrite: Row = { t: 1, written: 103, value: 2 };
  expect(cursor.fresh([first, rewrite].slice(1), key, version)).toEqual([rewrite]);
});

test('a row that lands late in a second already seen (same second, replica lag) still gets through', () => {
  const cursor = new LiveCursor(10);
  cursor.fresh([{ t: 1, written: 100, value: 0 }], key, version);
  const late: Row = { t: 2, written: 100, value: 0 };
  // The next read starts at 90, so it sees the late row, and only it is new.
  expect(cursor.fresh([{ t: 1, written: 100, value: 0 }, late], key, version)).toEqual([late]);
});

test('prune forgets only what the next read cannot return', () => {
  const cursor = new LiveCursor(10);
  cursor.fresh([{ t: 1, written: 100, value: 0 }, { t: 2, written: 115, value: 0 }, { t: 3, written: 120, value: 0 }], key, version);
  cursor.prune();
  // since = 110: t=1 (written 100) can only come back as a newer version.
  expect(cursor.size).toBe(2);
  expect(cursor.fresh([{ t: 2, written: 115, value: 0 }], key, version)).toEqual([]);
});
