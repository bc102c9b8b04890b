-- Pre-aggregations for control charts: per minute and per hour, by seller, country, origin and
-- event type. Materialized views on upload_events_local feed them on the replica that takes each
-- insert; Replicated engines copy the result to the twin, so rollups live on the shard of their rows.
-- Latency columns cover creating events only (is_created = 1): sum and sum of squares give the
-- window mean and sigma; the quantiles state gives p50/p90/p95/p99.

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_1m_local ON CLUSTER upload_pulse
(
    minute DateTime,
    seller_id UInt64,
    country FixedString(2),
    origin String,
    event Enum8('SAVE' = 1, 'UPDATE' = 2, 'ERROR' = 3),
    events AggregateFunction(count),
    errors AggregateFunction(countIf, UInt8),
    attempts AggregateFunction(uniqExact, String),
    latency_n AggregateFunction(countIf, UInt8),
    latency_sum AggregateFunction(sumIf, Float64, UInt8),
    latency_sq AggregateFunction(sumIf, Float64, UInt8),
    latency_q AggregateFunction(quantilesIf(0.5, 0.9, 0.95, 0.99), Float64, UInt8)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{{db}}/upload_rollup_1m_local', '{replica}')
PARTITION BY toYYYYMM(minute)
ORDER BY (seller_id, minute, country, origin, event);

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_1m ON CLUSTER upload_pulse
AS {{db}}.upload_rollup_1m_local
ENGINE = Distributed(upload_pulse, {{db}}, upload_rollup_1m_local, cityHash64(seller_id, minute));

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.upload_rollup_1m_mv ON CLUSTER upload_pulse
TO {{db}}.upload_rollup_1m_local
AS SELECT
    event_minute AS minute,
    seller_id,
    country,
    origin,
    event,
    countState() AS events,
    countIfState(event = 'ERROR') AS errors,
    uniqExactState(attempt_id) AS attempts,
    countIfState(is_created = 1) AS latency_n,
    sumIfState(latency_ms, is_created = 1) AS latency_sum,
    sumIfState(latency_ms * latency_ms, is_created = 1) AS latency_sq,
    quantilesIfState(0.5, 0.9, 0.95, 0.99)(latency_ms, is_created = 1) AS latency_q
FROM {{db}}.upload_events_local
GROUP BY minute, seller_id, country, origin, event;

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_1h_local ON CLUSTER upload_pulse
AS {{db}}.upload_rollup_1m_local
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{{db}}/upload_rollup_1h_local', '{replica}')
PARTITION BY toYear(minute)
ORDER BY (seller_id, minute, country, origin, event);

CREATE TABLE IF NOT EXISTS {{db}}.upload_rollup_1h ON CLUSTER upload_pulse
AS {{db}}.upload_rollup_1h_local
ENGINE = Distributed(upload_pulse, {{db}}, upload_rollup_1h_local, cityHash64(seller_id, minute));

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.upload_rollup_1h_mv ON CLUSTER upload_pulse
TO {{db}}.upload_rollup_1h_local
AS SELECT
    toStartOfHour(event_minute) AS minute,
    seller_id,
    country,
    origin,
    event,
    countState() AS events,
    countIfState(event = 'ERROR') AS errors,
    uniqExactState(attempt_id) AS attempts,
    countIfState(is_created = 1) AS latency_n,
    sumIfState(latency_ms, is_created = 1) AS latency_sum,
    sumIfState(latency_ms * latency_ms, is_created = 1) AS latency_sq,
    quantilesIfState(0.5, 0.9, 0.95, 0.99)(latency_ms, is_created = 1) AS latency_q
FROM {{db}}.upload_events_local
GROUP BY minute, seller_id, country, origin, event;
