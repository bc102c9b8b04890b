-- Ingest: every server consumes the curated topic in one consumer group (clickhouse-ingest by
-- default; partitions spread over the servers) and its materialized view inserts through
-- upload_events, which routes each row to its shard. The {{...}} placeholders are filled in by
-- the migration runner (clickhouse-ddl/migrate.ts).

CREATE TABLE IF NOT EXISTS {{db}}.curated_events_queue ON CLUSTER upload_pulse
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
ENGINE = Kafka
SETTINGS
    kafka_broker_list = '{{kafka_brokers}}',
    kafka_topic_list = '{{curated_topic}}',
    kafka_group_name = '{{ingest_group}}',
    kafka_format = 'JSONEachRow',
    kafka_num_consumers = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.curated_events_mv ON CLUSTER upload_pulse
TO {{db}}.upload_events
AS SELECT * FROM {{db}}.curated_events_queue;
