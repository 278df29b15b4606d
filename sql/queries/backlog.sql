-- Backlog per region at the end of each bucket of {step_seconds} from {from} to {to}, with the
-- bucket's inflow (created + reopened) and outflow (resolved, closed or cancelled while open).
-- A bucket's backlog counts every period opened before the bucket's end and not closed by then.
-- Empty {tenant} / {region} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    toInt64({step_seconds:UInt32}) * 1000 AS step_ms,
    toInt64(ceil(dateDiff('millisecond', from_ts, to_ts) / step_ms)) AS bucket_count,
    periods AS
    (
        SELECT
            iv_region AS region,
            iv_opened_at AS opened_at,
            iv_open_kind AS open_kind,
            iv_closed_at AS closed_at,
            iv_close_kind AS close_kind
        FROM ticket_lifecycle FINAL
        ARRAY JOIN iv_region, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR iv_region = {region:String})
          AND iv_opened_at < to_ts
    ),
    changes AS
    (
        SELECT region, opened_at AS at, 1 AS delta, open_kind IN ('created', 'reopened') AS is_inflow, 0 AS is_outflow
        FROM periods
        UNION ALL
        SELECT region, assumeNotNull(closed_at), -1, 0, close_kind != 'transfer'
        FROM periods
        WHERE closed_at IS NOT NULL AND closed_at < to_ts
    ),
    per_bucket AS
    (
        SELECT
            region,
            if(at < from_ts, toInt64(-1), intDiv(dateDiff('millisecond', from_ts, at), step_ms)) AS bucket,
            sum(delta) AS net,
            sum(is_inflow) AS inflow,
            sum(is_outflow) AS outflow
        FROM changes
        GROUP BY region, bucket
    ),
    grid AS
    (
        SELECT region, arrayJoin(range(toInt64(-1), bucket_count)) AS bucket
        FROM (SELECT DISTINCT region FROM changes UNION DISTINCT SELECT {region:String} WHERE {region:String} != '')
    ),
    series AS
    (
        SELECT
            g.region AS region,
            g.bucket AS bucket,
            p.inflow AS inflow,
            p.outflow AS outflow,
            sum(p.net) OVER (PARTITION BY g.region ORDER BY g.bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS backlog
        FROM grid AS g
        LEFT JOIN per_bucket AS p ON p.region = g.region AND p.bucket = g.bucket
    )
SELECT
    region,
    toString(from_ts + toIntervalMillisecond(bucket * step_ms)) AS bucket_start,
    toString(least(from_ts + toIntervalMillisecond((bucket + 1) * step_ms), to_ts)) AS bucket_end,
    toInt64(backlog) AS backlog,
    toUInt64(inflow) AS inflow,
    toUInt64(outflow) AS outflow
FROM series
WHERE bucket >= 0
ORDER BY region, bucket
