-- Ingest moves to the servers of cluster upload_pulse_ingest (server-config/clickhouse/topology-*.xml):
-- dedicated servers without a shard in the cluster topology, the one server in the single topology.
--
-- Why: 18.16's Kafka engine moves past a block whose insert failed. A server holding a shard writes
-- that shard's rows straight into its replicated table (prefer_localhost_replica = 0 does not change
-- that on 18.16), and while its ZooKeeper session is being renewed the table is read-only: the
-- zookeeper-kill fault lost 6,009 of 120,000 events that way. A server without a shard queues every
-- row of the Distributed insert on disk and sends it with retries until a replica accepts it.
-- Consumer-group offsets live in Kafka, so the recreated tables resume where the old ones stopped.

DROP TABLE IF EXISTS {{db}}.curated_events_mv ON CLUSTER upload_pulse;

DROP TABLE IF EXISTS {{db}}.curated_events_queue ON CLUSTER upload_pulse;

CREATE DATABASE IF NOT EXISTS {{db}} ON CLUSTER upload_pulse_ingest;

-- An ingest server has no upload_events_local to copy the structure from: its columns (0001).
CREATE TABLE IF NOT EXISTS {{db}}.upload_events ON CLUSTER upload_pulse_ingest
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
ENGINE = Distributed(upload_pulse, {{db}}, upload_events_local, event_key);

-- The settings of 0003, which explains them.
CREATE TABLE IF NOT EXISTS {{db}}.curated_events_queue ON CLUSTER upload_pulse_ingest
AS {{db}}.upload_events
ENGINE = Kafka
SETTINGS
    kafka_broker_list = '{{kafka_brokers}}',
    kafka_topic_list = '{{curated_topic}}',
    kafka_group_name = '{{ingest_group}}',
    kafka_format = 'JSONEachRow',
    kafka_num_consumers = 1,
    kafka_max_block_size = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.curated_events_mv ON CLUSTER upload_pulse_ingest
TO {{db}}.upload_events
AS SELECT * FROM {{db}}.curated_events_queue;
