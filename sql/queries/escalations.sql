-- Escalation, reopen and first-team rates per region (docs/metrics.md, "Escalations") over the
-- tickets first resolved in [{from}, {to}) (a closure of an open ticket counts as a resolution;
-- a cancellation does not), grouped by the region that owned the ticket when it was resolved:
-- - escalation rate = resolved tickets escalated at least once / resolved tickets;
-- - reopen rate = resolved tickets reopened after their resolution / resolved tickets;
-- - first-team rate = resolved tickets with no handover before the resolution / resolved tickets;
-- plus the escalations of those tickets by kind. Empty {tenant} / {region} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts
SELECT
    resolved_region AS region,
    toUInt64(count()) AS resolved,
    toUInt64(countIf(escalated = 1)) AS escalated_tickets,
    escalated_tickets / resolved AS escalation_rate,
    toUInt64(countIf(reopened_after_resolution = 1)) AS reopened_tickets,
    reopened_tickets / resolved AS reopen_rate,
    toUInt64(countIf(resolved_by_first_team = 1)) AS first_team_tickets,
    first_team_tickets / resolved AS first_team_rate,
    toUInt64(sum(arrayCount(k -> k = 'tier', es_kind))) AS tier_escalations,
    toUInt64(sum(arrayCount(k -> k = 'functional', es_kind))) AS functional_escalations,
    toUInt64(sum(arrayCount(k -> k = 'management', es_kind))) AS management_escalations
FROM ticket_facts FINAL
WHERE resolved_at IS NOT NULL
  AND resolved_at >= from_ts
  AND resolved_at < to_ts
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR resolved_region = {region:String})
GROUP BY resolved_region
ORDER BY resolved_region
