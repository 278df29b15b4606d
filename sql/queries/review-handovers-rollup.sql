-- review-handovers.sql's weekly figures from the region rollups (api/rollups.ts): handovers made
-- before each tenant's watermark from handovers_hourly (per region pair and hour, the picked-up
-- waits kept whole), at or after it from ticket_facts_recent (handovers-rollup.sql's edge). An hour
-- that a bound of {weeks} falls inside ({split_hours}) is taken handover by handover at its instant
-- (the row's `made`), every other hour summed. Cross-region = the pair's regions differ, as
-- handovers-rollup.sql. The pending handovers at a week's end depend on when each wait ended, which
-- handovers_hourly does not keep: pending_at_end is 0 here and read separately
-- (review-pending-at-end-rollup.sql). Empty {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks,
    {region:String} AS r,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    made AS
    (
        SELECT
            toDateTime64(hour, 3, 'UTC') AS at,
            toString(from_region) AS from_region,
            toString(to_region) AS to_region,
            handovers,
            ping_pong,
            picked_up,
            wall_seconds AS walls,
            business_seconds AS businesses
        FROM handovers_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND (r = '' OR from_region = r OR to_region = r)
          AND hour >= weeks[1]
          AND hour < weeks[3]
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- section split
        UNION ALL
        SELECT
            toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(m.offset_ms) AS at,
            toString(from_region),
            toString(to_region),
            toUInt64(1),
            toUInt64(m.ping_pong),
            toUInt64(m.outcome = 'picked_up'),
            if(m.outcome = 'picked_up', [m.wall_seconds], []),
            if(m.outcome = 'picked_up', [m.business_seconds], [])
        FROM handovers_hourly FINAL
        ARRAY JOIN made AS m
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND (r = '' OR from_region = r OR to_region = r)
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND at >= weeks[1]
          AND at < weeks[3]
        -- end section split
        UNION ALL
        SELECT
            ho_at,
            toString(ho_from_region),
            toString(ho_to_region),
            toUInt64(1),
            toUInt64(ho_ping_pong = 1),
            toUInt64(ho_outcome = 'picked_up'),
            if(ho_outcome = 'picked_up', [assumeNotNull(ho_wall_seconds)], []),
            if(ho_outcome = 'picked_up', [assumeNotNull(ho_business_seconds)], [])
        FROM ticket_facts_recent FINAL
        ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_ping_pong, ho_outcome, ho_wall_seconds, ho_business_seconds
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND (r = '' OR ho_from_region = r OR ho_to_region = r)
          AND handovers > 0
          AND ho_at >= weeks[1]
          AND ho_at < weeks[3]
          AND ho_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- nothing, so that each week has a row to keep or drop even when none was made in either
        UNION ALL
        SELECT weeks[1], '', '', toUInt64(0), toUInt64(0), toUInt64(0), [], []
    ),
    -- Whether any handover was made before the two weeks (without reading the waits): with any,
    -- both weeks have a row. The first one found of each source is enough: n is 0, 1 or 2.
    made_earlier AS
    (
        SELECT toUInt64(count()) AS n
        FROM
        (
            SELECT 1
            FROM handovers_hourly FINAL
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND (r = '' OR from_region = r OR to_region = r)
              AND hour < weeks[1]
              AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
              AND handovers > 0
            LIMIT 1
            UNION ALL
            SELECT 1
            FROM ticket_facts_recent FINAL
            ARRAY JOIN ho_at, ho_from_region, ho_to_region
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND (r = '' OR ho_from_region = r OR ho_to_region = r)
              AND handovers > 0
              AND ho_at < weeks[1]
              AND ho_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
            LIMIT 1
        )
    ),
    per_week AS
    (
        SELECT
            week,
            sumIf(handovers, before_end) AS n_before_end,
            sumIf(handovers, in_week) AS n_handovers,
            sumIf(handovers, in_week AND received) AS n_received,
            sumIf(handovers, in_week AND sent) AS n_sent,
            sumIf(handovers, in_week AND from_region != to_region) AS n_cross_region,
            sumIf(ping_pong, in_week) AS n_ping_pong,
            sumIf(picked_up, in_week AND received) AS n_picked_up,
            arrayFlatten(groupArrayIf(walls, in_week AND received)) AS wall_all,
            arrayFlatten(groupArrayIf(businesses, in_week AND received)) AS business_all
        FROM
        (
            SELECT
                w AS week,
                at < weeks[w + 2] AS before_end,
                at >= weeks[w + 1] AND before_end AS in_week,
                r = '' OR to_region = r AS received,
                r = '' OR from_region = r AS sent,
                from_region,
                to_region,
                handovers,
                ping_pong,
                picked_up,
                walls,
                businesses
            FROM made
            ARRAY JOIN [toUInt8(0), toUInt8(1)] AS w
        )
        GROUP BY week
    )
SELECT
    week,
    toUInt64(n_handovers) AS handovers,
    toUInt64(n_received) AS received_count,
    toUInt64(n_sent) AS sent_count,
    toUInt64(n_cross_region) AS cross_region_count,
    toUInt64(n_ping_pong) AS ping_pong_count,
    toUInt64(n_picked_up) AS picked_up,
    if(empty(wall_all), NULL, round(arrayReduce('quantileExactInclusive(0.5)', wall_all), 3)) AS wall_p50_seconds,
    if(empty(wall_all), NULL, round(arrayReduce('quantileExactInclusive(0.9)', wall_all), 3)) AS wall_p90_seconds,
    if(empty(business_all), NULL, round(arrayReduce('quantileExactInclusive(0.5)', business_all), 3)) AS business_p50_seconds,
    if(empty(business_all), NULL, round(arrayReduce('quantileExactInclusive(0.9)', business_all), 3)) AS business_p90_seconds,
    toUInt64(0) AS pending_at_end,
    CAST(NULL, 'Nullable(Float64)') AS pending_oldest_age_seconds
-- per_week read once: a WITH subquery is evaluated wherever it is named
FROM (SELECT *, max(n_before_end) OVER () AS any_before_end FROM per_week)
-- As review-handovers.sql: both weeks have a row (zeros included) once any handover was made
-- before the current week's end; its week-1 row counts every one made in the two weeks.
WHERE any_before_end + (SELECT n FROM made_earlier) > 0
ORDER BY week
