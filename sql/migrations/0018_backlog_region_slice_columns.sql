-- backlog_region_hourly sums every slice; with backlog_hourly's slice columns (always empty here)
-- one read query serves both rollups (sql/queries/backlog-region-rollup.sql's {source}).
ALTER TABLE backlog_region_hourly
    ADD COLUMN IF NOT EXISTS customer LowCardinality(String) AFTER region,
    ADD COLUMN IF NOT EXISTS team LowCardinality(String) AFTER customer,
    ADD COLUMN IF NOT EXISTS priority LowCardinality(String) AFTER team;
