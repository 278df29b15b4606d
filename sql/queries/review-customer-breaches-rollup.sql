-- review-customer-breaches.sql's answer from the rollups (api/rollups.ts), as review-sla-rollup.sql
-- reads its figures per priority: before each tenant's watermark the breaches from
-- sla_breaches_hourly and the stopped clocks from sla_hourly, per customer; at or after it the
-- edge, clocks that stopped then from ticket_sla_recent and clocks that ran out then from
-- ticket_sla_recent and ticket_sla_open together (the newest row of a ticket in both). The open
-- tickets breached now from ticket_sla_open, which holds every open ticket (the same rows as
-- ticket_sla's with stopped = 0). An hour that {from} or {to} falls inside ({split_hours}) is taken
-- stop by stop and breach by breach at their instants (sla_hourly's `stops`, sla_breaches_hourly's
-- `breach_offsets_ms`), every other hour summed. {wm_tenants} / {wm_until} are the watermarks. Empty {tenant} / {region} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    edge_breaches AS
    (
        SELECT tenant, region, customer, res_breached_at AS breached_at
        FROM
        (
            SELECT toString(tenant) AS tenant, ticket_id, version, toString(region) AS region,
                   toString(customer) AS customer, res_breached_at
            FROM ticket_sla_recent FINAL
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
            UNION ALL
            SELECT toString(tenant), ticket_id, version, toString(region), toString(customer), res_breached_at
            FROM ticket_sla_open FINAL
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
        )
        ORDER BY version DESC
        LIMIT 1 BY tenant, ticket_id
    ),
    counted AS
    (
        SELECT toString(customer) AS customer, toUInt64(0) AS breaches, resolved, breached AS resolved_breached,
               toUInt64(0) AS open_breached
        FROM sla_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= from_ts
          AND hour < to_ts
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        UNION ALL
        SELECT toString(customer), breaches, toUInt64(0), toUInt64(0), toUInt64(0)
        FROM sla_breaches_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= from_ts
          AND hour < to_ts
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- section split
        UNION ALL
        SELECT toString(customer), toUInt64(0), toUInt64(1), toUInt64(st.breached), toUInt64(0)
        FROM sla_hourly FINAL
        ARRAY JOIN stops AS st
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(st.offset_ms) >= from_ts
          AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(st.offset_ms) < to_ts
        UNION ALL
        SELECT toString(customer), toUInt64(1), toUInt64(0), toUInt64(0), toUInt64(0)
        FROM sla_breaches_hourly FINAL
        ARRAY JOIN breach_offsets_ms AS offset_ms
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(offset_ms) >= from_ts
          AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(offset_ms) < to_ts
        -- end section split
        UNION ALL
        SELECT toString(customer), toUInt64(0), toUInt64(1), toUInt64(res_outcome = 'breached'), toUInt64(0)
        FROM ticket_sla_recent FINAL
        WHERE stopped = 1
          AND res_outcome IN ('met', 'breached')
          AND res_stopped_at >= from_ts
          AND res_stopped_at < to_ts
          AND res_stopped_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
        UNION ALL
        SELECT customer, toUInt64(1), toUInt64(0), toUInt64(0), toUInt64(0)
        FROM edge_breaches
        WHERE breached_at IS NOT NULL
          AND breached_at >= from_ts
          AND breached_at < to_ts
          AND breached_at >= transform(tenant, wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND ({region:String} = '' OR region = {region:String})
        UNION ALL
        SELECT toString(customer), toUInt64(0), toUInt64(0), toUInt64(0), toUInt64(1)
        FROM ticket_sla_open FINAL
        WHERE stopped = 0
          AND risk = 'breached'
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
    )
SELECT
    customer,
    toUInt64(sum(breaches)) AS breaches,
    toUInt64(sum(resolved)) AS resolved,
    toUInt64(sum(resolved_breached)) AS resolved_breached,
    toUInt64(sum(open_breached)) AS open_breached_now
FROM counted
GROUP BY customer
HAVING breaches > 0 OR resolved_breached > 0
ORDER BY breaches DESC, resolved_breached DESC, customer
LIMIT {limit:UInt32}
