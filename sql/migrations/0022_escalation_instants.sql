-- The instant of each resolution within escalations_hourly's hour, with its figures, so that the
-- rollup answers a range or a period that starts or ends inside an hour (`from=now-24h`, the days
-- of a zone 30 or 45 minutes off UTC such as Asia/Kolkata) instead of the API reading ticket_facts
-- live: an hour an edge falls inside is split resolution by resolution
-- (sql/queries/escalations-by-period-rollup.sql), every other hour is summed as before. One tuple per
-- resolution of the row: milliseconds since the hour's start (resolved_at is DateTime64(3)), then the
-- ticket's escalated / reopened-after-resolution / resolved-by-first-team flags and its escalations
-- by kind, sorted, so that a row computed twice compares equal (escalations-hourly-materialise.sql).
ALTER TABLE escalations_hourly
    ADD COLUMN IF NOT EXISTS resolutions Array(Tuple(
        offset_ms UInt32, escalated UInt8, reopened UInt8, first_team UInt8,
        tier UInt16, functional UInt16, management UInt16)) AFTER management_escalations;

-- The rows stored so far have no instants: every closed hour is computed again here (as
-- 0019_escalation_priority.sql refilled this table), and a pass replaces any hour that changed since.
TRUNCATE TABLE escalations_hourly;

INSERT INTO escalations_hourly (tenant, region, team, customer, priority, hour, resolved, escalated_tickets,
    reopened_tickets, first_team_tickets, tier_escalations, functional_escalations, management_escalations,
    resolutions, version)
SELECT
    tenant,
    resolved_region,
    resolved_team,
    customer,
    priority,
    toDateTime(toStartOfHour(assumeNotNull(resolved_at)), 'UTC') AS hour,
    toUInt64(count()),
    toUInt64(countIf(escalated = 1)),
    toUInt64(countIf(reopened_after_resolution = 1)),
    toUInt64(countIf(resolved_by_first_team = 1)),
    toUInt64(sum(arrayCount(k -> k = 'tier', es_kind))),
    toUInt64(sum(arrayCount(k -> k = 'functional', es_kind))),
    toUInt64(sum(arrayCount(k -> k = 'management', es_kind))),
    arraySort(groupArray((
        toUInt32(toUnixTimestamp64Milli(assumeNotNull(resolved_at)) % 3600000),
        toUInt8(escalated = 1),
        toUInt8(reopened_after_resolution = 1),
        toUInt8(resolved_by_first_team = 1),
        toUInt16(arrayCount(k -> k = 'tier', es_kind)),
        toUInt16(arrayCount(k -> k = 'functional', es_kind)),
        toUInt16(arrayCount(k -> k = 'management', es_kind))))),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_facts FINAL
WHERE resolved_at IS NOT NULL
  AND resolved_at < toStartOfHour(now64(3))
GROUP BY tenant, resolved_region, resolved_team, customer, priority, hour;
