-- review-oldest-tickets.sql's answer from ticket_facts_open, for an {at} after now: a ticket in the
-- backlog then is one open now, its open period the current owner's (team, region), with the
-- ticket's customer and priority. Empty {tenant} / {region} mean all.
WITH
    {at:DateTime64(3, 'UTC')} AS at_ts
SELECT
    tenant,
    ticket_id,
    customer,
    region,
    team,
    priority,
    toString(created_at) AS created,
    dateDiff('millisecond', created_at, at_ts) / 1000 AS age_seconds
FROM ticket_facts_open FINAL
WHERE is_open = 1
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR region = {region:String})
ORDER BY created_at, tenant, ticket_id
LIMIT {limit:UInt32}
