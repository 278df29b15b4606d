-- Resolution SLA outcomes of the tickets whose resolution clock stopped met or breached in
-- [{from}, {to}), per region and priority of the owner at resolution: resolved (met + breached;
-- cancelled tickets are neither), met, breached, breach rate, and how many of them breached their
-- response target. sla-summary.sql with every API filter ({team} is the owner at resolution).
-- Empty filters mean all.
SELECT
    region,
    priority,
    toUInt64(count()) AS resolved,
    toUInt64(countIf(res_outcome = 'met')) AS met,
    toUInt64(countIf(res_outcome = 'breached')) AS breached,
    breached / resolved AS breach_rate,
    toUInt64(countIf(resp_outcome = 'breached')) AS response_breached
FROM ticket_sla FINAL
WHERE stopped = 1
  AND res_outcome IN ('met', 'breached')
  AND res_stopped_at >= {from:DateTime64(3, 'UTC')}
  AND res_stopped_at < {to:DateTime64(3, 'UTC')}
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR region = {region:String})
  AND ({team:String} = '' OR team = {team:String})
  AND ({customer:String} = '' OR customer = {customer:String})
  AND ({priority:String} = '' OR priority = {priority:String})
GROUP BY region, priority
ORDER BY region, priority
