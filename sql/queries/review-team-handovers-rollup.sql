-- review-team-handovers.sql's answer from the rollups (api/rollups.ts): per receiving team of the
-- region, the handovers received in [{from}, {to}) and picked up with their business waits, from
-- handover_teams_hourly before each tenant's watermark and from ticket_facts_recent at or after it;
-- the handovers pending at {to} as review-pending-at-end-rollup.sql counts them, per team. An hour
-- that {from} or {to} falls inside ({split_hours}) is taken handover by handover and wait by wait
-- at their instants (the row's `received_at` and `waits_ended_offsets_ms`), every other hour whole.
-- {wm_tenants} / {wm_until} are the
-- watermarks. Slowest p90 first, at most {limit}. Empty {tenant} / {region} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    -- the waits only for the week's hours; the counts for every hour before {to}, for the pending
    hourly AS
    (
        SELECT toString(to_team) AS team, hour >= toDateTime(from_ts) AS in_week,
               if(in_week, received, 0) AS received_in_week, if(in_week, picked_up, 0) AS picked_up_in_week,
               toInt64(received) - toInt64(waits_ended) AS pending_change
        FROM handover_teams_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR to_region = {region:String})
          AND hour < to_ts
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
    ),
    week_waits AS
    (
        SELECT toString(to_team) AS team, business_seconds AS businesses
        FROM handover_teams_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR to_region = {region:String})
          AND hour >= from_ts
          AND hour < to_ts
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND picked_up > 0
    ),
    edge AS
    (
        SELECT
            toString(ho_to_team) AS team,
            ho_at,
            ho_until,
            ho_outcome = 'picked_up' AS picked,
            assumeNotNull(ho_business_seconds) AS business,
            toDateTime64(transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC')), 3, 'UTC') AS wm
        FROM ticket_facts_recent FINAL
        ARRAY JOIN ho_at, ho_to_team, ho_to_region, ho_outcome, ho_until, ho_business_seconds
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR ho_to_region = {region:String})
          AND handovers > 0
          AND (ho_at >= wm OR ho_until >= wm)
    ),
    per_team AS
    (
        SELECT
            team,
            sum(received) AS n_received,
            sum(picked_up) AS n_picked_up,
            arrayFlatten(groupArray(businesses)) AS waits,
            sum(pending_change) AS pending
        FROM
        (
            SELECT team, received_in_week AS received, picked_up_in_week AS picked_up,
                   CAST([], 'Array(Float64)') AS businesses, pending_change
            FROM hourly
            UNION ALL
            SELECT team, toUInt64(0), toUInt64(0), businesses, toInt64(0)
            FROM week_waits
            -- section split
            UNION ALL
            SELECT team, toUInt64(in_week), toUInt64(in_week AND picked), if(in_week AND picked, [business], []),
                   toInt64(at < to_ts)
            FROM
            (
                SELECT
                    toString(to_team) AS team,
                    toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(h.offset_ms) AS at,
                    h.picked_up = 1 AS picked,
                    h.business_seconds AS business,
                    at >= from_ts AND at < to_ts AS in_week
                FROM handover_teams_hourly FINAL
                ARRAY JOIN received_at AS h
                WHERE ({tenant:String} = '' OR tenant = {tenant:String})
                  AND ({region:String} = '' OR to_region = {region:String})
                  AND has(split_hours, hour)
                  AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
            )
            UNION ALL
            SELECT toString(to_team), toUInt64(0), toUInt64(0), CAST([], 'Array(Float64)'),
                   -toInt64(toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(offset_ms) < to_ts)
            FROM handover_teams_hourly FINAL
            ARRAY JOIN waits_ended_offsets_ms AS offset_ms
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND ({region:String} = '' OR to_region = {region:String})
              AND has(split_hours, hour)
              AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
            -- end section split
            UNION ALL
            SELECT team, toUInt64(in_week), toUInt64(in_week AND picked),
                   if(in_week AND picked, [business], []),
                   toInt64(ho_at >= wm AND ho_at < to_ts) - toInt64(ho_until IS NOT NULL AND ho_until >= wm AND ho_until < to_ts)
            FROM (SELECT *, ho_at >= wm AND ho_at >= from_ts AND ho_at < to_ts AS in_week FROM edge)
        )
        GROUP BY team
    )
SELECT
    team,
    toUInt64(n_received) AS received,
    toUInt64(n_picked_up) AS picked_up,
    if(empty(waits), NULL, round(arrayReduce('quantileExactInclusive(0.5)', waits), 3)) AS business_p50_seconds,
    if(empty(waits), NULL, round(arrayReduce('quantileExactInclusive(0.9)', waits), 3)) AS business_p90_seconds,
    pending AS pending_at_end
FROM per_team
WHERE received > 0 OR pending_at_end > 0
ORDER BY business_p90_seconds DESC NULLS LAST, pending_at_end DESC, team
LIMIT {limit:UInt32}
