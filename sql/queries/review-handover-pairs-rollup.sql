-- review-handover-pairs.sql's answer from the region rollups (api/rollups.ts): handovers made
-- before each tenant's watermark from handovers_hourly, at or after it from ticket_facts_recent
-- (handovers-rollup.sql's edge). An hour that a bound of {weeks} falls inside ({split_hours}) is
-- taken handover by handover at its instant (the row's `made`), every other hour summed. Empty
-- {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks,
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
            picked_up,
            wall_seconds AS walls,
            business_seconds AS businesses
        FROM handovers_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR from_region = {region:String} OR to_region = {region:String})
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
            toUInt64(m.outcome = 'picked_up'),
            if(m.outcome = 'picked_up', [m.wall_seconds], []),
            if(m.outcome = 'picked_up', [m.business_seconds], [])
        FROM handovers_hourly FINAL
        ARRAY JOIN made AS m
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR from_region = {region:String} OR to_region = {region:String})
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
            toUInt64(ho_outcome = 'picked_up'),
            if(ho_outcome = 'picked_up', [assumeNotNull(ho_wall_seconds)], []),
            if(ho_outcome = 'picked_up', [assumeNotNull(ho_business_seconds)], [])
        FROM ticket_facts_recent FINAL
        ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_outcome, ho_wall_seconds, ho_business_seconds
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR ho_from_region = {region:String} OR ho_to_region = {region:String})
          AND handovers > 0
          AND ho_at >= weeks[1]
          AND ho_at < weeks[3]
          AND ho_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
    ),
    per_pair AS
    (
        SELECT
            toUInt8(at >= weeks[2]) AS week,
            from_region,
            to_region,
            sum(handovers) AS n_handovers,
            sum(picked_up) AS n_picked_up,
            arrayFlatten(groupArray(walls)) AS wall_all,
            arrayFlatten(groupArray(businesses)) AS business_all
        FROM made
        GROUP BY week, from_region, to_region
    )
SELECT
    week,
    from_region,
    to_region,
    toUInt64(n_handovers) AS handover_count,
    toUInt64(n_picked_up) AS picked_up,
    if(empty(wall_all), NULL, round(arrayReduce('quantileExactInclusive(0.5)', wall_all), 3)) AS wall_p50_seconds,
    if(empty(wall_all), NULL, round(arrayReduce('quantileExactInclusive(0.9)', wall_all), 3)) AS wall_p90_seconds,
    if(empty(business_all), NULL, round(arrayReduce('quantileExactInclusive(0.5)', business_all), 3)) AS business_p50_seconds,
    if(empty(business_all), NULL, round(arrayReduce('quantileExactInclusive(0.9)', business_all), 3)) AS business_p90_seconds
FROM per_pair
WHERE n_handovers > 0
ORDER BY week, from_region, to_region
