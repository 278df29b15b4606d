-- Backlog against headcount per region over the window of {window_days} days ending at {at}
-- (the design's W: 7 or 28). B and H at a boundary x are the state once every event before x has
-- happened: a ticket period / membership that began before x and had not ended before x — the same
-- convention as backlog.sql and headcount.sql, so B(start) and B(end) are points of those series.
--   backlog growth   = (B(end) - B(start)) / max(B(start), 1)                     (in %)
--   headcount growth = (H(end) - H(start)) / H(start) when H(start) > 0; 0 when H stays 0;
--                      NULL when H rises from 0 (no meaningful percentage)       (in %)
--   load             = B / H, NULL when H = 0
--   gap              = backlog growth - headcount growth, in percentage points (NULL with it)
-- Empty {tenant} / {region} / {team} mean all; {team} restricts both tickets and roster members.
WITH
    {at:DateTime64(3, 'UTC')} AS end_ts,
    end_ts - toIntervalDay({window_days:UInt16}) AS start_ts,
    backlog AS
    (
        SELECT
            iv_region AS region,
            countIf(iv_opened_at < start_ts AND (iv_closed_at IS NULL OR iv_closed_at >= start_ts)) AS b_start,
            countIf(iv_closed_at IS NULL OR iv_closed_at >= end_ts) AS b_end
        FROM ticket_lifecycle FINAL
        ARRAY JOIN iv_region, iv_team, iv_opened_at, iv_closed_at
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR iv_region = {region:String})
          AND ({team:String} = '' OR iv_team = {team:String})
          AND iv_opened_at < end_ts
          AND (iv_closed_at IS NULL OR iv_closed_at >= start_ts)
        GROUP BY region
    ),
    staff AS
    (
        SELECT
            m_region AS region,
            sumIf(m_fte, m_from < start_ts AND (m_to IS NULL OR m_to >= start_ts)) AS h_start,
            sumIf(m_fte, m_to IS NULL OR m_to >= end_ts) AS h_end
        FROM agent_membership FINAL
        ARRAY JOIN m_region, m_team, m_fte, m_from, m_to
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR m_region = {region:String})
          AND ({team:String} = '' OR m_team = {team:String})
          AND m_from < end_ts
          AND (m_to IS NULL OR m_to >= start_ts)
        GROUP BY region
    ),
    combined AS
    (
        SELECT region, sum(b_start) AS b_start, sum(b_end) AS b_end,
               round(sum(h_start), 3) AS h_start, round(sum(h_end), 3) AS h_end
        FROM
        (
            SELECT region, b_start, b_end, toFloat64(0) AS h_start, toFloat64(0) AS h_end FROM backlog
            UNION ALL
            SELECT region, toUInt64(0), toUInt64(0), h_start, h_end FROM staff
            UNION ALL
            SELECT {region:String}, toUInt64(0), toUInt64(0), toFloat64(0), toFloat64(0) WHERE {region:String} != ''
        )
        GROUP BY region
    ),
    growth AS
    (
        SELECT
            *,
            100 * (toFloat64(b_end) - b_start) / greatest(b_start, 1) AS backlog_growth,
            multiIf(h_start > 0, 100 * (h_end - h_start) / h_start, h_end = 0, 0, NULL) AS headcount_growth
        FROM combined
    )
SELECT
    region,
    toString(start_ts) AS window_start,
    toString(end_ts) AS window_end,
    toInt64(b_start) AS backlog_start,
    toInt64(b_end) AS backlog_end,
    round(backlog_growth, 4) AS backlog_growth_pct,
    h_start AS headcount_start,
    h_end AS headcount_end,
    round(headcount_growth, 4) AS headcount_growth_pct,
    if(h_start > 0, round(b_start / h_start, 4), NULL) AS load_start,
    if(h_end > 0, round(b_end / h_end, 4), NULL) AS load_end,
    round(backlog_growth - headcount_growth, 4) AS gap_pp
FROM growth
ORDER BY region
