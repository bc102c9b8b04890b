import { loadEnv, serviceConfig } from '../lib/config';
import { eventJson, sampleEvent } from '../schemas/event-fixtures';
import { eventually, testStack, uniqueName } from './stack-env';
import { createClickHouse } from '../lib/clickhouse';

/** The whole running pipeline: gateway -> raw topic -> curate -> curated topic -> ClickHouse. */

test('an event posted to the gateway becomes one exact row in upload_events, its re-sent copy dropped', async () => {
  const stack = await testStack();
  const db = serviceConfig(loadEnv()).clickhouse.database;
  const attempt = uniqueName('pipeline');
  const ts = 1764212345123456789n;
  const res = await fetch(`${stack.status.components.gateway.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: eventJson([sampleEvent({ attempt_id: attempt, ts, up_ts: ts - 2_500_000_000n }), sampleEvent({ attempt_id: attempt, ts, up_ts: ts - 2_500_000_000n })]),
  });
  expect(await res.json()).toEqual({ accepted: 2 });

  const ch = createClickHouse(stack.status.components.clickhouse.http[0]);
  const rows = await eventually('the row in ClickHouse', async () => {
    const r = await (
      await ch.query({ query: `SELECT toString(ts) AS ts, toString(id) AS id, toString(seller_id) AS seller, latency_ms FROM ${db}.upload_events WHERE event_date = '2025-11-27' AND attempt_id = '${attempt}'`, format: 'JSONEachRow' })
    ).json<Record<string, string | number>>();
    return r.length > 0 ? r : undefined;
  }, 60000);
  // The second copy was the same event re-sent: curate dropped it.
  expect(rows).toEqual([{ ts: '1764212345123456789', id: '1764212345123456789', seller: '9007199254740993', latency_ms: 2500 }]);
  await ch.close();
});
