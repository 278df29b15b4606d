-- One ticket's stored canonical events for the drill-down, in the order they happened (duplicates
-- collapsed by event_id), at most {limit}.
SELECT
    event_id,
    type,
    source,
    toString(occurred_at) AS occurred_at,
    toString(received_at) AS received_at,
    payload
FROM ticket_events
WHERE tenant = {tenant:String}
  AND ticket_id = {ticket_id:String}
ORDER BY occurred_at, event_id
LIMIT 1 BY event_id
LIMIT {limit:UInt32}
