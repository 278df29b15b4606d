-- What the API reads so that no request scans the per-ticket tables (docs/metrics.md, "How the
-- API reads"):
ALTER TABLE ticket_lifecycle ADD COLUMN IF NOT EXISTS last_event_at DateTime64(3, 'UTC') DEFAULT 0 AFTER created_at;
ALTER TABLE ticket_facts ADD COLUMN IF NOT EXISTS last_event_at DateTime64(3, 'UTC') DEFAULT 0 AFTER created_at;
ALTER TABLE ticket_sla ADD COLUMN IF NOT EXISTS last_event_at DateTime64(3, 'UTC') DEFAULT 0 AFTER as_of;

-- 1. Hourly rollups per region (sorted by tenant, then hour: every read is a range of hours),
--    materialised periodically from the per-ticket tables by
--    transforms/backlog/materialise.ts (a materialized view cannot follow per-ticket rows that are
--    replaced), for every closed hour before the tenant's watermark in rollup_watermark.
-- 2. "Recent" copies of the per-ticket tables, filled by materialized views with the rows of
--    tickets that had an event in the last day (last_event_at), emptied by TTL. A figure at or after the watermark can
--    only come from a ticket with an event at or after it, hence from a row stored after it, so the
--    API adds the open edge from these small tables instead of the whole history.
-- 3. "Open" copies (ReplacingMergeTree with is_deleted): only tickets still open / SLA clock still
--    running, for the at-risk list and pending handovers. Closed rows are removed by the rollup job.
-- Why a day: the API uses the rollups only while the watermark is at most 6 hours behind
-- (api/rollups.ts), and a row whose newest event is older than a day cannot hold anything at or
-- after the watermark; nor can an older version of it. So a backfill of old history, or the SLA
-- sweep re-evaluating old open tickets, does not fill the recent copies.
-- A later migration that adds a column to ticket_lifecycle, ticket_facts or ticket_sla must add it
-- to their copies here as well (the views insert the source's columns by name).

CREATE TABLE IF NOT EXISTS ticket_lifecycle_recent AS ticket_lifecycle
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, ticket_id)
TTL toDateTime(stored_at) + INTERVAL 2 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS ticket_lifecycle_recent_mv TO ticket_lifecycle_recent
AS SELECT * FROM ticket_lifecycle WHERE last_event_at >= now64(3) - INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ticket_facts_recent AS ticket_facts
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, ticket_id)
TTL toDateTime(stored_at) + INTERVAL 2 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS ticket_facts_recent_mv TO ticket_facts_recent
AS SELECT * FROM ticket_facts WHERE last_event_at >= now64(3) - INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ticket_sla_recent AS ticket_sla
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, ticket_id)
TTL toDateTime(stored_at) + INTERVAL 2 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS ticket_sla_recent_mv TO ticket_sla_recent
AS SELECT * FROM ticket_sla WHERE last_event_at >= now64(3) - INTERVAL 1 DAY;

-- Created empty, then the views, then filled from the current state: a row stored in between is
-- caught by the view, and a second copy of one is harmless (the highest version wins).
CREATE TABLE IF NOT EXISTS ticket_facts_open
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (tenant, ticket_id)
SETTINGS allow_experimental_replacing_merge_with_cleanup = 1
AS SELECT *, toUInt8(0) AS is_deleted FROM ticket_facts WHERE 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS ticket_facts_open_mv TO ticket_facts_open
AS SELECT *, toUInt8(is_open = 0) AS is_deleted FROM ticket_facts;

INSERT INTO ticket_facts_open SELECT *, toUInt8(0) AS is_deleted FROM ticket_facts FINAL WHERE is_open = 1;

CREATE TABLE IF NOT EXISTS ticket_sla_open
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (tenant, ticket_id)
SETTINGS allow_experimental_replacing_merge_with_cleanup = 1
AS SELECT *, toUInt8(0) AS is_deleted FROM ticket_sla WHERE 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS ticket_sla_open_mv TO ticket_sla_open
AS SELECT *, toUInt8(stopped) AS is_deleted FROM ticket_sla;

