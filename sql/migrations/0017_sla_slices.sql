-- What /v1/metrics/sla's team and customer filters need from the rollups (sla-outcomes.sql,
-- sla-consumption.sql), materialised with the other region rollups (0012_api_rollups.sql) under
-- their watermark.

-- The outcomes per team too: the owner at resolution, as the live query filters them. Adding the
-- column to the end of the sort key keeps every read of the table as it was (they sum over the key).
ALTER TABLE sla_hourly
    ADD COLUMN IF NOT EXISTS team LowCardinality(String) AFTER customer,
    MODIFY ORDER BY (tenant, hour, region, priority, customer, team);

-- The team consumption per customer too: the ticket's, as the live query filters it.
ALTER TABLE sla_team_hourly
    ADD COLUMN IF NOT EXISTS customer LowCardinality(String) AFTER priority,
    MODIFY ORDER BY (tenant, hour, team, region, priority, customer);

-- The rows stored so far have neither: every closed hour is computed again here (as
-- 0015_review_offender_rollups.sql refills sla_hourly), and a pass replaces any hour that changed
-- since.
TRUNCATE TABLE sla_hourly;

INSERT INTO sla_hourly (tenant, region, priority, customer, team, hour, resolved, met, breached, response_breached,
    version)
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
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_sla FINAL
WHERE stopped = 1
  AND res_outcome IN ('met', 'breached')
  AND res_stopped_at < toStartOfHour(now64(3))
GROUP BY tenant, region, priority, customer, team, hour;

TRUNCATE TABLE sla_team_hourly;

-- Seconds summed in whole milliseconds, as sla-team-hourly-materialise.sql sums them.
INSERT INTO sla_team_hourly (tenant, team, region, priority, customer, hour, tickets, breached_tickets,
    elapsed_seconds, paused_seconds, version)
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
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_sla FINAL
ARRAY JOIN team_name AS t_team, team_region AS t_region, team_elapsed_seconds AS t_elapsed, team_paused_seconds AS t_paused
WHERE stopped = 1
  AND res_outcome IN ('met', 'breached')
  AND res_stopped_at < toStartOfHour(now64(3))
GROUP BY tenant, t_team, t_region, priority, customer, hour;
