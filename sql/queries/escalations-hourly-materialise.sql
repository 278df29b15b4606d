-- Recomputes escalations_hourly for one tenant and the hours [from, to) from ticket_facts FINAL,
-- with escalations-by-period.sql's definitions: per region owning the ticket at its first
-- resolution and hour of that resolution. An hour that had figures stored and has none now gets an
-- explicit 0 row, so a replaced hour never keeps stale figures.
INSERT INTO escalations_hourly (tenant, region, hour, resolved, escalated_tickets, reopened_tickets,
    first_team_tickets, tier_escalations, functional_escalations, management_escalations, version)
WITH
    toDateTime64({from:DateTime('UTC')}, 3, 'UTC') AS from_ts,
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    fresh AS
    (
        SELECT
            toString(resolved_region) AS region,
            toDateTime(toStartOfHour(assumeNotNull(resolved_at)), 'UTC') AS hour,
            toUInt64(count()) AS resolved,
            toUInt64(countIf(escalated = 1)) AS escalated_tickets,
            toUInt64(countIf(reopened_after_resolution = 1)) AS reopened_tickets,
            toUInt64(countIf(resolved_by_first_team = 1)) AS first_team_tickets,
            toUInt64(sum(arrayCount(k -> k = 'tier', es_kind))) AS tier_escalations,
            toUInt64(sum(arrayCount(k -> k = 'functional', es_kind))) AS functional_escalations,
            toUInt64(sum(arrayCount(k -> k = 'management', es_kind))) AS management_escalations
        FROM ticket_facts FINAL
        WHERE tenant = {tenant:String}
          AND resolved_at IS NOT NULL
          AND resolved_at >= from_ts
          AND resolved_at < to_ts
        GROUP BY region, hour
    ),
    stale AS
    (
        SELECT toString(region) AS region, hour
        FROM escalations_hourly FINAL
        WHERE tenant = {tenant:String} AND hour >= toDateTime(from_ts) AND hour < toDateTime(to_ts) AND resolved != 0
    )
SELECT {tenant:String}, region, hour, resolved, escalated_tickets, reopened_tickets, first_team_tickets,
    tier_escalations, functional_escalations, management_escalations, {version:UInt64}
FROM fresh
UNION ALL
SELECT {tenant:String}, region, hour, 0, 0, 0, 0, 0, 0, 0, {version:UInt64}
FROM stale
WHERE (region, hour) NOT IN (SELECT region, hour FROM fresh)
