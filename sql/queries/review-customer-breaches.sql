-- Weekly review, behind the SLA change: per customer of the region, the resolution breaches that
-- happened in [{from}, {to}) (clocks that ran out in it, open tickets included), the tickets whose
-- clock stopped met or breached in it and of those the breached; most breaches first, at most
-- {limit} customers with a breach. Region = the owning region (as review-sla.sql). Empty
-- {tenant} / {region} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts
SELECT
    customer,
    toUInt64(countIf(res_breached_at IS NOT NULL AND res_breached_at >= from_ts AND res_breached_at < to_ts)) AS breaches,
    toUInt64(countIf(finished)) AS resolved,
    toUInt64(countIf(finished AND res_outcome = 'breached')) AS resolved_breached,
    toUInt64(countIf(stopped = 0 AND risk = 'breached')) AS open_breached_now
FROM
(
    SELECT customer, res_breached_at, res_outcome, stopped, risk,
           stopped = 1 AND res_outcome IN ('met', 'breached') AND res_stopped_at >= from_ts AND res_stopped_at < to_ts AS finished
    FROM ticket_sla FINAL
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
)
GROUP BY customer
HAVING breaches > 0 OR resolved_breached > 0
ORDER BY breaches DESC, resolved_breached DESC, customer
LIMIT {limit:UInt32}
