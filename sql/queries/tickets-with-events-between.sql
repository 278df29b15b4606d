-- Tickets with at least one event that happened in [{from}, {to}), in key order, one page after
-- ({after_tenant}, {after_id}). Empty {tenant} means all tenants.
SELECT tenant, ticket_id AS id
FROM ticket_events
WHERE occurred_at >= {from:DateTime64(3, 'UTC')}
  AND occurred_at < {to:DateTime64(3, 'UTC')}
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND (tenant, ticket_id) > ({after_tenant:String}, {after_id:String})
GROUP BY tenant, ticket_id
ORDER BY tenant, ticket_id
LIMIT {limit:UInt32}
