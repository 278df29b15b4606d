-- review-team-backlog.sql's answer from the per-slice backlog rollup plus the open edge, same rows.
-- Per tenant and team, with W the tenant's backlog watermark ({bwm_tenants} / {bwm_until}; never
-- materialised = 0), B at an instant x is the backlog_hourly backlog of the hour ending at x when
-- x <= W, else the backlog of the hour ending at W (0 if none) plus the periods opened and minus
-- those closed in [W, x), read from ticket_lifecycle_recent; inflow and outflow are the hours
-- before W plus the edge's openings and closings from W on (both with backlog.sql's definitions,
-- as the live query). An hour before W that {from} or {to} falls inside ({split_hours}) gives the
-- backlog at that edge as its backlog less its changes at or after it, and each of its flows at its
-- instant (the row's offsets, 0026_backlog_slice_offsets.sql). A team whose four
-- figures are all 0 is left out, as live (a team moved in and out within an hour has no figure
-- here). Empty {tenant} / {region} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    {bwm_tenants:Array(String)} AS bwm_tenants,
    {bwm_until:Array(DateTime('UTC'))} AS bwm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    hourly AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(team) AS team,
            toDateTime64(hour, 3, 'UTC') + toIntervalHour(1) AS hour_end,
            backlog,
            inflow AS hour_inflow,
            outflow AS hour_outflow,
            has(split_hours, hour) AS split,
            toDateTime64(transform(toString(tenant), bwm_tenants, bwm_until, toDateTime(0, 'UTC')), 3, 'UTC') AS wm
        FROM backlog_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour < to_ts
          -- the first condition alone lets the sort key skip the older hours
          AND hour >= least(from_ts, arrayMin(bwm_until)) - toIntervalHour(1)
          AND hour_end <= to_ts
          AND hour_end <= wm
          AND (hour_end >= from_ts OR hour_end = wm)
    ),
    edge_periods AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(iv_team) AS team,
            iv_opened_at AS opened_at,
            iv_open_kind AS open_kind,
            iv_closed_at AS closed_at,
            iv_close_kind AS close_kind,
            toDateTime64(transform(toString(tenant), bwm_tenants, bwm_until, toDateTime(0, 'UTC')), 3, 'UTC') AS wm
        FROM ticket_lifecycle_recent FINAL
        ARRAY JOIN iv_region, iv_team, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR iv_region = {region:String})
          AND iv_opened_at < to_ts
          AND (iv_opened_at >= wm OR (iv_closed_at IS NOT NULL AND iv_closed_at >= wm AND iv_closed_at < to_ts))
    ),
    contributions AS
    (
        SELECT
            tenant,
            team,
            wm,
            toInt64(if(hour_end = from_ts, backlog, 0)) AS level_start,
            toInt64(if(hour_end = to_ts, backlog, 0)) AS level_end,
            toInt64(if(hour_end = wm, backlog, 0)) AS base,
            toInt64(0) AS change_before_start,
            toInt64(0) AS change_before_end,
            toUInt64(if(hour_end > from_ts AND NOT split, hour_inflow, 0)) AS inflow,
            toUInt64(if(hour_end > from_ts AND NOT split, hour_outflow, 0)) AS outflow
        FROM hourly
        -- section split
        UNION ALL
        SELECT
            tenant,
            team,
            wm,
            if(toStartOfHour(from_ts) = hour, backlog
                - toInt64(arrayCount(o -> o >= dateDiff('millisecond', hour_ts, from_ts), opened_offsets_ms))
                + toInt64(arrayCount(o -> o >= dateDiff('millisecond', hour_ts, from_ts), closed_offsets_ms)), 0),
            if(toStartOfHour(to_ts) = hour, backlog
                - toInt64(arrayCount(o -> o >= dateDiff('millisecond', hour_ts, to_ts), opened_offsets_ms))
                + toInt64(arrayCount(o -> o >= dateDiff('millisecond', hour_ts, to_ts), closed_offsets_ms)), 0),
            toInt64(0),
            toInt64(0),
            toInt64(0),
            toUInt64(arrayCount(o -> hour_ts + toIntervalMillisecond(o) >= from_ts
                AND hour_ts + toIntervalMillisecond(o) < to_ts, inflow_offsets_ms)),
            toUInt64(arrayCount(o -> hour_ts + toIntervalMillisecond(o) >= from_ts
                AND hour_ts + toIntervalMillisecond(o) < to_ts, outflow_offsets_ms))
        FROM
        (
            SELECT
                toString(tenant) AS tenant,
                toString(team) AS team,
                hour,
                toDateTime64(hour, 3, 'UTC') AS hour_ts,
                toInt64(backlog) AS backlog,
                opened_offsets_ms,
                closed_offsets_ms,
                inflow_offsets_ms,
                outflow_offsets_ms,
                toDateTime64(transform(toString(tenant), bwm_tenants, bwm_until, toDateTime(0, 'UTC')), 3, 'UTC') AS wm
            FROM backlog_hourly FINAL
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND ({region:String} = '' OR region = {region:String})
              AND has(split_hours, hour)
              AND toDateTime64(hour, 3, 'UTC') + toIntervalHour(1) <= wm
        )
        -- end section split
        UNION ALL
        SELECT tenant, team, wm, toInt64(0), toInt64(0), toInt64(0),
            toInt64(opened_at < from_ts), toInt64(1),
            toUInt64(opened_at >= from_ts AND open_kind IN ('created', 'reopened')), toUInt64(0)
        FROM edge_periods
        WHERE opened_at >= wm
        UNION ALL
        SELECT tenant, team, wm, toInt64(0), toInt64(0), toInt64(0),
            -toInt64(assumeNotNull(closed_at) < from_ts), toInt64(-1),
            toUInt64(0), toUInt64(assumeNotNull(closed_at) >= from_ts AND close_kind != 'transfer')
        FROM edge_periods
        WHERE closed_at IS NOT NULL AND closed_at >= wm AND closed_at < to_ts
    ),
    per_tenant AS
    (
        SELECT
            team,
            if(from_ts <= any(wm), sum(level_start), sum(base) + sum(change_before_start)) AS tenant_b_start,
            if(to_ts <= any(wm), sum(level_end), sum(base) + sum(change_before_end)) AS tenant_b_end,
            sum(inflow) AS tenant_inflow,
            sum(outflow) AS tenant_outflow
        FROM contributions
        GROUP BY tenant, team
    )
SELECT
    team,
    toInt64(sum(tenant_b_start)) AS backlog_start,
    toInt64(sum(tenant_b_end)) AS backlog_end,
    backlog_end - backlog_start AS growth,
    toUInt64(sum(tenant_inflow)) AS inflow,
    toUInt64(sum(tenant_outflow)) AS outflow
FROM per_tenant
GROUP BY team
HAVING backlog_start != 0 OR backlog_end != 0 OR inflow != 0 OR outflow != 0
ORDER BY growth DESC, backlog_end DESC, team
LIMIT {limit:UInt32}
