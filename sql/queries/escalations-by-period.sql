-- Escalation, reopen and first-team rates per period (docs/metrics.md, "Escalations") over the
-- tickets first resolved in each bucket [edges[i], edges[i+1]) of {edges} (ascending instants; the
-- API computes them in the caller's time zone, so a day starts at local midnight and DST is
-- followed). A closure of an open ticket counts as a resolution, a cancellation does not. Rates:
-- escalated at least once / resolved, reopened after the resolution / resolved, resolved with no
-- handover before it / resolved; plus those tickets' escalations by kind. {region} / {team} are the
-- owner at resolution, {priority} the ticket's current one. bucket is 0-based; buckets without
-- resolutions have no row. Empty filters mean all.
WITH
    {edges:Array(DateTime64(3, 'UTC'))} AS edges,
    resolved AS
    (
        SELECT
            toInt64(arrayCount(e -> e <= assumeNotNull(resolved_at), edges)) - 1 AS bucket,
            escalated,
            reopened_after_resolution,
            resolved_by_first_team,
            es_kind
        FROM ticket_facts FINAL
        WHERE resolved_at IS NOT NULL
          AND resolved_at >= edges[1]
          AND resolved_at < edges[length(edges)]
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR resolved_region = {region:String})
          AND ({team:String} = '' OR resolved_team = {team:String})
          AND ({customer:String} = '' OR customer = {customer:String})
          AND ({priority:String} = '' OR priority = {priority:String})
    )
SELECT
    bucket,
    toUInt64(count()) AS resolved,
    toUInt64(countIf(escalated = 1)) AS escalated_tickets,
    toUInt64(countIf(reopened_after_resolution = 1)) AS reopened_tickets,
    toUInt64(countIf(resolved_by_first_team = 1)) AS first_team_tickets,
    toUInt64(sum(arrayCount(k -> k = 'tier', es_kind))) AS tier_escalations,
    toUInt64(sum(arrayCount(k -> k = 'functional', es_kind))) AS functional_escalations,
    toUInt64(sum(arrayCount(k -> k = 'management', es_kind))) AS management_escalations
FROM resolved
GROUP BY bucket
ORDER BY bucket
