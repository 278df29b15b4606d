-- Backlog per slice at the end of each bucket of {step_seconds} from {from} to {to}, with the
-- bucket's inflow and outflow: backlog.sql with the grouping dimension chosen by {group_by}, one of
-- region | team | priority | customer. The dimension is picked by a multiIf over that parameter
-- (never spliced into the SQL); any other value fails the query. Moves between slices of the
-- chosen dimension are neither inflow nor outflow. Empty filters mean all.
WITH
    {group_by:String} AS dim,
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    toInt64({step_seconds:UInt32}) * 1000 AS step_ms,
    toInt64(ceil(dateDiff('millisecond', from_ts, to_ts) / step_ms)) AS bucket_count,
    periods AS
    (
        SELECT
            toString(multiIf(dim = 'region', iv_region, dim = 'team', iv_team, dim = 'priority', iv_priority, iv_customer)) AS slice,
            iv_opened_at AS opened_at,
            iv_open_kind AS open_kind,
            iv_closed_at AS closed_at,
            iv_close_kind AS close_kind
        FROM ticket_lifecycle FINAL
        ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
        WHERE throwIf(dim NOT IN ('region', 'team', 'priority', 'customer'), 'group_by must be region, team, priority or customer') = 0
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR iv_region = {region:String})
          AND ({team:String} = '' OR iv_team = {team:String})
          AND ({priority:String} = '' OR iv_priority = {priority:String})
          AND ({customer:String} = '' OR iv_customer = {customer:String})
          AND iv_opened_at < to_ts
    ),
    -- Consecutive periods of one ticket in the same slice of the chosen dimension (e.g. a priority
    -- change seen by region) join up: the close and the open at the same instant cancel out.
    changes AS
    (
        SELECT slice, opened_at AS at, 1 AS delta, open_kind IN ('created', 'reopened') AS is_inflow, 0 AS is_outflow
        FROM periods
        UNION ALL
        SELECT slice, assumeNotNull(closed_at), -1, 0, close_kind != 'transfer'
        FROM periods
        WHERE closed_at IS NOT NULL AND closed_at < to_ts
    ),
    per_bucket AS
    (
        SELECT
            slice,
            if(at < from_ts, toInt64(-1), intDiv(dateDiff('millisecond', from_ts, at), step_ms)) AS bucket,
            sum(delta) AS net,
            sum(is_inflow) AS inflow,
            sum(is_outflow) AS outflow
        FROM changes
        GROUP BY slice, bucket
    ),
    grid AS
    (
        SELECT slice, arrayJoin(range(toInt64(-1), bucket_count)) AS bucket
        FROM (SELECT DISTINCT slice FROM changes)
    ),
    series AS
    (
        SELECT
            g.slice AS slice,
            g.bucket AS bucket,
            p.inflow AS inflow,
            p.outflow AS outflow,
            sum(p.net) OVER (PARTITION BY g.slice ORDER BY g.bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS backlog
        FROM grid AS g
        LEFT JOIN per_bucket AS p ON p.slice = g.slice AND p.bucket = g.bucket
    )
SELECT
    dim AS dimension,
    slice,
    toString(from_ts + toIntervalMillisecond(bucket * step_ms)) AS bucket_start,
    toString(least(from_ts + toIntervalMillisecond((bucket + 1) * step_ms), to_ts)) AS bucket_end,
    toInt64(backlog) AS backlog,
    toUInt64(inflow) AS inflow,
    toUInt64(outflow) AS outflow
FROM series
WHERE bucket >= 0
ORDER BY slice, bucket
