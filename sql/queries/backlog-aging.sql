-- Open tickets at {at} per region by age, age = {at} - the ticket's creation (not the start of its
-- current period: a reopened or moved ticket keeps its age). Open at {at} = a backlog period began
-- before {at} and had not ended before it (backlog.sql's convention). Buckets are half-open:
-- [0, 1d) [1d, 3d) [3d, 7d) [7d, 28d) [28d, ...). A ticket has at most one period open at an instant,
-- so each open ticket counts once. Empty {tenant} / {region} / {team} mean all.
WITH
    {at:DateTime64(3, 'UTC')} AS at_ts,
    86400000 AS day_ms,
    open_tickets AS
    (
        SELECT iv_region AS region, dateDiff('millisecond', created_at, at_ts) AS age_ms
        FROM ticket_lifecycle FINAL
        ARRAY JOIN iv_region, iv_team, iv_opened_at, iv_closed_at
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR iv_region = {region:String})
          AND ({team:String} = '' OR iv_team = {team:String})
          AND iv_opened_at < at_ts
          AND (iv_closed_at IS NULL OR iv_closed_at >= at_ts)
    )
SELECT
    region,
    countIf(age_ms < day_ms) AS under_1d,
    countIf(age_ms >= day_ms AND age_ms < 3 * day_ms) AS d1_to_3d,
    countIf(age_ms >= 3 * day_ms AND age_ms < 7 * day_ms) AS d3_to_7d,
    countIf(age_ms >= 7 * day_ms AND age_ms < 28 * day_ms) AS d7_to_28d,
    countIf(age_ms >= 28 * day_ms) AS over_28d,
    count() AS open,
    intDiv(max(age_ms), 1000) AS oldest_age_seconds
FROM open_tickets
GROUP BY region
ORDER BY region
