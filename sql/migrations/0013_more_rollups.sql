-- More region rollups for the API (docs/metrics.md, "How the API reads"; the pattern of
-- 0012_api_rollups.sql).

-- Tickets first resolved in each hour per owning region, category and agent at resolution
-- (specialist-concentration.sql; agent '' when none was named). Materialised with the other region
-- rollups, under their watermark.
CREATE TABLE IF NOT EXISTS specialists_hourly
(
    tenant      LowCardinality(String),
    region      LowCardinality(String),
    category    LowCardinality(String),
    agent       String,
    hour        DateTime('UTC'),
    resolutions UInt64,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, region, category, agent);

-- The tenants' watermarks already cover hours this table has never held: fill every closed hour
-- now, so that the API never reads a watermarked hour missing here. A pass recomputes every closed
-- hour anyway and replaces any hour a ticket changed since (its version is higher).
INSERT INTO specialists_hourly (tenant, region, category, agent, hour, resolutions, version)
SELECT
    tenant,
    resolved_region,
    category,
    resolved_agent,
    toDateTime(toStartOfHour(assumeNotNull(resolved_at)), 'UTC') AS hour,
    toUInt64(count()),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_facts FINAL
WHERE resolved_at IS NOT NULL
  AND resolved_at < toStartOfHour(now64(3))
GROUP BY tenant, resolved_region, category, resolved_agent, hour;

-- Field jobs completed in each hour per region and customer (field-summary.sql): counts, the
-- durations whose percentiles the API reports, kept whole and sorted (NULLs left out, as the
-- percentiles do) so percentiles over any run of hours stay exact, access delay in whole
-- milliseconds so sums are exact in any order, and the planned-vs-actual ratios' sum (added in
-- sorted order, so a recomputed hour is the same) and count.
CREATE TABLE IF NOT EXISTS field_hourly
(
    tenant                   LowCardinality(String),
    region                   LowCardinality(String),
    customer                 LowCardinality(String),
    hour                     DateTime('UTC'),
    jobs                     UInt64,
    dispatch_latency_seconds Array(Float64),
    arrival_seconds          Array(Float64),
    parts_delay_seconds      Array(Float64),
    access_delay_ms          Int64,
    access_delayed           UInt64,
    jobs_with_parts          UInt64,
    parts_late               UInt64,
    parts_faulty             UInt64,
    first_time_fix           UInt64,
    revisited                UInt64,
    scope_changed            UInt64,
    ratio_sum                Float64,
    ratio_count              UInt64,
    version                  UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, region, customer);

-- The recent copy of field_job_facts, for the edge from the watermark on (as 0012's copies). The
-- job rows have no time of their latest event: a row is copied when its completion is within the
-- last day, and every later row of a job already copied is too (a reopen then replaces the
-- completed row here as well). A completion at or after a watermark, which is at most 6 hours old,
-- is stored within a day of it, so it is copied; an import of old jobs is not.
CREATE TABLE IF NOT EXISTS field_job_facts_recent AS field_job_facts
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, job_id)
TTL toDateTime(stored_at) + INTERVAL 2 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS field_job_facts_recent_mv TO field_job_facts_recent
AS SELECT * FROM field_job_facts
WHERE completed_at >= now64(3) - INTERVAL 1 DAY
   OR (tenant, job_id) IN (SELECT tenant, job_id FROM field_job_facts_recent);

INSERT INTO field_job_facts_recent SELECT * FROM field_job_facts FINAL
WHERE completed_at >= now64(3) - INTERVAL 1 DAY;

-- Filled now for every closed hour, as specialists_hourly above.
INSERT INTO field_hourly
SELECT
    tenant,
    region,
    customer,
    toDateTime(toStartOfHour(assumeNotNull(completed_at)), 'UTC') AS hour,
    toUInt64(count()),
    arraySort(groupArray(dispatch_latency_seconds)),
    arraySort(groupArray(arrival_seconds)),
    arraySort(groupArray(parts_delay_seconds)),
    sum(toInt64(round(access_delay_seconds * 1000))),
    toUInt64(countIf(access_delays > 0)),
    toUInt64(countIf(had_parts = 1)),
    toUInt64(countIf(parts_late = 1)),
    toUInt64(countIf(parts_faulty > 0)),
    toUInt64(countIf(first_time_fix = 1)),
    toUInt64(countIf(revisits > 0)),
    toUInt64(countIf(scope_changes > 0)),
    toFloat64(arraySum(arraySort(groupArray(if(planned_seconds > 0, actual_seconds / planned_seconds, NULL))))),
    toUInt64(countIf(planned_seconds > 0 AND actual_seconds IS NOT NULL)),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM field_job_facts FINAL
WHERE status = 'completed'
  AND completed_at < toStartOfHour(now64(3))
GROUP BY tenant, region, customer, hour;
