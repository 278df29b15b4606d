-- review-sla.sql's answer from the region rollups (api/rollups.ts). Before each tenant's watermark:
-- the stopped clocks from sla_hourly, the breaches from sla_breaches_hourly. At or after it, the
-- edge: clocks that stopped then from ticket_sla_recent (a stop is an event, so the row is
-- recent), and clocks that ran out then from ticket_sla_recent and ticket_sla_open together. The
-- SLA sweep records the breach of an open ticket with no event, so its row may be too old for the
-- recent copy; the open copy holds every open ticket whatever its age, and a ticket whose clock has
-- stopped since had an event, so its row is recent. A ticket in both copies counts once, by its
-- newest row (the highest version). An hour that a bound of {weeks} falls inside ({split_hours})
-- is taken stop by stop and breach by breach at their instants (sla_hourly's `stops`,
-- sla_breaches_hourly's `breach_offsets_ms`), every other hour summed. {wm_tenants} / {wm_until} are the watermarks (a tenant missing has none). Empty
-- {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    edge_breaches AS
    (
        SELECT tenant, region, priority, res_breached_at AS breached_at
        FROM
        (
            SELECT toString(tenant) AS tenant, ticket_id, version, toString(region) AS region,
                   toString(priority) AS priority, res_breached_at
            FROM ticket_sla_recent FINAL
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
            UNION ALL
            SELECT toString(tenant), ticket_id, version, toString(region), toString(priority), res_breached_at
            FROM ticket_sla_open FINAL
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
        )
        ORDER BY version DESC
        LIMIT 1 BY tenant, ticket_id
    ),
    counted AS
    (
        SELECT toDateTime64(hour, 3, 'UTC') AS at, toString(priority) AS priority, resolved, breached,
               toUInt64(0) AS breaches
        FROM sla_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= weeks[1]
          AND hour < weeks[3]
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        UNION ALL
        SELECT toDateTime64(hour, 3, 'UTC'), toString(priority), toUInt64(0), toUInt64(0), breaches
        FROM sla_breaches_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= weeks[1]
          AND hour < weeks[3]
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- section split
        UNION ALL
        SELECT toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(st.offset_ms) AS at, toString(priority),
               toUInt64(1), toUInt64(st.breached), toUInt64(0)
        FROM sla_hourly FINAL
        ARRAY JOIN stops AS st
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND at >= weeks[1]
          AND at < weeks[3]
        UNION ALL
        SELECT toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(offset_ms) AS at, toString(priority),
               toUInt64(0), toUInt64(0), toUInt64(1)
        FROM sla_breaches_hourly FINAL
        ARRAY JOIN breach_offsets_ms AS offset_ms
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND at >= weeks[1]
          AND at < weeks[3]
        -- end section split
        UNION ALL
        SELECT assumeNotNull(res_stopped_at), toString(priority), toUInt64(1), toUInt64(res_outcome = 'breached'),
               toUInt64(0)
        FROM ticket_sla_recent FINAL
        WHERE stopped = 1
          AND res_outcome IN ('met', 'breached')
          AND res_stopped_at >= weeks[1]
          AND res_stopped_at < weeks[3]
          AND res_stopped_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
        UNION ALL
        SELECT assumeNotNull(breached_at), priority, toUInt64(0), toUInt64(0), toUInt64(1)
        FROM edge_breaches
        WHERE breached_at IS NOT NULL
          AND breached_at >= weeks[1]
          AND breached_at < weeks[3]
          AND breached_at >= transform(tenant, wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND ({region:String} = '' OR region = {region:String})
    )
SELECT
    toUInt8(at >= weeks[2]) AS week,
    priority,
    toUInt64(sum(resolved)) AS resolved,
    toUInt64(sum(breached)) AS breached,
    toUInt64(sum(breaches)) AS breaches_in_week
FROM counted
GROUP BY week, priority
HAVING resolved > 0 OR breaches_in_week > 0
ORDER BY week, priority
