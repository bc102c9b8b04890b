-- Control charts, written by the anomaly worker's leader (consumers/anomaly/): every closed window's
-- statistics per dimension (what a new leader rebuilds its baselines from), every chart point with
-- its centre line and limits (what dashboards draw), and every breach (what people are paged about).
-- Replacing engines keyed by the window make a replayed or re-elected window rewrite, not add.
-- `stream` names the raw topic charted, so several pipelines (or test runs) share the tables.
-- Small tables: sharded by dimension only to keep one layout for every table.

CREATE TABLE IF NOT EXISTS {{db}}.chart_windows_local ON CLUSTER upload_pulse
(
    stream String,
    dimension String,
    window_start DateTime,
    window_seconds UInt32,
    events UInt64,
    attempts UInt64,
    failures UInt64,
    latency_count UInt64,
    latency_sum Float64,
    latency_sumsq Float64,
    latency_p95 Nullable(Float64),
    latency_p99 Nullable(Float64),
    in_control UInt8,
    written_at DateTime DEFAULT now()
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{{db}}/chart_windows_local', '{replica}', written_at)
PARTITION BY toYYYYMM(window_start)
ORDER BY (stream, dimension, window_start);

CREATE TABLE IF NOT EXISTS {{db}}.chart_windows ON CLUSTER upload_pulse
AS {{db}}.chart_windows_local
ENGINE = Distributed(upload_pulse, {{db}}, chart_windows_local, cityHash64(dimension));

CREATE TABLE IF NOT EXISTS {{db}}.chart_points_local ON CLUSTER upload_pulse
(
    stream String,
    chart String,
    dimension String,
    window_start DateTime,
    value Float64,
    n UInt64,
    center Nullable(Float64),
    ucl Nullable(Float64),
    lcl Nullable(Float64),
    sigma Nullable(Float64),
    rules Array(String),
    written_at DateTime DEFAULT now()
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{{db}}/chart_points_local', '{replica}', written_at)
PARTITION BY toYYYYMM(window_start)
ORDER BY (stream, chart, dimension, window_start);

CREATE TABLE IF NOT EXISTS {{db}}.chart_points ON CLUSTER upload_pulse
AS {{db}}.chart_points_local
ENGINE = Distributed(upload_pulse, {{db}}, chart_points_local, cityHash64(dimension));

CREATE TABLE IF NOT EXISTS {{db}}.anomalies_local ON CLUSTER upload_pulse
(
    stream String,
    anomaly_id String,
    chart String,
    dimension String,
    window_start DateTime,
    window_end DateTime,
    value Float64,
    center Float64,
    ucl Float64,
    lcl Float64,
    p_value Nullable(Float64),
    rule String,
    severity Enum8('ticket' = 1, 'page' = 2),
    detected_at DateTime DEFAULT now()
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{{db}}/anomalies_local', '{replica}', detected_at)
PARTITION BY toYYYYMM(window_start)
ORDER BY (stream, chart, dimension, window_start, rule);

CREATE TABLE IF NOT EXISTS {{db}}.anomalies ON CLUSTER upload_pulse
AS {{db}}.anomalies_local
ENGINE = Distributed(upload_pulse, {{db}}, anomalies_local, cityHash64(dimension));
