-- Weekly review, behind the backlog: the oldest tickets in the region's backlog at {at} (a period
-- in the region opened before {at} and not closed before it, as review-flow.sql), oldest creation
-- first, at most {limit}, with the age from creation at {at} in seconds (as backlog-aging.sql) and
-- the team, customer and priority of that period. Empty {tenant} / {region} mean all.
WITH
    {at:DateTime64(3, 'UTC')} AS at_ts
SELECT
    tenant,
    ticket_id,
    iv_customer AS customer,
    iv_region AS region,
    iv_team AS team,
    iv_priority AS priority,
    toString(created_at) AS created,
    dateDiff('millisecond', created_at, at_ts) / 1000 AS age_seconds
FROM ticket_lifecycle FINAL
ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_closed_at
WHERE ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR iv_region = {region:String})
  AND iv_opened_at < at_ts
  AND (iv_closed_at IS NULL OR iv_closed_at >= at_ts)
ORDER BY created_at, tenant, ticket_id
LIMIT {limit:UInt32}
