-- Weekly review: backlog at each instant of {bounds} (ascending; the review passes the local
-- midnights of its two weeks) and the inflow / outflow between consecutive instants, with
-- backlog.sql's definitions: the backlog at t counts the periods opened before t and not closed
-- before t; inflow = periods opened by a creation or a reopen, outflow = periods closed by a
-- resolution, closure or cancellation (moves between regions are neither). Row idx i is
-- bounds[i + 1] (0-based); inflow and outflow of idx 0 are 0. Days without periods have no row.
-- Empty {tenant} / {region} mean all.
WITH
    {bounds:Array(DateTime64(3, 'UTC'))} AS bounds,
    bounds[1] AS first_ts,
    bounds[length(bounds)] AS last_ts
SELECT
    toUInt32(i - 1) AS idx,
    toUInt64(countIf(opened_at < bounds[i] AND (closed_at IS NULL OR closed_at >= bounds[i]))) AS backlog,
    toUInt64(countIf(i > 1 AND open_kind IN ('created', 'reopened')
        AND opened_at >= bounds[i - 1] AND opened_at < bounds[i])) AS inflow,
    toUInt64(countIf(i > 1 AND close_kind != 'transfer' AND closed_at IS NOT NULL
        AND closed_at >= bounds[i - 1] AND closed_at < bounds[i])) AS outflow
FROM
(
    SELECT iv_opened_at AS opened_at, iv_open_kind AS open_kind, iv_closed_at AS closed_at, iv_close_kind AS close_kind
    FROM ticket_lifecycle FINAL
    ARRAY JOIN iv_region, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR iv_region = {region:String})
      AND iv_opened_at < last_ts
      AND (iv_closed_at IS NULL OR iv_closed_at >= first_ts)
)
ARRAY JOIN arrayEnumerate(bounds) AS i
GROUP BY i
ORDER BY i
