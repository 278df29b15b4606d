-- The stored canonical roster events of some agents of one tenant (duplicates collapsed by event_id).
SELECT payload
FROM roster_events
WHERE tenant = {tenant:String}
  AND agent_id IN {agent_ids:Array(String)}
LIMIT 1 BY tenant, agent_id, event_id
