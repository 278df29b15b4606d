-- Weekly review, behind the pickup latency: per receiving team of the region, the handovers it
-- received in [{from}, {to}), picked up, the pickup latency p50 / p90 in the receiving region's
-- business seconds over those picked up (NULL when none was; exact, as handovers.sql), and its
-- handovers pending at {to} (review-handovers.sql's pending); slowest p90 first, at most {limit}.
-- Empty {tenant} / {region} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts
SELECT
    to_team AS team,
    toUInt64(countIf(in_week)) AS received,
    toUInt64(countIf(picked)) AS picked_up,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.5)(assumeNotNull(business), picked), 3)) AS business_p50_seconds,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.9)(assumeNotNull(business), picked), 3)) AS business_p90_seconds,
    toUInt64(countIf(pending_end)) AS pending_at_end
FROM
(
    SELECT
        ho_to_team AS to_team,
        ho_business_seconds AS business,
        ho_at >= from_ts AND ho_at < to_ts AS in_week,
        in_week AND ho_outcome = 'picked_up' AS picked,
        ho_at < to_ts AND (ho_until IS NULL OR ho_until >= to_ts) AS pending_end
    FROM ticket_facts FINAL
    ARRAY JOIN ho_at, ho_to_team, ho_to_region, ho_outcome, ho_until, ho_business_seconds
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR ho_to_region = {region:String})
      AND handovers > 0
      AND ho_at < to_ts
)
GROUP BY team
HAVING received > 0 OR pending_at_end > 0
ORDER BY business_p90_seconds DESC NULLS LAST, pending_at_end DESC, team
LIMIT {limit:UInt32}
