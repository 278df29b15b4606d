-- The instant of each resolution within specialists_hourly's hour, so that
-- /v1/metrics/specialists answers a range that starts or ends inside an hour (`from=now-24h`) from
-- the rollup instead of reading ticket_facts live: in an hour the range's ends fall inside, only
-- the resolutions inside the range count (sql/queries/specialist-concentration-rollup.sql).
-- Milliseconds since the hour's start (resolved_at is DateTime64(3)), sorted, so that a row
-- computed twice compares equal (specialists-hourly-materialise.sql).
ALTER TABLE specialists_hourly
    ADD COLUMN IF NOT EXISTS resolved_offsets_ms Array(UInt32) AFTER resolutions;

-- The rows stored so far have no instants: every closed hour is computed again here, with the
-- materialise query's definitions, and a pass replaces any hour that changed since.
TRUNCATE TABLE specialists_hourly;

INSERT INTO specialists_hourly (tenant, region, category, agent, hour, resolutions, resolved_offsets_ms, version)
SELECT
    tenant,
    resolved_region,
    category,
    resolved_agent,
    toDateTime(toStartOfHour(assumeNotNull(resolved_at)), 'UTC') AS hour,
    toUInt64(count()),
    arraySort(groupArray(toUInt32(toUnixTimestamp64Milli(assumeNotNull(resolved_at)) % 3600000))),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_facts FINAL
WHERE resolved_at IS NOT NULL
  AND resolved_at < toStartOfHour(now64(3))
GROUP BY tenant, resolved_region, category, resolved_agent, hour;