INSERT INTO ticket_sla_open SELECT *, toUInt8(0) AS is_deleted FROM ticket_sla FINAL WHERE stopped = 0;

-- Backlog per region at each closed hour's end, with the hour's inflow and outflow (backlog.sql's
-- definitions). Rows for every region with a period overlapping a recomputed range, 0 included.
CREATE TABLE IF NOT EXISTS backlog_region_hourly
(
    tenant  LowCardinality(String),
    region  LowCardinality(String),
    hour    DateTime('UTC'),
    backlog Int64,
    inflow  UInt64,
    outflow UInt64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, region);

-- Handovers made in each hour per region pair (handovers.sql's definitions); the picked-up waits
-- are kept as arrays so percentiles over any run of hours stay exact.
CREATE TABLE IF NOT EXISTS handovers_hourly
(
    tenant          LowCardinality(String),
    from_region     LowCardinality(String),
    to_region       LowCardinality(String),
    hour            DateTime('UTC'),
    handovers       UInt64,
    ping_pong       UInt64,
    picked_up       UInt64,
    handed_on       UInt64,
    ended           UInt64,
    wall_seconds     Array(Float64),
    business_seconds Array(Float64),
    seam_idle_seconds Float64,
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, from_region, to_region);

-- Tickets first resolved in each hour per owning region at resolution (escalations.sql).
CREATE TABLE IF NOT EXISTS escalations_hourly
(
    tenant                 LowCardinality(String),
    region                 LowCardinality(String),
    hour                   DateTime('UTC'),
    resolved               UInt64,
    escalated_tickets      UInt64,
    reopened_tickets       UInt64,
    first_team_tickets     UInt64,
    tier_escalations       UInt64,
    functional_escalations UInt64,
    management_escalations UInt64,
    version                UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, region);

-- Resolution SLA outcomes of the tickets whose clock stopped met or breached in each hour, per
-- owning region and priority at resolution (sla-outcomes.sql).
CREATE TABLE IF NOT EXISTS sla_hourly
(
    tenant            LowCardinality(String),
    region            LowCardinality(String),
    priority          LowCardinality(String),
    hour              DateTime('UTC'),
    resolved          UInt64,
    met               UInt64,
    breached          UInt64,
    response_breached UInt64,
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, region, priority);

-- Resolution-clock seconds each owning team consumed on those tickets (sla-consumption.sql), per
-- ticket priority too so that the priority filter can be answered. Seconds are sums of whole
-- milliseconds, so adding hours up in any order gives the live figure exactly.
CREATE TABLE IF NOT EXISTS sla_team_hourly
(
    tenant           LowCardinality(String),
    team             LowCardinality(String),
    region           LowCardinality(String),
    priority         LowCardinality(String),
    hour             DateTime('UTC'),
    tickets          UInt64,
    breached_tickets UInt64,
    elapsed_seconds  Float64,
    paused_seconds   Float64,
    version          UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, team, region, priority);

-- The resolution business seconds of those tickets per team and priority at resolution: what the
-- at-risk prediction compares an open ticket with (sla-at-risk.sql). With each, the instant its
-- clock stopped, in that order: the 28 days before an instant start inside an hour in general,
-- and that hour's row is split by it.
CREATE TABLE IF NOT EXISTS sla_durations_hourly
(
    tenant              LowCardinality(String),
    team                LowCardinality(String),
    priority            LowCardinality(String),
    hour                DateTime('UTC'),
    res_stopped_at      Array(DateTime64(3, 'UTC')),
    res_elapsed_seconds Array(Float64),
    version             UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, team, priority);

-- Per tenant: hours before materialised_until are in the region rollups; markers of backlog_dirty
-- written at or after dirty_since have not been consumed by them yet (server clock).
CREATE TABLE IF NOT EXISTS rollup_watermark
(
    tenant             LowCardinality(String),
    materialised_until DateTime('UTC'),
    dirty_since        DateTime64(3, 'UTC'),
    ran_at             DateTime64(3, 'UTC') DEFAULT now64(3),
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY tenant;
