-- Handovers per (from_region -> to_region) pair (docs/metrics.md, "Handovers"):
-- - counts over handovers made in [{from}, {to}): all, cross-region, ping-pong, and how each wait
--   ended (picked up, handed on before a pickup, closed/cancelled before a pickup);
-- - pickup latency p50/p90 in wall and in the receiving region's business seconds, and seam idle
--   (wall - business), over those handovers that were picked up; linear interpolation between
--   ranks (quantileExactInclusive, as Excel's PERCENTILE.INC);
-- - pending at {as_of}: handovers made at or before it whose wait had not ended by then (whenever
--   they were made), with the oldest and mean age in wall seconds at {as_of}.
-- Empty {tenant} means all; {region} keeps pairs with that region on either side.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    {as_of:DateTime64(3, 'UTC')} AS as_of_ts,
    handovers AS
    (
        SELECT
            ho_at AS at,
            ho_from_region AS from_region,
            ho_to_region AS to_region,
            ho_cross_region AS cross_region,
            ho_ping_pong AS ping_pong,
            ho_outcome AS outcome,
            ho_until AS until,
            ho_wall_seconds AS wall,
            ho_business_seconds AS business,
            ho_seam_idle_seconds AS seam,
            at >= from_ts AND at < to_ts AS in_window,
            at <= as_of_ts AND (until IS NULL OR until > as_of_ts) AS pending_at,
            in_window AND outcome = 'picked_up' AS picked
        FROM ticket_facts FINAL
        ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_cross_region, ho_ping_pong, ho_outcome,
            ho_until, ho_wall_seconds, ho_business_seconds, ho_seam_idle_seconds
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR ho_from_region = {region:String} OR ho_to_region = {region:String})
          AND handovers > 0
    )
SELECT
    from_region,
    to_region,
    toUInt8(from_region != to_region) AS cross_region,
    toUInt64(countIf(in_window)) AS handovers,
    toUInt64(countIf(in_window AND ping_pong = 1)) AS ping_pong,
    toUInt64(countIf(picked)) AS picked_up,
    toUInt64(countIf(in_window AND outcome = 'handed_on')) AS handed_on,
    toUInt64(countIf(in_window AND outcome = 'ended')) AS ended,
    if(picked_up = 0, NULL, quantileExactInclusiveIf(0.5)(assumeNotNull(wall), picked)) AS wall_p50_seconds,
    if(picked_up = 0, NULL, quantileExactInclusiveIf(0.9)(assumeNotNull(wall), picked)) AS wall_p90_seconds,
    if(picked_up = 0, NULL, quantileExactInclusiveIf(0.5)(assumeNotNull(business), picked)) AS business_p50_seconds,
    if(picked_up = 0, NULL, quantileExactInclusiveIf(0.9)(assumeNotNull(business), picked)) AS business_p90_seconds,
    sumIf(assumeNotNull(seam), picked) AS seam_idle_seconds,
    sumIf(assumeNotNull(wall), picked) AS wall_seconds,
    toUInt64(countIf(pending_at)) AS pending,
    if(pending = 0, NULL, maxIf(dateDiff('millisecond', at, as_of_ts), pending_at) / 1000) AS pending_oldest_age_seconds,
    if(pending = 0, NULL, avgIf(dateDiff('millisecond', at, as_of_ts), pending_at) / 1000) AS pending_mean_age_seconds
FROM handovers
GROUP BY from_region, to_region
HAVING handovers > 0 OR pending > 0
ORDER BY from_region, to_region
