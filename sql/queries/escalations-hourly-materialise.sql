-- Recomputes escalations_hourly for one tenant, with escalations-by-period.sql's definitions: per
-- region and team owning the ticket at its first resolution, customer, priority (the ticket's
-- current one, as the live query filters it) and hour of that resolution. Every closed hour before
-- {to} is computed, not only [{from}, {to}): a later event changes the hour of an earlier
-- resolution (a reopen after it, an escalation after a reopen) or its priority (a priority change),
-- however long before, and the tenant's rows are read in full anyway (the sort key has no
-- resolution time). Only rows (region, team, customer, priority and hour) that differ from what is
-- stored are written, and a stored row whose key no longer has a resolution gets an explicit 0 row,
-- so a missing row always means 0. Each row keeps its resolutions' instants within the hour and
-- their figures (`resolutions`, 0022_escalation_instants.sql), sorted, for the hours a request's
-- edges split.
INSERT INTO escalations_hourly (tenant, region, team, customer, priority, hour, resolved, escalated_tickets,
    reopened_tickets, first_team_tickets, tier_escalations, functional_escalations, management_escalations,
    resolutions, version)
WITH
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    fresh AS
    (
        SELECT
            toString(resolved_region) AS region,
            toString(resolved_team) AS team,
            toString(customer) AS customer,
            toString(priority) AS priority,
            toDateTime(toStartOfHour(assumeNotNull(resolved_at)), 'UTC') AS hour,
            toUInt64(count()) AS n_resolved,
            toUInt64(countIf(escalated = 1)) AS n_escalated,
            toUInt64(countIf(reopened_after_resolution = 1)) AS n_reopened,
            toUInt64(countIf(resolved_by_first_team = 1)) AS n_first_team,
            toUInt64(sum(arrayCount(k -> k = 'tier', es_kind))) AS n_tier,
            toUInt64(sum(arrayCount(k -> k = 'functional', es_kind))) AS n_functional,
            toUInt64(sum(arrayCount(k -> k = 'management', es_kind))) AS n_management,
            arraySort(groupArray((
                toUInt32(toUnixTimestamp64Milli(assumeNotNull(resolved_at)) % 3600000),
                toUInt8(escalated = 1),
                toUInt8(reopened_after_resolution = 1),
                toUInt8(resolved_by_first_team = 1),
                toUInt16(arrayCount(k -> k = 'tier', es_kind)),
                toUInt16(arrayCount(k -> k = 'functional', es_kind)),
                toUInt16(arrayCount(k -> k = 'management', es_kind))))) AS instants
        FROM ticket_facts FINAL
        WHERE tenant = {tenant:String}
          AND resolved_at IS NOT NULL
          AND resolved_at < to_ts
        GROUP BY region, team, customer, priority, hour
    ),
    stored AS
    (
        SELECT
            toString(region) AS region,
            toString(team) AS team,
            toString(customer) AS customer,
            toString(priority) AS priority,
            hour,
            resolved AS n_resolved,
            escalated_tickets AS n_escalated,
            reopened_tickets AS n_reopened,
            first_team_tickets AS n_first_team,
            tier_escalations AS n_tier,
            functional_escalations AS n_functional,
            management_escalations AS n_management,
            resolutions AS instants
        FROM escalations_hourly FINAL
        WHERE tenant = {tenant:String} AND hour < toDateTime(to_ts)
    )
SELECT {tenant:String}, f.region, f.team, f.customer, f.priority, f.hour, f.n_resolved, f.n_escalated,
    f.n_reopened, f.n_first_team, f.n_tier, f.n_functional, f.n_management, f.instants, {version:UInt64}
FROM fresh AS f
LEFT JOIN stored AS s
    ON s.region = f.region AND s.team = f.team AND s.customer = f.customer AND s.priority = f.priority
   AND s.hour = f.hour
WHERE (f.n_resolved, f.n_escalated, f.n_reopened, f.n_first_team, f.n_tier, f.n_functional, f.n_management, f.instants)
   != (s.n_resolved, s.n_escalated, s.n_reopened, s.n_first_team, s.n_tier, s.n_functional, s.n_management, s.instants)
UNION ALL
SELECT {tenant:String}, region, team, customer, priority, hour, 0, 0, 0, 0, 0, 0, 0, [], {version:UInt64}
FROM stored
WHERE n_resolved != 0
  AND (region, team, customer, priority, hour) NOT IN (SELECT region, team, customer, priority, hour FROM fresh)
