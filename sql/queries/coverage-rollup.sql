-- coverage.sql's answer with the inflow read from the region rollups (api/rollups.ts): created +
-- reopened per region from backlog_region_hourly (the same periods, kinds and region as
-- coverage.sql's inflow) for the whole hours before each tenant's watermark, and from
-- ticket_lifecycle_recent at or after it (a period opened then belongs to a ticket with an event
-- since, so its row is recent). An hour that lies in one local hour of week and wholly inside the
-- range is counted as a whole; any other (a zone 30 or 45 minutes off UTC puts a UTC hour in two
-- local hours, and {from} / {to} may fall inside an hour) is read period by period from its
-- inflow_offsets_ms (0025_backlog_region_flow_offsets.sql), each at its own instant. Shifts are
-- read from agent_shifts as in coverage.sql (a small table). {wm_tenants} / {wm_until} give each
-- tenant's watermark (a tenant missing has none: all of it is edge); the other parameters are
-- coverage.sql's.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    toInt64(900000) AS quarter_ms,
    toInt64(intDiv(dateDiff('millisecond', from_ts, to_ts), quarter_ms)) AS quarter_count,
    quarters AS
    (
        SELECT
            q,
            from_ts + toIntervalMillisecond(q * quarter_ms) AS q_start,
            (toDayOfWeek(toTimeZone(q_start, {tz:String})) - 1) * 24 + toHour(toTimeZone(q_start, {tz:String})) AS how
        FROM (SELECT arrayJoin(range(quarter_count)) AS q)
    ),
    exposure AS
    (
        SELECT how, count() / 4 AS hours
        FROM quarters
        GROUP BY how
    ),
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    from_ts + toIntervalMillisecond(quarter_count * quarter_ms) AS end_ts,
    inflow AS
    (
        SELECT region, how, sum(n) AS inflow
        FROM
        (
            SELECT
                toString(region) AS region,
                (toDayOfWeek(toTimeZone(hour, {tz:String})) - 1) * 24 + toHour(toTimeZone(hour, {tz:String})) AS how,
                inflow AS n
            FROM backlog_region_hourly FINAL
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
              AND NOT has({exclude_regions:Array(String)}, region)
              AND inflow > 0
              AND hour >= from_ts
              AND hour + toIntervalHour(1) <= end_ts
              AND toMinute(toTimeZone(hour, {tz:String})) = 0
              AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
            UNION ALL
            SELECT
                toString(region),
                (toDayOfWeek(toTimeZone(at, {tz:String})) - 1) * 24 + toHour(toTimeZone(at, {tz:String})),
                toUInt64(1)
            FROM backlog_region_hourly FINAL
            ARRAY JOIN arrayMap(o -> toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(o), inflow_offsets_ms) AS at
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, region))
              AND NOT has({exclude_regions:Array(String)}, region)
              AND inflow > 0
              AND hour >= toStartOfHour(from_ts)
              AND hour < end_ts
              AND NOT (hour >= from_ts AND hour + toIntervalHour(1) <= end_ts AND toMinute(toTimeZone(hour, {tz:String})) = 0)
              AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
              AND at >= from_ts
              AND at < end_ts
            UNION ALL
            SELECT
                toString(iv_region),
                (toDayOfWeek(toTimeZone(iv_opened_at, {tz:String})) - 1) * 24 + toHour(toTimeZone(iv_opened_at, {tz:String})),
                toUInt64(1)
            FROM ticket_lifecycle_recent FINAL
            ARRAY JOIN iv_region, iv_opened_at, iv_open_kind
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, iv_region))
              AND NOT has({exclude_regions:Array(String)}, iv_region)
              AND iv_open_kind IN ('created', 'reopened')
              AND iv_opened_at >= from_ts
              AND iv_opened_at < from_ts + toIntervalMillisecond(quarter_count * quarter_ms)
              AND iv_opened_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        )
        GROUP BY region, how
    ),
    shifts AS
    (
        SELECT
            agent_id,
            s_region AS region,
            greatest(s_start, from_ts) AS s_from,
            least(s_end, from_ts + toIntervalMillisecond(quarter_count * quarter_ms)) AS s_to
        FROM agent_shifts FINAL
        ARRAY JOIN s_region, s_start, s_end
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND (empty({regions:Array(String)}) OR has({regions:Array(String)}, s_region))
          AND NOT has({exclude_regions:Array(String)}, s_region)
          AND s_start < from_ts + toIntervalMillisecond(quarter_count * quarter_ms)
          AND s_end > from_ts
    ),
    shift_quarters AS
    (
        SELECT
            agent_id,
            region,
            q,
            dateDiff('millisecond', greatest(s_from, from_ts + toIntervalMillisecond(q * quarter_ms)),
                     least(s_to, from_ts + toIntervalMillisecond((q + 1) * quarter_ms))) AS overlap_ms
        FROM shifts
        ARRAY JOIN range(
            toInt64(intDiv(dateDiff('millisecond', from_ts, s_from), quarter_ms)),
            toInt64(intDiv(dateDiff('millisecond', from_ts, s_to) + quarter_ms - 1, quarter_ms))
        ) AS q
    ),
    on_shift AS
    (
        SELECT sq.region AS region, qs.how AS how, sum(sq.overlap_ms) AS agent_ms, uniqExact(sq.agent_id) AS agents
        FROM shift_quarters AS sq
        INNER JOIN quarters AS qs ON qs.q = sq.q
        WHERE sq.overlap_ms > 0
        GROUP BY region, how
    ),
    grid AS
    (
        SELECT r.region AS region, e.how AS how, e.hours AS hours
        FROM
        (
            SELECT region FROM inflow
            UNION DISTINCT SELECT region FROM on_shift
            UNION DISTINCT SELECT arrayJoin({regions:Array(String)}) AS region
        ) AS r
        CROSS JOIN exposure AS e
        WHERE NOT has({exclude_regions:Array(String)}, r.region)
    )
SELECT
    g.region AS region,
    toUInt8(g.how) AS hour_of_week,
    toUInt8(intDiv(g.how, 24) + 1) AS weekday,
    toUInt8(g.how % 24) AS hour,
    toFloat64(g.hours) AS hours,
    toUInt64(i.inflow) AS inflow,
    toFloat64(i.inflow / g.hours) AS avg_inflow,
    toFloat64(s.agent_ms / (g.hours * 3600000)) AS avg_on_shift,
    toUInt64(s.agents) AS agents,
    if(s.agent_ms > 0, toNullable(toFloat64(avg_inflow / avg_on_shift)), NULL) AS inflow_per_head,
    multiIf(
        i.inflow > 0 AND s.agent_ms = 0, 'uncovered',
        s.agent_ms > 0 AND avg_inflow / avg_on_shift > {max_inflow_per_head:Float64}, 'overloaded',
        ''
    ) AS gap
FROM grid AS g
LEFT JOIN inflow AS i ON i.region = g.region AND i.how = g.how
LEFT JOIN on_shift AS s ON s.region = g.region AND s.how = g.how
ORDER BY region, hour_of_week
