-- handovers.sql's answer from the region rollups (api/rollups.ts): handovers made in [{from}, {to})
-- from handovers_hourly for the hours before each tenant's watermark, plus those made at or after
-- it from ticket_facts_recent; pending handovers at {as_of} from ticket_facts_open: at now, the
-- open tickets; at an explicit {as_of} (section `as-of`), the open tickets with no event at or after
-- it (they stand as they stood then) and the newest rows of the tickets with an event since, found
-- by last_event_at without FINAL (a later version of a row never has an earlier last event), as
-- review-pending-handovers-past.sql. An hour
-- that {from} or {to} falls inside ({split_hours}) is read handover by handover, each at its own
-- instant (the row's `made`, 0023_handover_instants.sql), so the range may start and end anywhere;
-- every other hour is summed. {wm_tenants} / {wm_until} are the watermarks (a tenant missing has
-- none: all of it is read from the recent copy). Same filters and columns as handovers.sql.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    {as_of:DateTime64(3, 'UTC')} AS as_of_ts,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    made AS
    (
        SELECT
            toString(from_region) AS from_region,
            toString(to_region) AS to_region,
            handovers, ping_pong, picked_up, handed_on, ended,
            wall_seconds AS walls,
            business_seconds AS businesses,
            seam_idle_seconds AS seam
        FROM handovers_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR from_region = {region:String} OR to_region = {region:String})
          AND hour >= toDateTime(from_ts)
          AND hour < to_ts
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- section split
        UNION ALL
        SELECT
            toString(from_region),
            toString(to_region),
            toUInt64(1),
            toUInt64(h.ping_pong),
            toUInt64(h.outcome = 'picked_up'),
            toUInt64(h.outcome = 'handed_on'),
            toUInt64(h.outcome = 'ended'),
            if(h.outcome = 'picked_up', [h.wall_seconds], []),
            if(h.outcome = 'picked_up', [h.business_seconds], []),
            h.seam_idle_seconds
        FROM handovers_hourly FINAL
        ARRAY JOIN made AS h
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR from_region = {region:String} OR to_region = {region:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(h.offset_ms) >= from_ts
          AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(h.offset_ms) < to_ts
        -- end section split
        UNION ALL
        SELECT
            toString(ho_from_region),
            toString(ho_to_region),
            toUInt64(1),
            toUInt64(ho_ping_pong = 1),
            toUInt64(ho_outcome = 'picked_up'),
            toUInt64(ho_outcome = 'handed_on'),
            toUInt64(ho_outcome = 'ended'),
            if(ho_outcome = 'picked_up', [assumeNotNull(ho_wall_seconds)], []),
            if(ho_outcome = 'picked_up', [assumeNotNull(ho_business_seconds)], []),
            if(ho_outcome = 'picked_up', assumeNotNull(ho_seam_idle_seconds), 0)
        FROM ticket_facts_recent FINAL
        ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_ping_pong, ho_outcome, ho_wall_seconds,
            ho_business_seconds, ho_seam_idle_seconds
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR ho_from_region = {region:String} OR ho_to_region = {region:String})
          AND handovers > 0
          AND ho_at >= from_ts
          AND ho_at < to_ts
          AND ho_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
    ),
    per_pair AS
    (
        SELECT
            from_region,
            to_region,
            sum(handovers) AS handovers,
            sum(ping_pong) AS ping_pong,
            sum(picked_up) AS picked_up,
            sum(handed_on) AS handed_on,
            sum(ended) AS ended,
            arrayFlatten(groupArray(walls)) AS wall_all,
            arrayFlatten(groupArray(businesses)) AS business_all,
            sum(seam) AS seam_idle_seconds
        FROM made
        GROUP BY from_region, to_region
    ),
    pending AS
    (
        SELECT
            toString(ho_from_region) AS from_region,
            toString(ho_to_region) AS to_region,
            toUInt64(count()) AS pending,
            max(dateDiff('millisecond', ho_at, as_of_ts)) / 1000 AS oldest_age,
            avg(dateDiff('millisecond', ho_at, as_of_ts)) / 1000 AS mean_age
        FROM
        (
            SELECT tenant, ho_at, ho_from_region, ho_to_region, ho_until
            FROM ticket_facts_open FINAL
            WHERE handovers > 0
            -- section as-of
              AND last_event_at < as_of_ts
            UNION ALL
            SELECT tenant, ho_at, ho_from_region, ho_to_region, ho_until
            FROM
            (
                SELECT tenant, ticket_id, ho_at, ho_from_region, ho_to_region, ho_until
                FROM ticket_facts
                WHERE last_event_at >= as_of_ts
                  AND ({tenant:String} = '' OR tenant = {tenant:String})
                ORDER BY version DESC
                LIMIT 1 BY tenant, ticket_id
            )
            -- end section as-of
        )
        ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_until
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR ho_from_region = {region:String} OR ho_to_region = {region:String})
          AND ho_at <= as_of_ts
          AND (ho_until IS NULL OR ho_until > as_of_ts)
        GROUP BY from_region, to_region
    )
SELECT
    from_region,
    to_region,
    toUInt8(from_region != to_region) AS cross_region,
    toUInt64(w.handovers) AS handovers,
    toUInt64(w.ping_pong) AS ping_pong,
    toUInt64(w.picked_up) AS picked_up,
    toUInt64(w.handed_on) AS handed_on,
    toUInt64(w.ended) AS ended,
    if(empty(w.wall_all), NULL, arrayReduce('quantileExactInclusive(0.5)', w.wall_all)) AS wall_p50_seconds,
    if(empty(w.wall_all), NULL, arrayReduce('quantileExactInclusive(0.9)', w.wall_all)) AS wall_p90_seconds,
    if(empty(w.business_all), NULL, arrayReduce('quantileExactInclusive(0.5)', w.business_all)) AS business_p50_seconds,
    if(empty(w.business_all), NULL, arrayReduce('quantileExactInclusive(0.9)', w.business_all)) AS business_p90_seconds,
    toFloat64(w.seam_idle_seconds) AS seam_idle_seconds,
    arraySum(w.wall_all) AS wall_seconds,
    toUInt64(p.pending) AS pending,
    if(p.pending = 0, NULL, p.oldest_age) AS pending_oldest_age_seconds,
    if(p.pending = 0, NULL, p.mean_age) AS pending_mean_age_seconds
FROM per_pair AS w
FULL OUTER JOIN pending AS p USING (from_region, to_region)
WHERE handovers > 0 OR pending > 0
ORDER BY from_region, to_region
