-- Weekly review: tickets first resolved in the previous (week 0) and the current week (week 1) of
-- {weeks} (as review-handovers.sql) in the region that owned them when resolved, and of those the
-- escalated, the reopened after resolution and the resolved by their first team (escalations.sql's
-- definitions: a closure of an open ticket counts as its resolution, a cancellation does not).
-- Empty {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks
SELECT
    toUInt8(assumeNotNull(resolved_at) >= weeks[2]) AS week,
    toUInt64(count()) AS resolved,
    toUInt64(countIf(escalated = 1)) AS escalated_tickets,
    toUInt64(countIf(reopened_after_resolution = 1)) AS reopened_tickets,
    toUInt64(countIf(resolved_by_first_team = 1)) AS first_team_tickets
FROM ticket_facts FINAL
WHERE resolved_at IS NOT NULL
  AND resolved_at >= weeks[1]
  AND resolved_at < weeks[3]
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR resolved_region = {region:String})
GROUP BY week
ORDER BY week
