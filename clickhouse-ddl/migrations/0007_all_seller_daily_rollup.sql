-- A daily rollup without the seller, for the marketplace's charts over months and years.
-- A year of latency quantiles over all sellers from the hourly rollup merges one t-digest state
-- per hour, country, origin and event type: 630,000 to 1,070,000 states at 1 billion events, and
-- 2.3-4.4 s whatever the step (npm run bench:history; the target is 1 s). A day holds 24 times fewer.
-- Days are UTC days (intDiv of the epoch second, not the server's time zone), so a step of whole
-- days in /v1/series buckets them exactly. queries/series.ts reads this table for all-seller
-- series whose step is whole days (the default beyond 92 days).
-- Rows stored before this migration are not in it: rebuild with npm run replay (README, "Replay").

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_all_1d_local ON CLUSTER upload_pulse
AS {{db}}.upload_rollup_all_1m_local
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{{db}}/upload_rollup_all_1d_local', '{replica}')
PARTITION BY toYear(minute)
ORDER BY (minute, country, origin, event);

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_all_1d ON CLUSTER upload_pulse
AS {{db}}.upload_rollup_all_1d_local
ENGINE = Distributed(upload_pulse, {{db}}, upload_rollup_all_1d_local, cityHash64(minute));

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.upload_rollup_all_1d_mv ON CLUSTER upload_pulse
TO {{db}}.upload_rollup_all_1d_local
AS SELECT
    toDateTime(intDiv(toUInt32(event_minute), 86400) * 86400) AS minute,
    country,
    origin,
    event,
    countState() AS events,
    countIfState(is_created = 1) AS latency_n,
    sumIfState(latency_ms, is_created = 1) AS latency_sum,
    sumIfState(latency_ms * latency_ms, is_created = 1) AS latency_sq,
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(latency_ms, is_created = 1) AS latency_q
FROM {{db}}.upload_events_local
GROUP BY minute, country, origin, event;
