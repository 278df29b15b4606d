-- The stored canonical events of some tickets of one tenant (duplicates collapsed by event_id).
SELECT payload
FROM ticket_events
WHERE tenant = {tenant:String}
  AND ticket_id IN {ticket_ids:Array(String)}
LIMIT 1 BY tenant, ticket_id, event_id
