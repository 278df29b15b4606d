-- Weekly review: resolution SLA per priority for the previous (week 0) and the current week
-- (week 1) of {weeks} (as review-handovers.sql), by the region owning the ticket (at resolution
-- for stopped clocks, as sla-summary.sql): tickets whose resolution clock stopped met or breached
-- in the week (cancelled ones are neither), of them breached, and the breaches that happened in
-- the week (clocks that ran out in it, open tickets included). Empty {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks
SELECT
    w AS week,
    priority,
    toUInt64(countIf(finished AND res_stopped_at >= weeks[w + 1] AND res_stopped_at < weeks[w + 2])) AS resolved,
    toUInt64(countIf(finished AND res_outcome = 'breached'
        AND res_stopped_at >= weeks[w + 1] AND res_stopped_at < weeks[w + 2])) AS breached,
    toUInt64(countIf(res_breached_at IS NOT NULL
        AND res_breached_at >= weeks[w + 1] AND res_breached_at < weeks[w + 2])) AS breaches_in_week
FROM
(
    SELECT priority, res_stopped_at, res_outcome, res_breached_at,
           stopped = 1 AND res_outcome IN ('met', 'breached') AS finished
    FROM ticket_sla FINAL
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
      AND ((res_stopped_at >= weeks[1] AND res_stopped_at < weeks[3])
        OR (res_breached_at >= weeks[1] AND res_breached_at < weeks[3]))
)
ARRAY JOIN [toUInt8(0), toUInt8(1)] AS w
GROUP BY week, priority
HAVING resolved > 0 OR breaches_in_week > 0
ORDER BY week, priority
