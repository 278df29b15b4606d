-- backlog.sql's answer (per region and hour: backlog at the hour's end, inflow, outflow) read from
-- the backlog_hourly rollup instead of the periods, summed over the other slice columns. Same
-- parameters as backlog.sql, but hourly buckets only ({step_seconds} is ignored; {from} / {to} are
-- whole hours), and the series stops at the tenant's watermark: later hours are not materialised
-- yet, the caller computes them live with backlog.sql. A missing slice row means 0. Empty {region}
-- means all regions; {tenant} is required.
WITH
    toDateTime({from:DateTime64(3, 'UTC')}, 'UTC') AS from_ts,
    least(toDateTime({to:DateTime64(3, 'UTC')}, 'UTC'), (
        SELECT max(materialised_until) FROM backlog_watermark FINAL WHERE tenant = {tenant:String}
    )) AS to_ts,
    toInt64(greatest(dateDiff('hour', from_ts, to_ts), 0)) AS bucket_count,
    per_hour AS
    (
        SELECT toString(region) AS region, hour, sum(backlog) AS backlog, sum(inflow) AS inflow, sum(outflow) AS outflow
        FROM backlog_hourly FINAL
        WHERE tenant = {tenant:String}
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= from_ts AND hour < to_ts
        GROUP BY region, hour
    ),
    regions AS
    (
        SELECT DISTINCT toString(region) AS region
        FROM backlog_hourly
        WHERE tenant = {tenant:String} AND ({region:String} = '' OR region = {region:String}) AND hour < to_ts
        UNION DISTINCT
        SELECT {region:String} WHERE {region:String} != ''
    ),
    grid AS
    (
        SELECT region, from_ts + toIntervalHour(arrayJoin(range(bucket_count))) AS hour FROM regions
    )
SELECT
    g.region AS region,
    toString(toDateTime64(g.hour, 3, 'UTC')) AS bucket_start,
    toString(toDateTime64(g.hour + toIntervalHour(1), 3, 'UTC')) AS bucket_end,
    toInt64(p.backlog) AS backlog,
    toUInt64(p.inflow) AS inflow,
    toUInt64(p.outflow) AS outflow
FROM grid AS g
LEFT JOIN per_hour AS p ON p.region = g.region AND p.hour = g.hour
ORDER BY region, g.hour
