-- The instant of each handover and of each wait that ended within handover_teams_hourly's hour, and
-- of each breach within sla_breaches_hourly's hour, so that the weekly review of a region whose
-- zone is 30 or 45 minutes off UTC (its midnights fall inside hours: Asia/Kolkata, Asia/Kathmandu,
-- Australia/Adelaide) reads every part from the rollups: an hour a bound of its weeks falls inside
-- is read item by item at these instants (review-*-rollup.sql, section split), every other hour
-- summed as before. The other rollups the review reads keep their instants since 0020-0027.
-- Milliseconds since the hour's start, sorted, so that a row computed twice compares equal
-- (handover-teams-hourly-materialise.sql, sla-breaches-hourly-materialise.sql).
ALTER TABLE handover_teams_hourly
    ADD COLUMN IF NOT EXISTS received_at Array(Tuple(
        offset_ms UInt32, picked_up UInt8, business_seconds Float64)) AFTER waits_ended,
    ADD COLUMN IF NOT EXISTS waits_ended_offsets_ms Array(UInt32) AFTER received_at;

ALTER TABLE sla_breaches_hourly
    ADD COLUMN IF NOT EXISTS breach_offsets_ms Array(UInt32) AFTER breaches;

-- The rows stored so far have no instants: every closed hour is computed again here (as
-- 0015_review_offender_rollups.sql and 0014_sla_breach_rollup.sql filled them), and a pass
-- replaces any hour that changed since.
TRUNCATE TABLE handover_teams_hourly;

INSERT INTO handover_teams_hourly (tenant, to_region, to_team, hour, received, picked_up, business_seconds,
    waits_ended, received_at, waits_ended_offsets_ms, version)
SELECT
    tenant,
    to_region,
    to_team,
    toDateTime(toStartOfHour(event.1), 'UTC') AS hour,
    toUInt64(countIf(event.2 = 1)),
    toUInt64(countIf(event.2 = 1 AND outcome = 'picked_up')),
    arraySort(groupArrayIf(business, event.2 = 1 AND outcome = 'picked_up')),
    toUInt64(countIf(event.2 = 0)),
    arraySort(groupArrayIf(
        (toUInt32(toUnixTimestamp64Milli(event.1) % 3600000), toUInt8(outcome = 'picked_up'),
         if(outcome = 'picked_up', business, 0)),
        event.2 = 1)),
    arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(event.1) % 3600000), event.2 = 0)),
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

TRUNCATE TABLE sla_breaches_hourly;

INSERT INTO sla_breaches_hourly (tenant, region, priority, customer, hour, breaches, breach_offsets_ms, version)
SELECT
    tenant,
    region,
    priority,
    customer,
    toDateTime(toStartOfHour(assumeNotNull(res_breached_at)), 'UTC') AS hour,
    toUInt64(count()),
    arraySort(groupArray(toUInt32(toUnixTimestamp64Milli(assumeNotNull(res_breached_at)) % 3600000))),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_sla FINAL
WHERE res_breached_at IS NOT NULL
  AND res_breached_at < toStartOfHour(now64(3))
GROUP BY tenant, region, priority, customer, hour;
