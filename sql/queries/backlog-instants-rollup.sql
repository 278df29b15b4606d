-- backlog.sql's answer (per region and bucket of {step_seconds} from {from} to {to}: backlog at the
-- bucket's end, inflow, outflow) from an hourly backlog rollup plus the open edge, for any {from}
-- and {to}, and with the {customer} / {team} / {priority} filters backlog-by-slice.sql's grouped by
-- region. {source} is backlog_region_hourly (every slice summed: its slice columns are empty) or,
-- for a filtered request, backlog_hourly (per slice, under its own watermarks). Both keep the
-- instants within each hour of every change of the backlog (opened_offsets_ms /
-- closed_offsets_ms) and of the flows (inflow_offsets_ms / outflow_offsets_ms; 0020, 0025, 0026).
-- Per tenant, with W its watermark of that rollup ({wm_tenants} / {wm_until}; never materialised =
-- 0), the backlog at each bucket end is the backlog at an anchor plus every change after it, bucket
-- by bucket:
-- - {from} before W: the anchor is the backlog at {from}: for a whole-hour {from} the row of the
--   hour before it, else the row of {from}'s hour h less the changes of h at or after {from}. The
--   changes follow: an hour an edge falls inside ({split_hours}) change by change at its instant
--   (section `split`, left out when no hour is split: api/rollups.ts, splitParams), every other
--   hour as a whole (length(opened) - length(closed), its inflow and outflow);
-- - {from} at or after W: the anchor is the rollup's backlog at W (its hour W - 1h);
-- - from W on, the (filtered) periods opened or closed in [W, {to}), read from
--   ticket_lifecycle_recent (a period that changes at or after W belongs to a ticket with an event
--   then, which it holds), before {from} into the anchor.
-- Both sides hold the lifecycle's periods, one per slice of all four dimensions: a move into or out
-- of a filtered slice is a 'transfer' close or open (neither inflow nor outflow), and a move within
-- it (e.g. a priority change under team=) is a close and an open at the same instant, which cancel.
-- A rollup has a row for every hour of a slice with a period open in it, so a missing row is a
-- backlog of 0 with no change. A region is listed when a (filtered) period of it opened before
-- {to}, as live: an opened offset or a non-zero figure in an hour before it, or a change of the
-- edge. Unfiltered, the requested {region} is listed even without tickets, as backlog.sql lists it;
-- filtered, as backlog-by-slice.sql, it is not. Empty {tenant} / {region} / filters mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    toInt64({step_seconds:UInt32}) * 1000 AS step_ms,
    toInt64(ceil(dateDiff('millisecond', from_ts, to_ts) / step_ms)) AS bucket_count,
    toInt64(dateDiff('millisecond', from_ts, to_ts)) AS span_ms,
    toDateTime64(toStartOfHour(from_ts), 3, 'UTC') AS from_hour,
    toInt64(dateDiff('millisecond', from_hour, from_ts)) AS from_offset,
    -- Per row of the rollup before W: whether it holds the anchor and the backlog there, and
    -- whether it is a whole hour inside one bucket.
    hourly AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(region) AS region,
            toDateTime64(hour, 3, 'UTC') AS hour_ts,
            toDateTime64(
                transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')),
                3, 'UTC') AS wm,
            toInt64(dateDiff('millisecond', from_ts, hour_ts)) AS rel,
            -- The row that holds the anchor: the backlog at {from} (a whole-hour {from}: the row of
            -- the hour before; else {from}'s hour less its changes at or after {from}), or at W.
            (from_ts < wm AND if(from_offset = 0, hour_ts + toIntervalHour(1) = from_ts, hour_ts = from_hour))
                OR (from_ts >= wm AND hour_ts + toIntervalHour(1) = wm) AS is_anchor,
            -- For a whole-hour {from} the condition is constant and folded: no offsets are read.
            if(from_offset = 0 OR from_ts >= wm, backlog,
                backlog - toInt64(arrayCount(o -> o >= from_offset, opened_offsets_ms))
                    + toInt64(arrayCount(o -> o >= from_offset, closed_offsets_ms))) AS anchor_backlog,
            -- A whole hour inside one bucket.
            from_ts < wm AND hour_ts >= from_ts AND NOT has(split_hours, hour) AS is_whole,
            toUInt8(backlog != 0 OR inflow != 0 OR outflow != 0 OR notEmpty(opened_offsets_ms)) AS evidence,
            hour,
            inflow AS hour_inflow,
            outflow AS hour_outflow,
            opened_offsets_ms,
            closed_offsets_ms,
            inflow_offsets_ms,
            outflow_offsets_ms
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
    contributions AS
    (
        SELECT
            tenant,
            region,
            if(is_whole, intDiv(rel, step_ms), toInt64(-1)) AS bucket,
            multiIf(is_anchor, anchor_backlog,
                is_whole, toInt64(length(opened_offsets_ms)) - toInt64(length(closed_offsets_ms)),
                toInt64(0)) AS net,
            if(is_whole, hour_inflow, toUInt64(0)) AS inflow,
            if(is_whole, hour_outflow, toUInt64(0)) AS outflow,
            evidence
        FROM hourly
        -- section split
        UNION ALL
        -- An hour an edge falls inside: each change at its instant, those in [{from}, {to}).
        SELECT tenant, region, intDiv(rel + change.1, step_ms), change.2, change.3, change.4, toUInt8(1)
        FROM hourly
        ARRAY JOIN arrayConcat(
            arrayMap(o -> (o, toInt64(1), toUInt64(0), toUInt64(0)), opened_offsets_ms),
            arrayMap(o -> (o, toInt64(-1), toUInt64(0), toUInt64(0)), closed_offsets_ms),
            arrayMap(o -> (o, toInt64(0), toUInt64(1), toUInt64(0)), inflow_offsets_ms),
            arrayMap(o -> (o, toInt64(0), toUInt64(0), toUInt64(1)), outflow_offsets_ms)) AS change
        WHERE has(split_hours, hour)
          AND from_ts < wm
          AND hour_ts >= from_hour
          AND rel + change.1 >= 0
          AND rel + change.1 < span_ms
        -- end section split
        UNION ALL
        SELECT tenant, region,
            if(opened_at < from_ts, toInt64(-1), intDiv(dateDiff('millisecond', from_ts, opened_at), step_ms)),
            toInt64(1), toUInt64(open_kind IN ('created', 'reopened') AND opened_at >= from_ts), toUInt64(0), toUInt8(1)
        FROM edge_periods
        WHERE opened_at >= wm
        UNION ALL
        SELECT tenant, region,
            if(assumeNotNull(closed_at) < from_ts, toInt64(-1),
                intDiv(dateDiff('millisecond', from_ts, assumeNotNull(closed_at)), step_ms)),
            toInt64(-1), toUInt64(0), toUInt64(close_kind != 'transfer' AND closed_at >= from_ts), toUInt8(1)
        FROM edge_periods
        WHERE closed_at IS NOT NULL AND closed_at >= wm AND closed_at < to_ts
    ),
    per_bucket AS
    (
        SELECT tenant, region, bucket, sum(net) AS net, sum(inflow) AS inflow, sum(outflow) AS outflow,
            max(evidence) AS evidence
        FROM contributions
        GROUP BY tenant, region, bucket
    ),
    -- Dense per tenant and region, position i = bucket i - 1; the backlog at a bucket's end is the
    -- running sum from the anchor.
    per_tenant_region AS
    (
        SELECT
            tenant,
            region,
            arrayCumSum(arrayResize(groupArrayInsertAt(net, toUInt32(bucket + 1)), bucket_count + 1)) AS backlogs,
            arrayResize(groupArrayInsertAt(inflow, toUInt32(bucket + 1)), bucket_count + 1) AS inflows,
            arrayResize(groupArrayInsertAt(outflow, toUInt32(bucket + 1)), bucket_count + 1) AS outflows,
            max(evidence) AS evidence
        FROM per_bucket
        GROUP BY tenant, region
    ),
    per_region AS
    (
        SELECT region, bucket, sum(backlog) AS backlog, sum(inflow) AS inflow, sum(outflow) AS outflow,
            max(evidence) AS evidence
        FROM per_tenant_region
        ARRAY JOIN
            range(toInt64(-1), bucket_count) AS bucket,
            backlogs AS backlog,
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
