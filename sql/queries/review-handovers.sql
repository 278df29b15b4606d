-- Weekly review: handovers of the previous (week 0) and the current week (week 1), the weeks being
-- [{weeks}[1], {weeks}[2]) and [{weeks}[2], {weeks}[3]):
-- - handovers made in the week with {region} on either side, of them received (into {region}),
--   sent (out of it), cross-region and ping-pong;
-- - pickup latency p50 / p90 in wall and in the receiving region's business seconds over the
--   handovers received in the week and picked up (exact, interpolated between ranks as
--   handovers.sql); NULL when none was picked up;
-- - pending at the week's end: received handovers made before the end whose wait had not ended
--   before it (the state once every event before the end has happened, like the backlog), with
--   the oldest age at the end.
-- Empty {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks,
    {region:String} AS r
SELECT
    week,
    toUInt64(countIf(in_week)) AS handovers,
    toUInt64(countIf(in_week AND received)) AS received_count,
    toUInt64(countIf(in_week AND sent)) AS sent_count,
    toUInt64(countIf(in_week AND cross_region = 1)) AS cross_region_count,
    toUInt64(countIf(in_week AND ping_pong = 1)) AS ping_pong_count,
    toUInt64(countIf(picked)) AS picked_up,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.5)(assumeNotNull(wall), picked), 3)) AS wall_p50_seconds,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.9)(assumeNotNull(wall), picked), 3)) AS wall_p90_seconds,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.5)(assumeNotNull(business), picked), 3)) AS business_p50_seconds,
    if(picked_up = 0, NULL, round(quantileExactInclusiveIf(0.9)(assumeNotNull(business), picked), 3)) AS business_p90_seconds,
    toUInt64(countIf(pending_end)) AS pending_at_end,
    if(pending_at_end = 0, NULL, maxIf(dateDiff('millisecond', at, week_end), pending_end) / 1000) AS pending_oldest_age_seconds
FROM
(
    SELECT
        w AS week,
        weeks[w + 1] AS week_start,
        weeks[w + 2] AS week_end,
        ho_at AS at,
        ho_cross_region AS cross_region,
        ho_ping_pong AS ping_pong,
        ho_wall_seconds AS wall,
        ho_business_seconds AS business,
        r = '' OR ho_to_region = r AS received,
        r = '' OR ho_from_region = r AS sent,
        ho_at >= week_start AND ho_at < week_end AS in_week,
        in_week AND received AND ho_outcome = 'picked_up' AS picked,
        received AND ho_at < week_end AND (ho_until IS NULL OR ho_until >= week_end) AS pending_end
    FROM ticket_facts FINAL
    ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_cross_region, ho_ping_pong, ho_outcome, ho_until,
        ho_wall_seconds, ho_business_seconds
    ARRAY JOIN [toUInt8(0), toUInt8(1)] AS w
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND (r = '' OR ho_from_region = r OR ho_to_region = r)
      AND handovers > 0
      AND ho_at < weeks[3]
)
GROUP BY week
ORDER BY week
