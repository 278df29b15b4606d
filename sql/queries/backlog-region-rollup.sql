-- The API reads backlog_region_hourly with backlog-region-instants-rollup.sql (which splits hours
-- at any instant) and this query for the slices of backlog_hourly, whose hours are whole.
-- backlog.sql's answer (per region and bucket of {step_seconds} from {from} to {to}: backlog at the
-- bucket's end, inflow, outflow) from an hourly backlog rollup plus the open edge, and with the
-- {customer} / {team} / {priority} filters backlog-by-slice.sql's grouped by region. {source} is
-- backlog_region_hourly (every slice summed: its slice columns are empty) or, for a filtered
-- request, backlog_hourly (per slice, under its own watermarks). Per tenant, with W its watermark
-- of that rollup ({wm_tenants} / {wm_until}; never materialised = 0):
-- - hours before W come from {source}: the backlog at a bucket end at or before W is the rollup's
--   backlog of the hour ending there, a bucket's flows are its hours' flows;
-- - from W on, the backlog is the rollup's backlog at W (its hour W - 1h, 0 if none) plus the
--   changes of the (filtered) periods opened or closed in [W, {to}), read from
--   ticket_lifecycle_recent (a period that changes at or after W belongs to a ticket with an event
--   then, which it holds).
-- Both sides hold the lifecycle's periods, one per slice of all four dimensions: a move into or out
-- of a filtered slice is a 'transfer' close or open (neither inflow nor outflow), and a move within
-- it (e.g. a priority change under team=) is a close and an open at the same instant, which cancel
-- out in one hour as they do live.
-- {from} must be a whole hour and every bucket edge a whole hour or at/after W. A region is listed
-- when a (filtered) period of it opened before {to}, as live; the rollup shows that as a non-zero
-- figure in some hour (a region whose only periods before W each moved in and out within one hour
-- shows none, and is left out: live lists it with every figure 0). Unfiltered, the requested
-- {region} is listed even without tickets, as backlog.sql lists it; filtered, as
-- backlog-by-slice.sql, it is not. Empty {tenant} / {region} / filters mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    toInt64({step_seconds:UInt32}) * 1000 AS step_ms,
    toInt64(ceil(dateDiff('millisecond', from_ts, to_ts) / step_ms)) AS bucket_count,
    hourly AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(region) AS region,
            toDateTime64(hour, 3, 'UTC') AS hour_ts,
            backlog,
            inflow,
            outflow,
            toDateTime64(
                transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')),
                3, 'UTC') AS wm
        FROM {source:Identifier} FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND ({team:String} = '' OR team = {team:String})
          AND ({priority:String} = '' OR priority = {priority:String})
          AND ({customer:String} = '' OR customer = {customer:String})
          AND hour < to_ts
          AND hour_ts < wm
    ),
    edge_periods AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(iv_region) AS region,
            iv_opened_at AS opened_at,
            iv_open_kind AS open_kind,
            iv_closed_at AS closed_at,
            iv_close_kind AS close_kind,
            toDateTime64(
                transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')),
                3, 'UTC') AS wm
        FROM ticket_lifecycle_recent FINAL
        ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR iv_region = {region:String})
          AND ({team:String} = '' OR iv_team = {team:String})
          AND ({priority:String} = '' OR iv_priority = {priority:String})
          AND ({customer:String} = '' OR iv_customer = {customer:String})
          AND iv_opened_at < to_ts
          AND (iv_opened_at >= wm OR (iv_closed_at IS NOT NULL AND iv_closed_at >= wm AND iv_closed_at < to_ts))
    ),
    -- Per tenant, region and bucket (-1 = before {from}): `net` sums to the backlog from W on,
    -- `level` is the rollup's backlog at the bucket's end.
    contributions AS
    (
        SELECT
            tenant,
            region,
            if(hour_ts < from_ts, toInt64(-1), intDiv(dateDiff('millisecond', from_ts, hour_ts), step_ms)) AS bucket,
            toInt64(if(hour_ts + toIntervalHour(1) = wm, backlog, 0)) AS net,
            toInt64(if(hour_ts >= from_ts
                AND hour_ts + toIntervalHour(1) = least(from_ts + toIntervalMillisecond((bucket + 1) * step_ms), to_ts),
                backlog, 0)) AS level,
            toUInt64(if(hour_ts >= from_ts, inflow, 0)) AS inflow,
            toUInt64(if(hour_ts >= from_ts, outflow, 0)) AS outflow,
            toUInt8(backlog != 0 OR inflow != 0 OR outflow != 0) AS evidence
        FROM hourly
        UNION ALL
        SELECT tenant, region,
            if(opened_at < from_ts, toInt64(-1), intDiv(dateDiff('millisecond', from_ts, opened_at), step_ms)),
            toInt64(1), toInt64(0), toUInt64(open_kind IN ('created', 'reopened')), toUInt64(0), toUInt8(1)
        FROM edge_periods
        WHERE opened_at >= wm
        UNION ALL
        SELECT tenant, region,
            if(assumeNotNull(closed_at) < from_ts, toInt64(-1),
                intDiv(dateDiff('millisecond', from_ts, assumeNotNull(closed_at)), step_ms)),
            toInt64(-1), toInt64(0), toUInt64(0), toUInt64(close_kind != 'transfer'), toUInt8(1)
        FROM edge_periods
        WHERE closed_at IS NOT NULL AND closed_at >= wm AND closed_at < to_ts
    ),
    per_bucket AS
    (
        SELECT tenant, region, bucket, sum(net) AS net, sum(level) AS level, sum(inflow) AS inflow,
            sum(outflow) AS outflow, max(evidence) AS evidence
        FROM contributions
        GROUP BY tenant, region, bucket
    ),
    -- Dense per tenant and region, position i = bucket i - 1 (each CTE is read once: ClickHouse
    -- would recompute one that is read twice).
    per_tenant_region AS
    (
        SELECT
            tenant,
            region,
            arrayCumSum(arrayResize(groupArrayInsertAt(net, toUInt32(bucket + 1)), bucket_count + 1)) AS edge_backlogs,
            arrayResize(groupArrayInsertAt(level, toUInt32(bucket + 1)), bucket_count + 1) AS levels,
            arrayResize(groupArrayInsertAt(inflow, toUInt32(bucket + 1)), bucket_count + 1) AS inflows,
            arrayResize(groupArrayInsertAt(outflow, toUInt32(bucket + 1)), bucket_count + 1) AS outflows,
            max(evidence) AS evidence,
            toDateTime64(
                transform(tenant, {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')),
                3, 'UTC') AS wm
        FROM per_bucket
        GROUP BY tenant, region
    ),
    per_region AS
    (
        SELECT
            region,
            bucket,
            sum(if(least(from_ts + toIntervalMillisecond((bucket + 1) * step_ms), to_ts) <= wm, level, edge_backlog)) AS backlog,
            sum(inflow) AS inflow,
            sum(outflow) AS outflow,
            max(evidence) AS evidence
        FROM per_tenant_region
        ARRAY JOIN
            range(toInt64(-1), bucket_count) AS bucket,
            edge_backlogs AS edge_backlog,
            levels AS level,
            inflows AS inflow,
            outflows AS outflow
        WHERE bucket >= 0
        GROUP BY region, bucket
        UNION ALL
        SELECT {region:String}, arrayJoin(range(bucket_count)), 0, 0, 0, 1
        WHERE {region:String} != '' AND {customer:String} = '' AND {team:String} = '' AND {priority:String} = ''
    )
SELECT
    region,
    toString(from_ts + toIntervalMillisecond(bucket * step_ms)) AS bucket_start,
    toString(least(from_ts + toIntervalMillisecond((bucket + 1) * step_ms), to_ts)) AS bucket_end,
    toInt64(sum(backlog)) AS backlog,
    toUInt64(sum(inflow)) AS inflow,
    toUInt64(sum(outflow)) AS outflow
FROM per_region
GROUP BY region, bucket
HAVING max(evidence) = 1
ORDER BY region, bucket
