-- review-pending-handovers.sql's answer at a past {at} (a complete week's end) without scanning
-- every ticket. A ticket with no event at or after {at} (last_event_at < {at}) stands as it stood
-- then: its handovers waiting at {at} are those waiting now, and it is open now, so it comes from
-- the open copy ticket_facts_open. A ticket with an event since ({at} is at most a few weeks back,
-- so these are few) is read from ticket_facts, its newest row, found by last_event_at without
-- FINAL: a later version of a row never has an earlier last event, so the newest of the rows read
-- is the ticket's newest. The two sets do not meet. Same columns, order and limit as
-- review-pending-handovers.sql. Empty {tenant} / {region} mean all.
WITH
    {at:DateTime64(3, 'UTC')} AS at_ts,
    changed AS
    (
        SELECT tenant, ticket_id, customer, priority, handovers, ho_at, ho_from_team, ho_from_region, ho_to_team,
            ho_to_region, ho_until
        FROM ticket_facts
        WHERE last_event_at >= at_ts
          AND ({tenant:String} = '' OR tenant = {tenant:String})
        ORDER BY version DESC
        LIMIT 1 BY tenant, ticket_id
    ),
    candidates AS
    (
        SELECT *
        FROM changed
        UNION ALL
        SELECT tenant, ticket_id, customer, priority, handovers, ho_at, ho_from_team, ho_from_region, ho_to_team,
            ho_to_region, ho_until
        FROM ticket_facts_open FINAL
        WHERE is_open = 1
          AND last_event_at < at_ts
          AND handovers > 0
          AND ({tenant:String} = '' OR tenant = {tenant:String})
    )
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
FROM candidates
ARRAY JOIN ho_at, ho_from_team, ho_from_region, ho_to_team, ho_to_region, ho_until
WHERE ({region:String} = '' OR ho_to_region = {region:String})
  AND ho_at < at_ts
  AND (ho_until IS NULL OR ho_until >= at_ts)
ORDER BY ho_at, tenant, ticket_id
LIMIT {limit:UInt32}
