-- Hourly backlog rollup per slice (customer, region, team, priority), materialised periodically
-- from ticket_lifecycle by transforms/backlog/materialise.ts (a materialized view cannot follow
-- the lifecycle rows, which are replaced). One row per slice and closed hour: the backlog at the
-- hour's end and its inflow / outflow, as sql/queries/backlog.sql defines them. A later run
-- replaces an hour (version = run time in ms). A recomputed range carries explicit 0 rows for
-- every slice that had a non-zero figure in it, so a missing row always means 0.
CREATE TABLE IF NOT EXISTS backlog_hourly
(
    tenant   LowCardinality(String),
    customer LowCardinality(String),
    region   LowCardinality(String),
    team     LowCardinality(String),
    priority LowCardinality(String),
    hour     DateTime('UTC'),
    backlog  Int64,
    inflow   UInt64,
    outflow  UInt64,
    version  UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, region, team, priority, customer, hour);

-- Written by the lifecycle transform before it stores a batch: the earliest hour the batch's events
-- can change per tenant. A marker without data (crash in between) only causes an extra recompute.
CREATE TABLE IF NOT EXISTS backlog_dirty
(
    tenant    LowCardinality(String),
    from_hour DateTime('UTC'),
    marked_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (tenant, marked_at)
TTL toDateTime(marked_at) + INTERVAL 30 DAY;

-- Per tenant: hours before materialised_until are in backlog_hourly; markers written at or after
-- dirty_since have not been consumed yet (both in the server's clock).
CREATE TABLE IF NOT EXISTS backlog_watermark
(
    tenant             LowCardinality(String),
    materialised_until DateTime('UTC'),
    dirty_since        DateTime64(3, 'UTC'),
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY tenant;
