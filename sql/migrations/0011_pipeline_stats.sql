-- Pipeline health in ClickHouse, so the Pipeline Health dashboard needs no datasource besides it.
--
-- pipeline_stats: written every PIPELINE_STATS_INTERVAL_SECONDS by transforms/pipeline-stats.ts, one
-- row per sample, consumer group, topic and partition. end_offset is the partition's high watermark,
-- committed_offset the group's next offset to read (-1: the group committed nothing there, so the
-- whole partition is its lag). Several transform instances each sample; readers take the max per
-- partition within a time bucket, so duplicate samples do not add up.
CREATE TABLE IF NOT EXISTS pipeline_stats
(
    sampled_at       DateTime64(3, 'UTC'),
    group_id         LowCardinality(String),
    topic            LowCardinality(String),
    partition        UInt32,
    end_offset       Int64,
    committed_offset Int64,
    lag              Int64
)
ENGINE = MergeTree
ORDER BY (group_id, topic, partition, sampled_at)
TTL toDateTime(sampled_at) + INTERVAL 30 DAY;

-- dead_letters: every record a transform sent to the dead-letter topic, inserted by the transform
-- before the batch's offsets are committed. The id is the record's position (topic/partition/offset),
-- so a redone batch inserts the same id again and the table still counts the record once
-- (FINAL or uniqExact(id)). reason_kind is the reason without its record-specific details, for
-- grouping; raw_preview is the start of the record (the whole record stays on the topic).
-- Dead letters of the ingest side (gateway, importers, pollers) are on the topic only.
CREATE TABLE IF NOT EXISTS dead_letters
(
    id               String,
    topic            LowCardinality(String),
    partition        UInt32,
    offset           Int64,
    family           LowCardinality(String),
    reason_kind      LowCardinality(String),
    reason           String,
    problems         String,
    raw_preview      String,
    raw_encoding     LowCardinality(String),
    dead_lettered_at DateTime64(3, 'UTC'),
    stored_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY id
TTL toDateTime(dead_lettered_at) + INTERVAL 90 DAY;
