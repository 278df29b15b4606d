-- Entities (tickets, jobs, agents) with at least one event that happened in [{from}, {to}), in key
-- order, one page after ({after_tenant}, {after_id}). Empty {tenant} means all tenants. The table and
-- its id column come from the family's definition in code, never from a request.
SELECT tenant, {id_column:Identifier} AS id
FROM {events_table:Identifier}
WHERE occurred_at >= {from:DateTime64(3, 'UTC')}
  AND occurred_at < {to:DateTime64(3, 'UTC')}
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND (tenant, {id_column:Identifier}) > ({after_tenant:String}, {after_id:String})
GROUP BY tenant, id
ORDER BY tenant, id
LIMIT {limit:UInt32}
