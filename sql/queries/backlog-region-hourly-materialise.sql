-- Recomputes backlog_region_hourly for one tenant and the closed hours [from, to), per region, from
-- ticket_lifecycle FINAL, with backlog.sql's definitions: the backlog at each hour's end and the
-- hour's inflow (created + reopened) and outflow (resolved, closed or cancelled while open). Every
-- region that has a period overlapping the range, or a non-zero row (a figure or an offset) already
-- stored in it, gets a row for every hour (0 included), so a region whose backlog dropped to 0, or
-- whose only changes in an hour moved out of it, is overwritten too.
-- Inflow counts the periods opened as 'created' or 'reopened', outflow those closed otherwise than
-- by 'transfer' (a move to another region, team, priority or customer closes a period and opens
-- the next one, both 'transfer': neither inflow nor outflow). The backlog, though, changes with
-- every open and close, transfers included; so that the backlog at any instant inside an hour can
-- be told (backlog-vs-headcount-rollup.sql), opened_offsets_ms / closed_offsets_ms keep the instant
-- of every period opened / closed in the hour, transfers included, in milliseconds since the hour's
-- start (the periods' precision), sorted: their lengths are inflow + transfer opens and outflow +
-- transfer closes, and backlog = previous hour's backlog + length(opened) - length(closed).
-- inflow_offsets_ms / outflow_offsets_ms keep the instants of the inflow and the outflow alone
-- (0025_backlog_region_flow_offsets.sql), so that a bucket edge inside an hour splits its flows
-- too (backlog-instants-rollup.sql).
INSERT INTO backlog_region_hourly (tenant, region, hour, backlog, inflow, outflow, opened_offsets_ms,
    closed_offsets_ms, inflow_offsets_ms, outflow_offsets_ms, version)
WITH
    toDateTime64({from:DateTime('UTC')}, 3, 'UTC') AS from_ts,
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    toInt64(3600000) AS step_ms,
    toInt64(dateDiff('hour', from_ts, to_ts)) AS bucket_count,
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
        WHERE tenant = {tenant:String}
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
            sum(is_outflow) AS outflow,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(at) % step_ms), delta = 1 AND at >= from_ts)) AS opened_offsets,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(at) % step_ms), delta = -1 AND at >= from_ts)) AS closed_offsets,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(at) % step_ms), is_inflow = 1 AND at >= from_ts)) AS inflow_offsets,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(at) % step_ms), is_outflow = 1 AND at >= from_ts)) AS outflow_offsets
        FROM changes
        GROUP BY region, bucket
    ),
    regions AS
    (
        SELECT DISTINCT toString(region) AS region
        FROM periods
        WHERE closed_at IS NULL OR closed_at >= from_ts
        UNION DISTINCT
        SELECT DISTINCT toString(region)
        FROM backlog_region_hourly FINAL
        WHERE tenant = {tenant:String} AND hour >= from_ts AND hour < to_ts
          AND (backlog != 0 OR inflow != 0 OR outflow != 0 OR notEmpty(opened_offsets_ms) OR notEmpty(closed_offsets_ms))
    ),
    grid AS
    (
        SELECT region, arrayJoin(range(toInt64(-1), bucket_count)) AS bucket
        FROM regions
    ),
    series AS
    (
        SELECT
            g.region AS region,
            g.bucket AS bucket,
            p.inflow AS inflow,
            p.outflow AS outflow,
            p.opened_offsets AS opened_offsets,
            p.closed_offsets AS closed_offsets,
            p.inflow_offsets AS inflow_offsets,
            p.outflow_offsets AS outflow_offsets,
            sum(p.net) OVER (PARTITION BY g.region ORDER BY g.bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS backlog
        FROM grid AS g
        LEFT JOIN per_bucket AS p ON p.region = g.region AND p.bucket = g.bucket
    )
SELECT
    {tenant:String},
    region,
    toDateTime(from_ts + toIntervalHour(bucket), 'UTC'),
    toInt64(backlog),
    toUInt64(inflow),
    toUInt64(outflow),
    opened_offsets,
    closed_offsets,
    inflow_offsets,
    outflow_offsets,
    {version:UInt64}
FROM series
WHERE bucket >= 0
