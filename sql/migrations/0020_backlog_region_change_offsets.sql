-- The instants within each hour at which backlog_region_hourly's backlog changes, so that the
-- backlog at any instant, not only at an hour's end, comes from the rollup
-- (sql/queries/backlog-vs-headcount-rollup.sql): the periods opened / closed in the hour, every
-- kind ('transfer' included: a move between regions changes both regions' backlog), as
-- milliseconds since the hour's start (the periods are DateTime64(3)), sorted. See
-- sql/queries/backlog-region-hourly-materialise.sql for what they hold beside inflow / outflow.
ALTER TABLE backlog_region_hourly
    ADD COLUMN IF NOT EXISTS opened_offsets_ms Array(UInt32) AFTER outflow,
    ADD COLUMN IF NOT EXISTS closed_offsets_ms Array(UInt32) AFTER opened_offsets_ms;

-- backlog_hourly gets the same columns, always empty (its slices are read on whole hours only, where
-- the offsets count nothing), so that one read query serves both rollups, as 0018 did the other way
-- round (backlog-vs-headcount-rollup.sql's {source}).
ALTER TABLE backlog_hourly
    ADD COLUMN IF NOT EXISTS opened_offsets_ms Array(UInt32) AFTER outflow,
    ADD COLUMN IF NOT EXISTS closed_offsets_ms Array(UInt32) AFTER opened_offsets_ms;

-- The rows stored so far have neither. Unlike the flow rollups refilled by 0015-0017, a row's
-- backlog is a running total over every earlier hour, written by the materialiser for the ranges
-- it ran (under the watermark): every stored row is written again here with the same backlog,
-- inflow and outflow and its hour's offsets from the lifecycle, rather than recomputing the totals
-- here. An hour a late event changed since its last pass is recomputed by the next pass anyway
-- (its dirty marker is still unconsumed; its version is higher). The watermark is left as it is.
INSERT INTO backlog_region_hourly (tenant, region, customer, team, priority, hour, backlog, inflow, outflow,
    opened_offsets_ms, closed_offsets_ms, version)
WITH
    changes AS
    (
        SELECT
            toString(tenant) AS tenant,
            toString(iv_region) AS region,
            toDateTime(toStartOfHour(at), 'UTC') AS hour,
            toUInt32(toUnixTimestamp64Milli(at) % 3600000) AS offset_ms,
            delta
        FROM
        (
            SELECT tenant, iv_region, iv_opened_at AS at, 1 AS delta
            FROM ticket_lifecycle FINAL
            ARRAY JOIN iv_region, iv_opened_at
            UNION ALL
            SELECT tenant, iv_region, assumeNotNull(iv_closed_at), -1
            FROM ticket_lifecycle FINAL
            ARRAY JOIN iv_region, iv_closed_at
            WHERE iv_closed_at IS NOT NULL
        )
        WHERE at < toStartOfHour(now64(3))
    ),
    offsets AS
    (
        SELECT
            tenant,
            region,
            hour,
            arraySort(groupArrayIf(offset_ms, delta = 1)) AS opened,
            arraySort(groupArrayIf(offset_ms, delta = -1)) AS closed
        FROM changes
        GROUP BY tenant, region, hour
    ),
    stored AS
    (
        SELECT toString(tenant) AS tenant, toString(region) AS region, hour, backlog, inflow, outflow
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
    o.opened,
    o.closed,
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM stored AS s
LEFT JOIN offsets AS o ON o.tenant = s.tenant AND o.region = s.region AND o.hour = s.hour;
