-- The instant of each handover within handovers_hourly's hour, with its figures, so that the rollup
-- answers a range that starts or ends inside an hour (`from=now-24h`) instead of the API reading
-- ticket_facts live: an hour the range's ends fall inside is read handover by handover
-- (sql/queries/handovers-rollup.sql), every other hour summed as before. One tuple per handover made
-- in the row's hour: milliseconds since the hour's start (ho_at is DateTime64(3)), ping-pong, how
-- its wait ended (ho_outcome), and for a picked-up one its wall and business wait and seam idle
-- (0 otherwise), sorted, so that a row computed twice compares equal
-- (handovers-hourly-materialise.sql).
ALTER TABLE handovers_hourly
    ADD COLUMN IF NOT EXISTS made Array(Tuple(
        offset_ms UInt32, ping_pong UInt8, outcome String,
        wall_seconds Float64, business_seconds Float64, seam_idle_seconds Float64)) AFTER seam_idle_seconds;

-- The rows stored so far have no instants: every closed hour is computed again here, with the
-- materialise query's definitions, and a pass replaces any hour that changed since.
TRUNCATE TABLE handovers_hourly;

INSERT INTO handovers_hourly (tenant, from_region, to_region, hour, handovers, ping_pong, picked_up,
    handed_on, ended, wall_seconds, business_seconds, seam_idle_seconds, made, version)
SELECT
    tenant,
    toString(ho_from_region) AS from_region,
    toString(ho_to_region) AS to_region,
    toDateTime(toStartOfHour(ho_at), 'UTC') AS hour,
    toUInt64(count()),
    toUInt64(countIf(ho_ping_pong = 1)),
    toUInt64(countIf(ho_outcome = 'picked_up')),
    toUInt64(countIf(ho_outcome = 'handed_on')),
    toUInt64(countIf(ho_outcome = 'ended')),
    arraySort(groupArrayIf(assumeNotNull(ho_wall_seconds), ho_outcome = 'picked_up')),
    arraySort(groupArrayIf(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up')),
    arraySum(arraySort(groupArrayIf(assumeNotNull(ho_seam_idle_seconds), ho_outcome = 'picked_up'))),
    arraySort(groupArray((
        toUInt32(toUnixTimestamp64Milli(ho_at) % 3600000),
        toUInt8(ho_ping_pong = 1),
        toString(ho_outcome),
        if(ho_outcome = 'picked_up', assumeNotNull(ho_wall_seconds), 0.),
        if(ho_outcome = 'picked_up', assumeNotNull(ho_business_seconds), 0.),
        if(ho_outcome = 'picked_up', assumeNotNull(ho_seam_idle_seconds), 0.)))),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_facts FINAL
ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_ping_pong, ho_outcome, ho_wall_seconds,
    ho_business_seconds, ho_seam_idle_seconds
WHERE ho_at < toStartOfHour(now64(3))
GROUP BY tenant, from_region, to_region, hour;
