-- Resolution SLA of the tickets resolved in [{from}, {to}) per region and priority (the owner at
-- resolution): resolved (met + breached; a ticket cancelled within its target is neither, one
-- cancelled after its due instant is breached), breached, breach rate,
-- and how many of them breached their response target. Empty {tenant} / {region} mean all.
SELECT
    region,
    priority,
    count() AS resolved,
    countIf(res_outcome = 'breached') AS breached,
    breached / resolved AS breach_rate,
    countIf(resp_outcome = 'breached') AS response_breached
FROM ticket_sla FINAL
WHERE stopped = 1
  AND res_outcome IN ('met', 'breached')
  AND res_stopped_at >= {from:DateTime64(3, 'UTC')}
  AND res_stopped_at < {to:DateTime64(3, 'UTC')}
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR region = {region:String})
GROUP BY region, priority
ORDER BY region, priority
