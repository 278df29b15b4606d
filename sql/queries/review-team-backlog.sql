-- Weekly review, behind the backlog change: per team of the region over [{from}, {to}), the
-- backlog at the start and at the end (review-flow.sql's definition), the inflow and outflow, and
-- the net moves in and out (team or region changes), largest growth first, at most {limit} teams.
-- A team whose four figures are all 0 (every period of it in the window was moved in and out again
-- within it) is left out: it shows nothing to act on, and the hourly rollup
-- (review-team-backlog-rollup.sql) cannot see one moved in and out within an hour. Empty
-- {tenant} / {region} mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts
SELECT
    team,
    toInt64(countIf(opened_at < from_ts)) AS backlog_start,
    toInt64(countIf(closed_at IS NULL OR closed_at >= to_ts)) AS backlog_end,
    backlog_end - backlog_start AS growth,
    toUInt64(countIf(opened_at >= from_ts AND open_kind IN ('created', 'reopened'))) AS inflow,
    toUInt64(countIf(closed_at IS NOT NULL AND closed_at < to_ts AND close_kind != 'transfer')) AS outflow
FROM
(
    SELECT iv_team AS team, iv_opened_at AS opened_at, iv_open_kind AS open_kind,
           iv_closed_at AS closed_at, iv_close_kind AS close_kind
    FROM ticket_lifecycle FINAL
    ARRAY JOIN iv_region, iv_team, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR iv_region = {region:String})
      AND iv_opened_at < to_ts
      AND (iv_closed_at IS NULL OR iv_closed_at >= from_ts)
)
GROUP BY team
HAVING backlog_start != 0 OR backlog_end != 0 OR inflow != 0 OR outflow != 0
ORDER BY growth DESC, backlog_end DESC, team
LIMIT {limit:UInt32}
