-- Recomputes specialists_hourly for one tenant, with specialist-concentration.sql's definitions:
-- tickets first resolved per hour of that resolution, region owning the ticket then, category and
-- agent holding it then.
-- Every closed hour before {to} is computed, not only [{from}, {to}): a later event changes an
-- earlier resolution's hour, region or agent (a late assignment before it, a reopen moving a first
-- resolution nowhere), however long before, and the tenant's rows are read in full anyway (the sort
-- key has no resolution time). Only rows that differ from what is stored are written, and a stored
-- row that no longer has a resolution gets an explicit 0 row, so a missing row always means 0.
-- Each row keeps its resolutions' instants within the hour (resolved_offsets_ms,
-- 0028_specialist_instants.sql), for the hours a request's range splits.
INSERT INTO specialists_hourly (tenant, region, category, agent, hour, resolutions, resolved_offsets_ms, version)
WITH
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    fresh AS
    (
        SELECT
            toString(resolved_region) AS region,
            toString(category) AS category,
            resolved_agent AS agent,
            toDateTime(toStartOfHour(assumeNotNull(resolved_at)), 'UTC') AS hour,
            toUInt64(count()) AS n,
            arraySort(groupArray(toUInt32(toUnixTimestamp64Milli(assumeNotNull(resolved_at)) % 3600000))) AS offsets
        FROM ticket_facts FINAL
        WHERE tenant = {tenant:String}
          AND resolved_at IS NOT NULL
          AND resolved_at < to_ts
        GROUP BY region, category, agent, hour
    ),
    stored AS
    (
        SELECT toString(region) AS region, toString(category) AS category, agent, hour, resolutions AS n,
            resolved_offsets_ms AS offsets
        FROM specialists_hourly FINAL
        WHERE tenant = {tenant:String} AND hour < toDateTime(to_ts)
    )
SELECT {tenant:String}, f.region, f.category, f.agent, f.hour, f.n, f.offsets, {version:UInt64}
FROM fresh AS f
LEFT JOIN stored AS s ON s.region = f.region AND s.category = f.category AND s.agent = f.agent AND s.hour = f.hour
WHERE (f.n, f.offsets) != (s.n, s.offsets)
UNION ALL
SELECT {tenant:String}, region, category, agent, hour, 0, [], {version:UInt64}
FROM stored
WHERE n != 0
  AND (region, category, agent, hour) NOT IN (SELECT region, category, agent, hour FROM fresh)
