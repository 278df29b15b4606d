-- Weekly review: handovers per (from region -> to region) pair with {region} on either side, for
-- the previous (week 0) and the current week (week 1) of {weeks} (as review-handovers.sql): made
-- in the week, picked up, and the pickup latency p50 / p90 in wall and in the receiving region's
-- business seconds over those picked up (NULL when none was). Empty {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks
SELECT
    toUInt8(ho_at >= weeks[2]) AS week,
    ho_from_region AS from_region,
    ho_to_region AS to_region,
    toUInt64(count()) AS handover_count,
    toUInt64(countIf(ho_outcome = 'picked_up')) AS picked_up,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.5)(assumeNotNull(ho_wall_seconds), ho_outcome = 'picked_up'), 3)) AS wall_p50_seconds,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.9)(assumeNotNull(ho_wall_seconds), ho_outcome = 'picked_up'), 3)) AS wall_p90_seconds,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.5)(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up'), 3)) AS business_p50_seconds,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.9)(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up'), 3)) AS business_p90_seconds
FROM ticket_facts FINAL
ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_outcome, ho_wall_seconds, ho_business_seconds
WHERE ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR ho_from_region = {region:String} OR ho_to_region = {region:String})
  AND handovers > 0
  AND ho_at >= weeks[1]
  AND ho_at < weeks[3]
GROUP BY week, from_region, to_region
ORDER BY week, from_region, to_region
