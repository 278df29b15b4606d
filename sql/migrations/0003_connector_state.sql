-- Generic connector state: a poller's cursor, the last-seen snapshot of each record it diffs, ...
-- One row per (connector, tenant, key); a write with a higher version replaces the older one, and
-- readers take argMax(value, version) so they never depend on when parts merge.
CREATE TABLE IF NOT EXISTS connector_state
(
    connector  LowCardinality(String),
    tenant     LowCardinality(String),
    key        String,
    version    UInt64,
    value      String CODEC(ZSTD(3)),
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (connector, tenant, key);
