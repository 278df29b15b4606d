-- backlog_hourly (per slice: customer, region, team, priority) gets the instants within each hour
-- that backlog_region_hourly has (0020, 0025): of every period opened / closed, transfers included
-- (opened_offsets_ms / closed_offsets_ms, added empty by 0020), and of the inflow and the outflow
-- alone (inflow_offsets_ms / outflow_offsets_ms). So a team's or a customer's backlog is answered
-- from the rollup at any instant too: /v1/metrics/backlog with a slice filter and `from=now-24h`,
-- backlog-vs-headcount with `team` and the default `at` (backlog-instants-rollup.sql,
-- backlog-vs-headcount-rollup.sql). Milliseconds since the hour's start, sorted; see
-- backlog-hourly-materialise.sql.
ALTER TABLE backlog_hourly
    ADD COLUMN IF NOT EXISTS inflow_offsets_ms Array(UInt32) AFTER closed_offsets_ms,
    ADD COLUMN IF NOT EXISTS outflow_offsets_ms Array(UInt32) AFTER inflow_offsets_ms;

-- As 0020 did for the region rollup: every stored row is written again with its figures as they
-- are and its hour's offsets from the lifecycle. An hour a late event changed since its last pass
-- is recomputed by the next pass anyway (its dirty marker is still unconsumed; its version is
-- higher). The watermark is left as it is.
INSERT INTO backlog_hourly (tenant, customer, region, team, priority, hour, backlog, inflow, outflow,
    opened_offsets_ms, closed_offsets_ms, inflow_offsets_ms, outflow_offsets_ms, version)
WITH
    changes AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(customer) AS customer,
            toString(region) AS region,
            toString(team) AS team,
            toString(priority) AS priority,
            toDateTime(toStartOfHour(at), 'UTC') AS hour,
            toUInt32(toUnixTimestamp64Milli(at) % 3600000) AS offset_ms,
            delta,
            is_flow
        FROM
        (
            SELECT tenant, iv_customer AS customer, iv_region AS region, iv_team AS team,
                iv_priority AS priority, iv_opened_at AS at, 1 AS delta,
                iv_open_kind IN ('created', 'reopened') AS is_flow
            FROM ticket_lifecycle FINAL
            ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_open_kind
            UNION ALL
            SELECT tenant, iv_customer, iv_region, iv_team, iv_priority, assumeNotNull(iv_closed_at), -1,
                iv_close_kind != 'transfer'
            FROM ticket_lifecycle FINAL
            ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_closed_at, iv_close_kind
            WHERE iv_closed_at IS NOT NULL
        )
        WHERE at < toStartOfHour(now64(3))
    ),
    offsets AS
    (
        SELECT
            tenant, customer, region, team, priority, hour,
            arraySort(groupArrayIf(offset_ms, delta = 1)) AS opened,
            arraySort(groupArrayIf(offset_ms, delta = -1)) AS closed,
            arraySort(groupArrayIf(offset_ms, delta = 1 AND is_flow)) AS inflows,
            arraySort(groupArrayIf(offset_ms, delta = -1 AND is_flow)) AS outflows
        FROM changes
        GROUP BY tenant, customer, region, team, priority, hour
    ),
    stored AS
    (
        SELECT toString(tenant) AS tenant, toString(customer) AS customer, toString(region) AS region,
            toString(team) AS team, toString(priority) AS priority, hour, backlog, inflow, outflow
        FROM backlog_hourly FINAL
    )
SELECT
    s.tenant,
    s.customer,
    s.region,
    s.team,
    s.priority,
    s.hour,
    s.backlog,
    s.inflow,
    s.outflow,
    o.opened,
    o.closed,
    o.inflows,
    o.outflows,
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM stored AS s
LEFT JOIN offsets AS o
    ON o.tenant = s.tenant AND o.customer = s.customer AND o.region = s.region AND o.team = s.team
   AND o.priority = s.priority AND o.hour = s.hour;
