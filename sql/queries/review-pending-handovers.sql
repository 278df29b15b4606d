-- Weekly review, behind the pending handovers: handovers received by the region that were still
-- waiting for a pickup at {at} (made before it, wait not ended before it: review-handovers.sql's
-- pending), oldest first, at most {limit}, with the age at {at} in wall seconds. {source} is
-- ticket_facts, or its open copy ticket_facts_open for an {at} after now (a handover still waiting
-- then is one waiting now, and its ticket is open now). Empty {tenant} / {region} mean all.
WITH
    {at:DateTime64(3, 'UTC')} AS at_ts
SELECT
    tenant,
    ticket_id,
    customer,
    priority,
    ho_from_team AS from_team,
    ho_from_region AS from_region,
    ho_to_team AS to_team,
    ho_to_region AS to_region,
    toString(ho_at) AS handed_over_at,
    dateDiff('millisecond', ho_at, at_ts) / 1000 AS age_seconds
FROM {source:Identifier} FINAL
ARRAY JOIN ho_at, ho_from_team, ho_from_region, ho_to_team, ho_to_region, ho_until
WHERE ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR ho_to_region = {region:String})
  AND handovers > 0
  AND ho_at < at_ts
  AND (ho_until IS NULL OR ho_until >= at_ts)
ORDER BY ho_at, tenant, ticket_id
LIMIT {limit:UInt32}
