-- review-flow.sql's answer from the region rollup plus the open edge (api/rollups.ts), same rows
-- (idx i = bounds[i + 1]; a row per bound, zeros included). Per tenant, with W its watermark
-- ({wm_tenants} / {wm_until}; never materialised = 0):
-- - a bound at or before W: the backlog_region_hourly backlog of the hour ending there; a bound
--   inside an hour h ({split_hours}: the midnights of a zone 30 or 45 minutes off UTC), h's backlog
--   less its changes at or after the bound (the row's opened / closed offsets, 0020);
-- - a bound after W: the backlog of the hour ending at W plus the periods opened and minus those
--   closed in [W, bound), read from ticket_lifecycle_recent (backlog-instants-rollup.sql's edge);
-- - flows between two bounds: the hours before W (a split hour flow by flow at its instant, the
--   row's inflow / outflow offsets, 0025), plus the edge's openings and closings from W on.
-- Empty {tenant} / {region} mean all.
WITH
    {bounds:Array(DateTime64(3, 'UTC'))} AS bounds,
    bounds[1] AS first_ts,
    bounds[length(bounds)] AS last_ts,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    edge_periods AS
    (
        SELECT
            toDateTime64(transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC')), 3, 'UTC') AS wm,
            iv_opened_at AS opened_at,
            iv_open_kind AS open_kind,
            iv_closed_at AS closed_at,
            iv_close_kind AS close_kind
        FROM ticket_lifecycle_recent FINAL
        ARRAY JOIN iv_region, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR iv_region = {region:String})
          AND iv_opened_at < last_ts
          AND (iv_opened_at >= wm OR (iv_closed_at IS NOT NULL AND iv_closed_at >= wm AND iv_closed_at < last_ts))
    ),
    changes AS
    (
        -- The rollup's hours: `backlog` is the level at the hour's end.
        SELECT
            toDateTime64(transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC')), 3, 'UTC') AS wm,
            toDateTime64(hour, 3, 'UTC') AS at,
            toUInt8(1) AS is_hour,
            backlog AS level,
            toInt64(0) AS delta,
            -- a split hour's flows are counted at their instants (section split)
            if(has(split_hours, hour), toUInt64(0), inflow) AS inflow,
            if(has(split_hours, hour), toUInt64(0), outflow) AS outflow
        FROM backlog_region_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour < last_ts
          AND toDateTime64(hour, 3, 'UTC') < wm
          -- the first condition alone lets the sort key skip the older hours
          AND hour >= least(first_ts, arrayMin(wm_until)) - toIntervalHour(1)
          AND (hour >= first_ts - toIntervalHour(1) OR toDateTime64(hour, 3, 'UTC') + toIntervalHour(1) = wm)
        -- section split
        UNION ALL
        -- A split hour: the backlog at each bound inside it (is_hour 2), and each flow at its instant.
        SELECT
            toDateTime64(transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC')), 3, 'UTC') AS wm,
            item.1,
            item.2,
            item.3,
            toInt64(0),
            item.4,
            item.5
        FROM backlog_region_hourly FINAL
        ARRAY JOIN arrayConcat(
            arrayMap(b -> (b, toUInt8(2),
                backlog - toInt64(arrayCount(o -> o >= dateDiff('millisecond', toDateTime64(hour, 3, 'UTC'), b), opened_offsets_ms))
                    + toInt64(arrayCount(o -> o >= dateDiff('millisecond', toDateTime64(hour, 3, 'UTC'), b), closed_offsets_ms)),
                toUInt64(0), toUInt64(0)),
                arrayFilter(b -> toStartOfHour(b) = hour, bounds)),
            arrayMap(o -> (toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(o), toUInt8(0), toInt64(0), toUInt64(1), toUInt64(0)),
                inflow_offsets_ms),
            arrayMap(o -> (toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(o), toUInt8(0), toInt64(0), toUInt64(0), toUInt64(1)),
                outflow_offsets_ms)) AS item
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND has(split_hours, hour)
          AND toDateTime64(hour, 3, 'UTC') < wm
        -- end section split
        UNION ALL
        SELECT wm, opened_at, 0, 0, 1, toUInt64(open_kind IN ('created', 'reopened')), 0
        FROM edge_periods
        WHERE opened_at >= wm
        UNION ALL
        SELECT wm, assumeNotNull(closed_at), 0, 0, -1, 0, toUInt64(close_kind != 'transfer')
        FROM edge_periods
        WHERE closed_at IS NOT NULL AND closed_at >= wm AND closed_at < last_ts
    )
SELECT
    toUInt32(i - 1) AS idx,
    toInt64(sum(multiIf(
        bounds[i] <= wm, if((is_hour = 1 AND at + toIntervalHour(1) = bounds[i]) OR (is_hour = 2 AND at = bounds[i]), level, 0),
        is_hour = 1, if(at + toIntervalHour(1) = wm, level, 0),
        at < bounds[i], delta,
        0))) AS backlog,
    toUInt64(sum(if(i > 1 AND at >= bounds[i - 1] AND at < bounds[i], inflow, 0))) AS inflow,
    toUInt64(sum(if(i > 1 AND at >= bounds[i - 1] AND at < bounds[i], outflow, 0))) AS outflow
FROM changes
ARRAY JOIN arrayEnumerate(bounds) AS i
GROUP BY i
ORDER BY i
