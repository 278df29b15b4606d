-- review-resolutions.sql's answer from the region rollups (api/rollups.ts): tickets first resolved
-- before each tenant's watermark from escalations_hourly, at or after it from ticket_facts_recent
-- (escalations-by-period-rollup.sql). An hour that a bound of {weeks} falls inside ({split_hours}:
-- the midnights of a zone 30 or 45 minutes off UTC) is taken resolution by resolution at its
-- instant (the row's `resolutions`), every other hour summed. {wm_tenants} / {wm_until} are the
-- watermarks (a tenant missing has none). Empty {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    resolved AS
    (
        SELECT toDateTime64(hour, 3, 'UTC') AS at, resolved, escalated_tickets, reopened_tickets, first_team_tickets
        FROM escalations_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= weeks[1]
          AND hour < weeks[3]
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- section split
        UNION ALL
        SELECT
            toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(r.offset_ms) AS at,
            toUInt64(1),
            toUInt64(r.escalated),
            toUInt64(r.reopened),
            toUInt64(r.first_team)
        FROM escalations_hourly FINAL
        ARRAY JOIN resolutions AS r
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND at >= weeks[1]
          AND at < weeks[3]
        -- end section split
        UNION ALL
        SELECT
            assumeNotNull(resolved_at),
            toUInt64(1),
            toUInt64(escalated = 1),
            toUInt64(reopened_after_resolution = 1),
            toUInt64(resolved_by_first_team = 1)
        FROM ticket_facts_recent FINAL
        WHERE resolved_at IS NOT NULL
          AND resolved_at >= weeks[1]
          AND resolved_at < weeks[3]
          AND resolved_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR resolved_region = {region:String})
    )
SELECT
    toUInt8(at >= weeks[2]) AS week,
    toUInt64(sum(resolved)) AS resolved,
    toUInt64(sum(escalated_tickets)) AS escalated_tickets,
    toUInt64(sum(reopened_tickets)) AS reopened_tickets,
    toUInt64(sum(first_team_tickets)) AS first_team_tickets
FROM resolved
GROUP BY week
HAVING resolved > 0
ORDER BY week
