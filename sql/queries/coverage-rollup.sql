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
    -- Each of inflow and on_shift is read once (a WITH subquery is evaluated wherever it is
    -- named): their cells are gathered per region, and every hour of week in the range looks its
    -- cell up in them.
    cells AS
    (
        SELECT region, groupArray(how) AS hows, groupArray(n) AS inflows, groupArray(ms) AS agent_ms, groupArray(heads) AS heads
        FROM
        (
            SELECT region, toInt64(how) AS how, toUInt64(inflow) AS n, toInt64(0) AS ms, toUInt64(0) AS heads FROM inflow
            UNION ALL
            SELECT region, toInt64(how), toUInt64(0), toInt64(agent_ms), toUInt64(agents) FROM on_shift
            UNION ALL
            -- A region asked for is listed even with nothing in it.
            SELECT arrayJoin({regions:Array(String)}), toInt64(-1), toUInt64(0), toInt64(0), toUInt64(0)
        )
        WHERE NOT has({exclude_regions:Array(String)}, region)
        GROUP BY region
    ),
    grid AS
    (
        SELECT
            c.region AS region,
            toInt64(e.how) AS how,
            toFloat64(e.hours) AS hours,
            arraySum(arrayFilter((n, h) -> h = how, c.inflows, c.hows)) AS cell_inflow,
            arraySum(arrayFilter((ms, h) -> h = how, c.agent_ms, c.hows)) AS cell_agent_ms,
            arraySum(arrayFilter((a, h) -> h = how, c.heads, c.hows)) AS cell_agents
        FROM cells AS c
        CROSS JOIN exposure AS e
    )
SELECT
    region,
    toUInt8(how) AS hour_of_week,
    toUInt8(intDiv(how, 24) + 1) AS weekday,
    toUInt8(how % 24) AS hour,
    hours,
    toUInt64(cell_inflow) AS inflow,
    toFloat64(cell_inflow / hours) AS avg_inflow,
    toFloat64(cell_agent_ms / (hours * 3600000)) AS avg_on_shift,
    toUInt64(cell_agents) AS agents,
    if(cell_agent_ms > 0, toNullable(toFloat64(avg_inflow / avg_on_shift)), NULL) AS inflow_per_head,
    multiIf(
        cell_inflow > 0 AND cell_agent_ms = 0, 'uncovered',
        cell_agent_ms > 0 AND avg_inflow / avg_on_shift > {max_inflow_per_head:Float64}, 'overloaded',
        ''
    ) AS gap
FROM grid
ORDER BY region, hour_of_week
