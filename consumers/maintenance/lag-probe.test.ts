import { groupLag } from './lag-probe';

const ends = [
  { partition: 0, high: '100', low: '0' },
  { partition: 1, high: '50', low: '10' },
];

test('lag is end offset minus committed offset, summed over partitions', () => {
  expect(groupLag(ends, [{ partition: 0, offset: '90' }, { partition: 1, offset: '50' }])).toBe(10);
});

test('a group that committed nothing has no lag to report', () => {
  expect(groupLag(ends, [{ partition: 0, offset: '-1' }, { partition: 1, offset: '-1' }])).toBeUndefined();
  expect(groupLag(ends, [])).toBeUndefined();
});

test('an uncommitted partition, or a commit behind retention, counts from the low watermark', () => {
  expect(groupLag(ends, [{ partition: 0, offset: '100' }, { partition: 1, offset: '-1' }])).toBe(40);
  expect(groupLag(ends, [{ partition: 0, offset: '100' }, { partition: 1, offset: '3' }])).toBe(40);
});

test('offsets beyond 2^53 are exact', () => {
  expect(groupLag([{ partition: 0, high: '9007199254740999', low: '0' }], [{ partition: 0, offset: '9007199254740990' }])).toBe(9);
});
