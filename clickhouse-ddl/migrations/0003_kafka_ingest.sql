-- Ingest (0006 moves it to the ingest servers): every server consumes the curated topic in one
-- consumer group (clickhouse-ingest by default; partitions spread over the servers) and its
-- materialized view inserts through upload_events, which routes each row to its shard. The {{...}} placeholders are filled in by
-- the migration runner (clickhouse-ddl/migrate.ts).

-- Same columns as the raw table: the curated rows are its rows.
CREATE TABLE IF NOT EXISTS {{db}}.curated_events_queue ON CLUSTER upload_pulse
AS {{db}}.upload_events_local
ENGINE = Kafka
SETTINGS
    kafka_broker_list = '{{kafka_brokers}}',
    kafka_topic_list = '{{curated_topic}}',
    kafka_group_name = '{{ingest_group}}',
    kafka_format = 'JSONEachRow',
    kafka_num_consumers = 1,
    -- 18.16 flushes a block to the views only when it is full or the topic goes quiet
    -- (stream_flush_interval_ms does not cut a steady stream): small blocks keep a busy
    -- stream queryable within seconds, at the cost of more, smaller inserts.
    kafka_max_block_size = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.curated_events_mv ON CLUSTER upload_pulse
TO {{db}}.upload_events
AS SELECT * FROM {{db}}.curated_events_queue;
