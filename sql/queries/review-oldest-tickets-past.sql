-- review-oldest-tickets.sql's answer at a past {at} (a complete week's end) without scanning every
-- ticket's periods. A ticket with no event at or after {at} (last_event_at < {at}) stands as it
-- stood then: it was in the backlog at {at} exactly when it is open now, in its current slice, so
-- it comes from the open copy ticket_facts_open. A ticket with an event since ({at} is at most a
-- few weeks back, so these are few) has its periods read from ticket_lifecycle, its newest row,
-- found by last_event_at without FINAL: a later version of a row never has an earlier last event,
-- so the newest of the rows read is the ticket's newest. The two sets do not meet. Same columns,
-- order and limit as review-oldest-tickets.sql. Empty {tenant} / {region} mean all.
WITH
    {at:DateTime64(3, 'UTC')} AS at_ts,
    changed AS
    (
        SELECT tenant, ticket_id, created_at, iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_closed_at
        FROM ticket_lifecycle
        WHERE last_event_at >= at_ts
          AND ({tenant:String} = '' OR tenant = {tenant:String})
        ORDER BY version DESC
        LIMIT 1 BY tenant, ticket_id
    ),
    in_backlog AS
    (
        SELECT
            toString(tenant) AS tenant,
            ticket_id,
            toString(iv_customer) AS customer,
            toString(iv_region) AS region,
            toString(iv_team) AS team,
            toString(iv_priority) AS priority,
            created_at
        FROM changed
        ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_closed_at
        WHERE ({region:String} = '' OR iv_region = {region:String})
          AND iv_opened_at < at_ts
          AND (iv_closed_at IS NULL OR iv_closed_at >= at_ts)
        UNION ALL
        SELECT toString(tenant), ticket_id, toString(customer), toString(region), toString(team), toString(priority),
            created_at
        FROM ticket_facts_open FINAL
        WHERE is_open = 1
          AND last_event_at < at_ts
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
    )
SELECT
    tenant,
    ticket_id,
    customer,
    region,
    team,
    priority,
    toString(created_at) AS created,
    dateDiff('millisecond', created_at, at_ts) / 1000 AS age_seconds
FROM in_backlog
ORDER BY created_at, tenant, ticket_id
LIMIT {limit:UInt32}
