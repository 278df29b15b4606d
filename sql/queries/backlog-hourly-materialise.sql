-- Recomputes backlog_hourly for one tenant and the closed hours [from, to), for every slice
-- (customer, region, team, priority), from ticket_lifecycle FINAL, with backlog.sql's definitions.
-- Every slice that has a period overlapping the range, or a non-zero row already stored in it, gets
-- a row for every hour (0 included), so a slice whose backlog dropped to 0, or whose only changes
-- in an hour moved out of it, is overwritten too. As backlog_region_hourly's
-- (backlog-region-hourly-materialise.sql), each row keeps the instants within its hour of every
-- period opened / closed, transfers included, and of the inflow and outflow alone, in milliseconds
-- since the hour's start, sorted (0026_backlog_slice_offsets.sql): backlog = previous hour's backlog
-- + length(opened) - length(closed).
INSERT INTO backlog_hourly (tenant, customer, region, team, priority, hour, backlog, inflow, outflow,
    opened_offsets_ms, closed_offsets_ms, inflow_offsets_ms, outflow_offsets_ms, version)
WITH
    toDateTime64({from:DateTime('UTC')}, 3, 'UTC') AS from_ts,
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    toInt64(3600000) AS step_ms,
    toInt64(dateDiff('hour', from_ts, to_ts)) AS bucket_count,
    periods AS
    (
        SELECT
            iv_customer AS customer,
            iv_region AS region,
            iv_team AS team,
            iv_priority AS priority,
            iv_opened_at AS opened_at,
            iv_open_kind AS open_kind,
            iv_closed_at AS closed_at,
            iv_close_kind AS close_kind
        FROM ticket_lifecycle FINAL
        ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
        WHERE tenant = {tenant:String}
          AND iv_opened_at < to_ts
    ),
    changes AS
    (
        SELECT customer, region, team, priority, opened_at AS at, 1 AS delta,
            open_kind IN ('created', 'reopened') AS is_inflow, 0 AS is_outflow
        FROM periods
        UNION ALL
        SELECT customer, region, team, priority, assumeNotNull(closed_at), -1, 0, close_kind != 'transfer'
        FROM periods
        WHERE closed_at IS NOT NULL AND closed_at < to_ts
    ),
    per_bucket AS
    (
        SELECT
            customer, region, team, priority,
            if(at < from_ts, toInt64(-1), intDiv(dateDiff('millisecond', from_ts, at), step_ms)) AS bucket,
            sum(delta) AS net,
            sum(is_inflow) AS inflow,
            sum(is_outflow) AS outflow,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(at) % step_ms), delta = 1 AND at >= from_ts)) AS opened_offsets,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(at) % step_ms), delta = -1 AND at >= from_ts)) AS closed_offsets,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(at) % step_ms), is_inflow = 1 AND at >= from_ts)) AS inflow_offsets,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(at) % step_ms), is_outflow = 1 AND at >= from_ts)) AS outflow_offsets
        FROM changes
        GROUP BY customer, region, team, priority, bucket
    ),
    slices AS
    (
        SELECT DISTINCT toString(customer) AS customer, toString(region) AS region,
            toString(team) AS team, toString(priority) AS priority
        FROM periods
        WHERE closed_at IS NULL OR closed_at >= from_ts
        UNION DISTINCT
        SELECT DISTINCT toString(customer), toString(region), toString(team), toString(priority)
        FROM backlog_hourly FINAL
        WHERE tenant = {tenant:String} AND hour >= from_ts AND hour < to_ts
          AND (backlog != 0 OR inflow != 0 OR outflow != 0 OR notEmpty(opened_offsets_ms) OR notEmpty(closed_offsets_ms))
    ),
    grid AS
    (
        SELECT customer, region, team, priority, arrayJoin(range(toInt64(-1), bucket_count)) AS bucket
        FROM slices
    ),
    series AS
    (
        SELECT
            g.customer AS customer,
            g.region AS region,
            g.team AS team,
            g.priority AS priority,
            g.bucket AS bucket,
            p.inflow AS inflow,
            p.outflow AS outflow,
            p.opened_offsets AS opened_offsets,
            p.closed_offsets AS closed_offsets,
            p.inflow_offsets AS inflow_offsets,
            p.outflow_offsets AS outflow_offsets,
            sum(p.net) OVER (
                PARTITION BY g.customer, g.region, g.team, g.priority
                ORDER BY g.bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS backlog
        FROM grid AS g
        LEFT JOIN per_bucket AS p
            ON p.customer = g.customer AND p.region = g.region AND p.team = g.team
            AND p.priority = g.priority AND p.bucket = g.bucket
    )
SELECT
    {tenant:String},
    customer,
    region,
    team,
    priority,
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
