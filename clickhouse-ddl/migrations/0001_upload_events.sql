-- Raw upload events, one year online. Each shard keeps its rows in a ReplicatedReplacingMergeTree
-- (duplicates of an event_key collapse at merge time); `upload_events` spreads writes and reads over shards.
--
-- Sharding key: event_key, a uniform 64-bit hash of the event's identity. Rows stay balanced even
-- though seller volume is Zipf-skewed (the largest seller alone is ~15% of traffic, so sharding by
-- seller could not stay within +/-10%), and every copy of one event lands on the same shard, where
-- ReplacingMergeTree can collapse it. Per-seller queries read all shards in parallel.
--
-- Ordering key (seller_id, event_minute, event_key): per-seller time ranges are contiguous ranges
-- of the primary index; event_key last makes the key unique per event for ReplacingMergeTree.

CREATE TABLE IF NOT EXISTS {{db}}.upload_events_local ON CLUSTER upload_pulse
(
    event_key UInt64,
    id UInt64,
    event Enum8('SAVE' = 1, 'UPDATE' = 2, 'ERROR' = 3),
    attempt_id String,
    is_created UInt8,
    origin String,
    up_ts UInt64,
    ts UInt64,
    country FixedString(2),
    seller_id UInt64,
    info String,
    media_count UInt16,
    media_bytes UInt64,
    latency_ms Float64,
    event_time DateTime,
    event_minute DateTime,
    event_date Date
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{{db}}/upload_events_local', '{replica}')
PARTITION BY toYYYYMM(event_date)
ORDER BY (seller_id, event_minute, event_key);

CREATE TABLE IF NOT EXISTS {{db}}.upload_events ON CLUSTER upload_pulse
AS {{db}}.upload_events_local
ENGINE = Distributed(upload_pulse, {{db}}, upload_events_local, event_key);
