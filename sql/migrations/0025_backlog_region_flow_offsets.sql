-- The instants within each hour of backlog_region_hourly's inflow and outflow, beside the instants
-- of every change (0020_backlog_region_change_offsets.sql), so that /v1/metrics/backlog answers
-- buckets whose edges fall inside hours (`from=now-24h`) from the rollup: an hour an edge falls
-- inside is split at it, the backlog by the change offsets and the flows by these
-- (sql/queries/backlog-instants-rollup.sql). inflow_offsets_ms holds the periods opened as
-- 'created' or 'reopened', outflow_offsets_ms those closed otherwise than by 'transfer', as
-- milliseconds since the hour's start, sorted: their lengths are the row's inflow and outflow.
ALTER TABLE backlog_region_hourly
    ADD COLUMN IF NOT EXISTS inflow_offsets_ms Array(UInt32) AFTER closed_offsets_ms,
    ADD COLUMN IF NOT EXISTS outflow_offsets_ms Array(UInt32) AFTER inflow_offsets_ms;

-- As 0020 did: every stored row is written again with its figures and change offsets as they are
-- and its hour's flow offsets from the lifecycle. An hour a late event changed since its last pass
-- is recomputed by the next pass anyway (its dirty marker is still unconsumed; its version is
-- higher). The watermark is left as it is.
INSERT INTO backlog_region_hourly (tenant, region, customer, team, priority, hour, backlog, inflow, outflow,
    opened_offsets_ms, closed_offsets_ms, inflow_offsets_ms, outflow_offsets_ms, version)
WITH
    flows AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(iv_region) AS region,
            toDateTime(toStartOfHour(at), 'UTC') AS hour,
            toUInt32(toUnixTimestamp64Milli(at) % 3600000) AS offset_ms,
            is_inflow
        FROM
        (
            SELECT tenant, iv_region, iv_opened_at AS at, 1 AS is_inflow
            FROM ticket_lifecycle FINAL
            ARRAY JOIN iv_region, iv_opened_at, iv_open_kind
            WHERE iv_open_kind IN ('created', 'reopened')
            UNION ALL
            SELECT tenant, iv_region, assumeNotNull(iv_closed_at), 0
            FROM ticket_lifecycle FINAL
            ARRAY JOIN iv_region, iv_closed_at, iv_close_kind
            WHERE iv_closed_at IS NOT NULL AND iv_close_kind != 'transfer'
        )
        WHERE at < toStartOfHour(now64(3))
    ),
    offsets AS
    (
        SELECT
            tenant,
            region,
            hour,
            arraySort(groupArrayIf(offset_ms, is_inflow = 1)) AS inflows,
            arraySort(groupArrayIf(offset_ms, is_inflow = 0)) AS outflows
        FROM flows
        GROUP BY tenant, region, hour
    ),
    stored AS
    (
        SELECT toString(tenant) AS tenant, toString(region) AS region, hour, backlog, inflow, outflow,
            opened_offsets_ms, closed_offsets_ms
        FROM backlog_region_hourly FINAL
    )
SELECT
    s.tenant,
    s.region,
    '',
    '',
    '',
    s.hour,
    s.backlog,
    s.inflow,
    s.outflow,
    s.opened_offsets_ms,
    s.closed_offsets_ms,
    o.inflows,
    o.outflows,
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM stored AS s
LEFT JOIN offsets AS o ON o.tenant = s.tenant AND o.region = s.region AND o.hour = s.hour;
