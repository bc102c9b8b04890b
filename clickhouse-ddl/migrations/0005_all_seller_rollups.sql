-- Rollups without the seller: the charts of the whole marketplace (and of a country or origin)
-- over long ranges. The seller rollups hold about one row per seller, origin and event type per
-- minute or hour, so a year's chart over all sellers merged millions of rows: 0.5 s for counts
-- and 8 s for latency quantiles at 10M events a year (npm run bench:history), growing with traffic.
-- Without the seller these tables stay at a few rows per minute or hour whatever the traffic.
-- Latency quantiles are t-digests here: merging a year of reservoir states (quantilesIf keeps up
-- to 8192 samples each) is what took 8 s; a t-digest state is a few hundred centroids.
-- Written by views on upload_events_local like the seller rollups, so they count the same rows.
-- Rows stored before this migration are not in them: rebuild with npm run replay (README, "Replay").

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_all_1m_local ON CLUSTER upload_pulse
(
    minute DateTime,
    country FixedString(2),
    origin String,
    event Enum8('SAVE' = 1, 'UPDATE' = 2, 'ERROR' = 3),
    events AggregateFunction(count),
    latency_n AggregateFunction(countIf, UInt8),
    latency_sum AggregateFunction(sumIf, Float64, UInt8),
    latency_sq AggregateFunction(sumIf, Float64, UInt8),
    latency_q AggregateFunction(quantilesTDigestIf(0.5, 0.9, 0.95, 0.99), Float64, UInt8)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{{db}}/upload_rollup_all_1m_local', '{replica}')
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, country, origin, event);

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_all_1m ON CLUSTER upload_pulse
AS {{db}}.upload_rollup_all_1m_local
ENGINE = Distributed(upload_pulse, {{db}}, upload_rollup_all_1m_local, cityHash64(minute));

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.upload_rollup_all_1m_mv ON CLUSTER upload_pulse
TO {{db}}.upload_rollup_all_1m_local
AS SELECT
    event_minute AS minute,
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

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_all_1h_local ON CLUSTER upload_pulse
AS {{db}}.upload_rollup_all_1m_local
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{{db}}/upload_rollup_all_1h_local', '{replica}')
PARTITION BY toYear(minute)
ORDER BY (minute, country, origin, event);

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_all_1h ON CLUSTER upload_pulse
AS {{db}}.upload_rollup_all_1h_local
ENGINE = Distributed(upload_pulse, {{db}}, upload_rollup_all_1h_local, cityHash64(minute));

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.upload_rollup_all_1h_mv ON CLUSTER upload_pulse
TO {{db}}.upload_rollup_all_1h_local
AS SELECT
    toStartOfHour(event_minute) AS minute,
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
