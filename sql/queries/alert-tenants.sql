-- Tenants with tickets or roster members: the alert evaluator evaluates per-region rules once per
-- tenant, since the metric queries sum over all tenants when {tenant} is empty.
SELECT tenant
FROM
(
    SELECT DISTINCT tenant FROM ticket_lifecycle
    UNION DISTINCT
    SELECT DISTINCT tenant FROM agent_membership
)
ORDER BY tenant
