-- Headcount per region at the end of each bucket of {step_seconds} from {from} to {to}: the FTE and
-- the number of roster members whose membership began before the bucket's end and had not ended
-- by then (the same "state once every event before the end has happened" as backlog.sql, so the
-- two series line up point by point). Empty {tenant} / {region} / {team} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    toInt64({step_seconds:UInt32}) * 1000 AS step_ms,
    toInt64(ceil(dateDiff('millisecond', from_ts, to_ts) / step_ms)) AS bucket_count,
    periods AS
    (
        SELECT m_region AS region, m_fte AS fte, m_from AS start_at, m_to AS end_at
        FROM agent_membership FINAL
        ARRAY JOIN m_region, m_team, m_fte, m_from, m_to
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR m_region = {region:String})
          AND ({team:String} = '' OR m_team = {team:String})
          AND m_from < to_ts
    ),
    changes AS
    (
        SELECT region, start_at AS at, fte AS delta_fte, toInt64(1) AS delta_members
        FROM periods
        UNION ALL
        SELECT region, assumeNotNull(end_at), -fte, toInt64(-1)
        FROM periods
        WHERE end_at IS NOT NULL AND end_at < to_ts
    ),
    per_bucket AS
    (
        SELECT
            region,
            if(at < from_ts, toInt64(-1), intDiv(dateDiff('millisecond', from_ts, at), step_ms)) AS bucket,
            sum(delta_fte) AS net_fte,
            sum(delta_members) AS net_members
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
            sum(p.net_fte) OVER w AS fte,
            sum(p.net_members) OVER w AS members
        FROM grid AS g
        LEFT JOIN per_bucket AS p ON p.region = g.region AND p.bucket = g.bucket
        WINDOW w AS (PARTITION BY g.region ORDER BY g.bucket ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
SELECT
    region,
    toString(from_ts + toIntervalMillisecond(bucket * step_ms)) AS bucket_start,
    toString(least(from_ts + toIntervalMillisecond((bucket + 1) * step_ms), to_ts)) AS bucket_end,
    -- FTE are fractions; summing deltas in floating point can leave 1e-15 residues
    round(fte, 3) AS headcount,
    toInt64(members) AS members
FROM series
WHERE bucket >= 0
ORDER BY region, bucket
