-- escalations-by-period.sql's answer from the region rollups (api/rollups.ts): tickets first
-- resolved before each tenant's watermark from escalations_hourly, at or after it from
-- ticket_facts_recent. An hour that lies wholly in one bucket is summed; an hour that an edge of
-- {edges} falls inside ({split_hours}: the hours of the edges that are not whole hours, such as a
-- `from` of now - 24 h or the midnights of Asia/Kolkata) is taken resolution by resolution, each at
-- its own instant (the row's `resolutions`, 0022_escalation_instants.sql), so any edges give live's
-- answer. {wm_tenants} / {wm_until} are the watermarks (a tenant missing has none; a watermark is a
-- whole hour, so an hour is either wholly before it or not). Filters: tenant, region, team (the
-- owner at resolution), customer, priority (the ticket's current one); empty means all.
WITH
    {edges:Array(DateTime64(3, 'UTC'))} AS edges,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    resolved AS
    (
        SELECT
            toDateTime64(hour, 3, 'UTC') AS at,
            resolved,
            escalated_tickets,
            reopened_tickets,
            first_team_tickets,
            tier_escalations,
            functional_escalations,
            management_escalations
        FROM escalations_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND ({team:String} = '' OR team = {team:String})
          AND ({customer:String} = '' OR customer = {customer:String})
          AND ({priority:String} = '' OR priority = {priority:String})
          AND hour >= edges[1]
          AND hour < edges[length(edges)]
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- section split
        UNION ALL
        SELECT
            toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(r.offset_ms) AS at,
            toUInt64(1),
            toUInt64(r.escalated),
            toUInt64(r.reopened),
            toUInt64(r.first_team),
            toUInt64(r.tier),
            toUInt64(r.functional),
            toUInt64(r.management)
        FROM escalations_hourly FINAL
        ARRAY JOIN resolutions AS r
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND ({team:String} = '' OR team = {team:String})
          AND ({customer:String} = '' OR customer = {customer:String})
          AND ({priority:String} = '' OR priority = {priority:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND at >= edges[1]
          AND at < edges[length(edges)]
        -- end section split
        UNION ALL
        SELECT
            assumeNotNull(resolved_at),
            toUInt64(1),
            toUInt64(escalated = 1),
            toUInt64(reopened_after_resolution = 1),
            toUInt64(resolved_by_first_team = 1),
            toUInt64(arrayCount(k -> k = 'tier', es_kind)),
            toUInt64(arrayCount(k -> k = 'functional', es_kind)),
            toUInt64(arrayCount(k -> k = 'management', es_kind))
        FROM ticket_facts_recent FINAL
        WHERE resolved_at IS NOT NULL
          AND resolved_at >= edges[1]
          AND resolved_at < edges[length(edges)]
          AND resolved_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR resolved_region = {region:String})
          AND ({team:String} = '' OR resolved_team = {team:String})
          AND ({customer:String} = '' OR customer = {customer:String})
          AND ({priority:String} = '' OR priority = {priority:String})
    )
SELECT
    toInt64(arrayCount(e -> e <= at, edges)) - 1 AS bucket,
    toUInt64(sum(resolved)) AS resolved,
    toUInt64(sum(escalated_tickets)) AS escalated_tickets,
    toUInt64(sum(reopened_tickets)) AS reopened_tickets,
    toUInt64(sum(first_team_tickets)) AS first_team_tickets,
    toUInt64(sum(tier_escalations)) AS tier_escalations,
    toUInt64(sum(functional_escalations)) AS functional_escalations,
    toUInt64(sum(management_escalations)) AS management_escalations
FROM resolved
GROUP BY bucket
HAVING resolved > 0
ORDER BY bucket
