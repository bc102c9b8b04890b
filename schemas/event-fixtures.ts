import type { UploadEvent } from './upload-event';

export { eventJson } from './upload-event';

/** A valid event and its JSON form, for tests and examples; `overrides` replace top-level fields. */

export const NS_PER_MS = 1_000_000n;
export const nowNs = (): bigint => BigInt(Date.now()) * NS_PER_MS;

export function sampleEvent(overrides: Partial<UploadEvent> = {}): UploadEvent {
  const ts = nowNs();
  return {
    id: 1764212345123456789n,
    event: 'SAVE',
    attempt_id: 'attempt-1',
    is_created: true,
    origin: 'seller-api',
    up_ts: ts - 800n * NS_PER_MS,
    ts,
    country: 'RU',
    data: { company_id: 9007199254740993n, info: '{"title":"Kettle"}', media: [{ url: 'https://cdn.example.test/1.jpg', size: 120_000n }] },
    ...overrides,
  };
}
