import { DLQ_REASONS } from './curate-batch';
import { curateMetrics } from './metrics';

test('every dead-letter reason is exported from 0, so the first burst after a start shows in rate()', async () => {
  const { dlq } = curateMetrics(() => 0);
  const exported = (await dlq.get()).values.map((v) => [v.labels.reason, v.value]);
  expect(exported.sort()).toEqual(DLQ_REASONS.map((r) => [r, 0]).sort());
});
