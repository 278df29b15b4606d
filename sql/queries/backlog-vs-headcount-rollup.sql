-- backlog-vs-headcount.sql's answer with B(start) and B(end) read from the region rollup plus the
-- open edge instead of the periods (headcount as there: agent_membership is small). Per tenant,
-- with W its watermark ({wm_tenants} / {wm_until}; never materialised = 0), B at an instant x
-- (open at x: opened before x, not closed before x, as live) is:
-- - x < W: the rollup's backlog at the start h of x's hour (its row of hour h - 1h, 0 if none) plus
--   the periods of hour h's row opened before x minus those closed before x (its sorted
--   opened_offsets_ms / closed_offsets_ms below x - h; nothing when x is a whole hour);
-- - x >= W: the rollup's backlog at W (its hour W - 1h, 0 if none) plus the changes of the periods
--   opened or closed in [W, x), read from ticket_lifecycle_recent (see backlog-instants-rollup.sql).
-- So `at` may be any instant (W is a whole hour: an hour is either wholly before it or not). A
-- region is listed when a period of it was open during the window [start, end), as live:
-- B(start) > 0, or a period opened or closed in [start, end) (an offset in that span of an hour
-- before W, inflow or outflow of an hour wholly inside it, or a change of the edge), or a backlog
-- > 0 at an hour end inside the window.
-- {source} is backlog_region_hourly (every slice summed; {team} empty) or, for a team, the
-- per-slice backlog_hourly under its own watermarks, which keeps the same offsets per slice
-- (0026_backlog_slice_offsets.sql). Headcount as live, {team} included.
WITH
    {at:DateTime64(3, 'UTC')} AS end_ts,
    end_ts - toIntervalDay({window_days:UInt16}) AS start_ts,
    toDateTime64(toStartOfHour(start_ts), 3, 'UTC') AS start_hour,
    toDateTime64(toStartOfHour(end_ts), 3, 'UTC') AS end_hour,
    toUInt32(dateDiff('millisecond', start_hour, start_ts)) AS start_offset,
    toUInt32(dateDiff('millisecond', end_hour, end_ts)) AS end_offset,
    hourly AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(region) AS region,
            toDateTime64(hour, 3, 'UTC') AS hour_start,
            hour_start + toIntervalHour(1) AS hour_end,
            backlog,
            inflow,
            outflow,
            -- The row's periods opened / closed in the window's part of the hour, and before x.
            greatest(toInt64(dateDiff('millisecond', hour_start, start_ts)), 0) AS lo,
            least(toInt64(dateDiff('millisecond', hour_start, end_ts)), 3600000) AS hi,
            arrayExists(o -> o >= lo AND o < hi, opened_offsets_ms)
                OR arrayExists(o -> o >= lo AND o < hi, closed_offsets_ms) AS changed_in_window,
            toInt64(arrayCount(o -> o < start_offset, opened_offsets_ms))
                - toInt64(arrayCount(o -> o < start_offset, closed_offsets_ms)) AS change_to_start,
            toInt64(arrayCount(o -> o < end_offset, opened_offsets_ms))
                - toInt64(arrayCount(o -> o < end_offset, closed_offsets_ms)) AS change_to_end,
            toDateTime64(
                transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')),
                3, 'UTC') AS wm
        FROM {source:Identifier} FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND ({team:String} = '' OR team = {team:String})
          AND hour_start < end_ts
          AND hour_end <= wm
          AND (hour_end >= start_hour OR hour_end = wm)
    ),
    edge_periods AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(iv_region) AS region,
            iv_opened_at AS opened_at,
            iv_closed_at AS closed_at,
            toDateTime64(
                transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')),
                3, 'UTC') AS wm
        FROM ticket_lifecycle_recent FINAL
        ARRAY JOIN iv_region, iv_team, iv_opened_at, iv_closed_at
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR iv_region = {region:String})
          AND ({team:String} = '' OR iv_team = {team:String})
          AND iv_opened_at < end_ts
          AND (iv_opened_at >= wm OR (iv_closed_at IS NOT NULL AND iv_closed_at >= wm AND iv_closed_at < end_ts))
    ),
    contributions AS
    (
        SELECT
            tenant,
            region,
            wm,
            if(hour_end = start_hour, backlog, 0) + if(hour_start = start_hour, change_to_start, 0) AS level_start,
            if(hour_end = end_hour, backlog, 0) + if(hour_start = end_hour, change_to_end, 0) AS level_end,
            toInt64(if(hour_end = wm, backlog, 0)) AS base,
            toInt64(0) AS change_before_start,
            toInt64(0) AS change_before_end,
            toUInt8(changed_in_window OR (hour_end > start_ts AND hour_end <= end_ts
                AND (backlog != 0 OR (hour_start >= start_ts AND (inflow != 0 OR outflow != 0))))) AS in_window
        FROM hourly
        UNION ALL
        SELECT tenant, region, wm, toInt64(0), toInt64(0), toInt64(0),
            toInt64(opened_at < start_ts), toInt64(1), toUInt8(opened_at >= start_ts)
        FROM edge_periods
        WHERE opened_at >= wm
        UNION ALL
        SELECT tenant, region, wm, toInt64(0), toInt64(0), toInt64(0),
            -toInt64(assumeNotNull(closed_at) < start_ts), toInt64(-1), toUInt8(assumeNotNull(closed_at) >= start_ts)
        FROM edge_periods
        WHERE closed_at IS NOT NULL AND closed_at >= wm AND closed_at < end_ts
    ),
    per_tenant AS
    (
        SELECT
            tenant,
            region,
            if(start_ts <= any(wm), sum(level_start), sum(base) + sum(change_before_start)) AS tenant_b_start,
            if(end_ts <= any(wm), sum(level_end), sum(base) + sum(change_before_end)) AS tenant_b_end,
            max(in_window) AS in_window
        FROM contributions
        GROUP BY tenant, region
    ),
    backlog AS
    (
        SELECT region, sum(tenant_b_start) AS b_start, sum(tenant_b_end) AS b_end
        FROM per_tenant
        GROUP BY region
        HAVING max(in_window) = 1 OR sum(tenant_b_start) != 0
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
            SELECT region, toInt64(0), toInt64(0), h_start, h_end FROM staff
            UNION ALL
            SELECT {region:String}, toInt64(0), toInt64(0), toFloat64(0), toFloat64(0) WHERE {region:String} != ''
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
