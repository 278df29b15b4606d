-- What the weekly review's offenders need from the rollups (api/review/data.ts), materialised with
-- the other region rollups (0012_api_rollups.sql) under their watermark.

-- The customers behind the SLA change: the stopped clocks per customer too. Adding the column to
-- the end of the sort key keeps every read of the table as it was (they sum over the key).
ALTER TABLE sla_hourly
    ADD COLUMN IF NOT EXISTS customer LowCardinality(String) AFTER priority,
    MODIFY ORDER BY (tenant, hour, region, priority, customer);

-- The rows stored so far have no customer: every closed hour is computed again here (as
-- 0014_sla_breach_rollup.sql fills its table), and a pass replaces any hour that changed since.
TRUNCATE TABLE sla_hourly;

INSERT INTO sla_hourly (tenant, region, priority, customer, hour, resolved, met, breached, response_breached, version)
SELECT
    tenant,
    region,
    priority,
    customer,
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
GROUP BY tenant, region, priority, customer, hour;

-- The receiving teams behind the pickup latency, and the handovers pending at any past whole hour.
-- Per receiving region and team and hour: the handovers made in it (received), of those the ones
-- picked up and their business waits (kept whole and sorted, so percentiles over any run of hours
-- are exact, as in handovers_hourly), and the waits that ended in it (ho_until, whatever ended
-- them). A wait ends after its handover was made, so the handovers pending at a whole hour T are
-- the sum of received before T minus the sum of waits_ended before T.
CREATE TABLE IF NOT EXISTS handover_teams_hourly
(
    tenant           LowCardinality(String),
    to_region        LowCardinality(String),
    to_team          LowCardinality(String),
    hour             DateTime('UTC'),
    received         UInt64,
    picked_up        UInt64,
    business_seconds Array(Float64),
    waits_ended      UInt64,
    version          UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, to_region, to_team);

INSERT INTO handover_teams_hourly (tenant, to_region, to_team, hour, received, picked_up, business_seconds,
    waits_ended, version)
SELECT
    tenant,
    to_region,
    to_team,
    toDateTime(toStartOfHour(event.1), 'UTC') AS hour,
    toUInt64(countIf(event.2 = 1)),
    toUInt64(countIf(event.2 = 1 AND outcome = 'picked_up')),
    arraySort(groupArrayIf(business, event.2 = 1 AND outcome = 'picked_up')),
    toUInt64(countIf(event.2 = 0)),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM
(
    SELECT toString(tenant) AS tenant, toString(ho_to_region) AS to_region, toString(ho_to_team) AS to_team,
           ho_outcome AS outcome, assumeNotNull(ho_business_seconds) AS business, ho_at, ho_until
    FROM ticket_facts FINAL
    ARRAY JOIN ho_at, ho_to_region, ho_to_team, ho_outcome, ho_business_seconds, ho_until
    WHERE handovers > 0 AND ho_at < toStartOfHour(now64(3))
)
ARRAY JOIN if(ho_until IS NULL, [(ho_at, 1)], [(ho_at, 1), (assumeNotNull(ho_until), 0)]) AS event
WHERE event.1 < toStartOfHour(now64(3))
GROUP BY tenant, to_region, to_team, hour;
