-- A page of tickets whose resolution clock is not stopped (the SLA sweep re-evaluates them), in
-- (tenant, ticket_id) order after the given key. FINAL: only each ticket's newest row counts.
SELECT tenant, ticket_id
FROM ticket_sla FINAL
WHERE stopped = 0
  AND (tenant, ticket_id) > ({after_tenant:String}, {after_ticket:String})
ORDER BY tenant, ticket_id
LIMIT {limit:UInt32}
