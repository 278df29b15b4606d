-- The instant of each stopped resolution clock within sla_hourly's and sla_team_hourly's hour, with
-- its figures, so that /v1/metrics/sla answers a range that starts or ends inside an hour
-- (`from=now-24h`) from the rollups instead of reading ticket_sla live: an hour the range's ends
-- fall inside is read ticket by ticket (sql/queries/sla-outcomes-rollup.sql,
-- sla-consumption-rollup.sql), every other hour summed as before. Milliseconds since the hour's
-- start (res_stopped_at is DateTime64(3)), sorted, so that a row computed twice compares equal
-- (sla-hourly-materialise.sql, sla-team-hourly-materialise.sql). The team rollup keeps the seconds
-- in whole milliseconds, as its sums.
ALTER TABLE sla_hourly
    ADD COLUMN IF NOT EXISTS stops Array(Tuple(
        offset_ms UInt32, met UInt8, breached UInt8, response_breached UInt8)) AFTER response_breached;

ALTER TABLE sla_team_hourly
    ADD COLUMN IF NOT EXISTS stops Array(Tuple(
        offset_ms UInt32, breached UInt8, elapsed_ms Int64, paused_ms Int64)) AFTER paused_seconds;

-- The rows stored so far have no instants: every closed hour is computed again here (as
-- 0017_sla_slices.sql refilled both), and a pass replaces any hour that changed since.
TRUNCATE TABLE sla_hourly;

INSERT INTO sla_hourly (tenant, region, priority, customer, team, hour, resolved, met, breached, response_breached,
    stops, version)
SELECT
    tenant,
    region,
    priority,
    customer,
    team,
    toDateTime(toStartOfHour(assumeNotNull(res_stopped_at)), 'UTC') AS hour,
    toUInt64(count()),
    toUInt64(countIf(res_outcome = 'met')),
    toUInt64(countIf(res_outcome = 'breached')),
    toUInt64(countIf(resp_outcome = 'breached')),
    arraySort(groupArray((
        toUInt32(toUnixTimestamp64Milli(assumeNotNull(res_stopped_at)) % 3600000),
        toUInt8(res_outcome = 'met'),
        toUInt8(res_outcome = 'breached'),
        toUInt8(resp_outcome = 'breached')))),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_sla FINAL
WHERE stopped = 1
  AND res_outcome IN ('met', 'breached')
  AND res_stopped_at < toStartOfHour(now64(3))
GROUP BY tenant, region, priority, customer, team, hour;

TRUNCATE TABLE sla_team_hourly;

INSERT INTO sla_team_hourly (tenant, team, region, priority, customer, hour, tickets, breached_tickets,
    elapsed_seconds, paused_seconds, stops, version)
SELECT
    tenant,
    t_team,
    t_region,
    priority,
    customer,
    toDateTime(toStartOfHour(assumeNotNull(res_stopped_at)), 'UTC') AS hour,
    toUInt64(count()),
    toUInt64(countIf(res_outcome = 'breached')),
    sum(toInt64(round(t_elapsed * 1000))) / 1000,
    sum(toInt64(round(t_paused * 1000))) / 1000,
    arraySort(groupArray((
        toUInt32(toUnixTimestamp64Milli(assumeNotNull(res_stopped_at)) % 3600000),
        toUInt8(res_outcome = 'breached'),
        toInt64(round(t_elapsed * 1000)),
        toInt64(round(t_paused * 1000))))),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_sla FINAL
ARRAY JOIN team_name AS t_team, team_region AS t_region, team_elapsed_seconds AS t_elapsed, team_paused_seconds AS t_paused
WHERE stopped = 1
  AND res_outcome IN ('met', 'breached')
  AND res_stopped_at < toStartOfHour(now64(3))
GROUP BY tenant, t_team, t_region, priority, customer, hour;
