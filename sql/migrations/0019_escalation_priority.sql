-- The escalation rates of one priority from the rollups (api/routes/escalations.ts): escalations_hourly
-- per ticket priority too (the ticket's current priority, ticket_facts.priority), as
-- escalations-by-period.sql filters it. Adding the column to the end of the sort key keeps every
-- read of the table as it was (they sum over the key).
ALTER TABLE escalations_hourly
    ADD COLUMN IF NOT EXISTS priority LowCardinality(String) AFTER customer,
    MODIFY ORDER BY (tenant, hour, region, team, customer, priority);

-- The rows stored so far have no priority: every closed hour is computed again here (as
-- 0016_escalation_slices.sql refilled this table), and a pass replaces any hour that changed since.
TRUNCATE TABLE escalations_hourly;

INSERT INTO escalations_hourly (tenant, region, team, customer, priority, hour, resolved, escalated_tickets,
    reopened_tickets, first_team_tickets, tier_escalations, functional_escalations, management_escalations, version)
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
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_facts FINAL
WHERE resolved_at IS NOT NULL
  AND resolved_at < toStartOfHour(now64(3))
GROUP BY tenant, resolved_region, resolved_team, customer, priority, hour;
