-- Recomputes handovers_hourly for one tenant and the hours [from, to) from ticket_facts FINAL, with
-- handovers.sql's definitions: per (from region -> to region) pair and hour a handover was made,
-- the handovers, ping-pong, how each wait ended, and the wall / business waits of those picked up
-- (kept whole, so percentiles over any run of hours are exact) with their seam idle. An hour that
-- had figures stored and has none now gets an explicit empty row.
INSERT INTO handovers_hourly (tenant, from_region, to_region, hour, handovers, ping_pong, picked_up,
    handed_on, ended, wall_seconds, business_seconds, seam_idle_seconds, version)
WITH
    toDateTime64({from:DateTime('UTC')}, 3, 'UTC') AS from_ts,
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    fresh AS
    (
        SELECT
            toString(ho_from_region) AS from_region,
            toString(ho_to_region) AS to_region,
            toDateTime(toStartOfHour(ho_at), 'UTC') AS hour,
            toUInt64(count()) AS handovers,
            toUInt64(countIf(ho_ping_pong = 1)) AS ping_pong,
            toUInt64(countIf(ho_outcome = 'picked_up')) AS picked_up,
            toUInt64(countIf(ho_outcome = 'handed_on')) AS handed_on,
            toUInt64(countIf(ho_outcome = 'ended')) AS ended,
            groupArrayIf(assumeNotNull(ho_wall_seconds), ho_outcome = 'picked_up') AS wall_seconds,
            groupArrayIf(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up') AS business_seconds,
            sumIf(assumeNotNull(ho_seam_idle_seconds), ho_outcome = 'picked_up') AS seam_idle_seconds
        FROM ticket_facts FINAL
        ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_ping_pong, ho_outcome, ho_wall_seconds,
            ho_business_seconds, ho_seam_idle_seconds
        WHERE tenant = {tenant:String}
          AND ho_at >= from_ts
          AND ho_at < to_ts
        GROUP BY from_region, to_region, hour
    ),
    stale AS
    (
        SELECT toString(from_region) AS from_region, toString(to_region) AS to_region, hour
        FROM handovers_hourly FINAL
        WHERE tenant = {tenant:String} AND hour >= toDateTime(from_ts) AND hour < toDateTime(to_ts) AND handovers != 0
    )
SELECT {tenant:String}, from_region, to_region, hour, handovers, ping_pong, picked_up, handed_on, ended,
    wall_seconds, business_seconds, seam_idle_seconds, {version:UInt64}
FROM fresh
UNION ALL
SELECT {tenant:String}, from_region, to_region, hour, 0, 0, 0, 0, 0, [], [], 0, {version:UInt64}
FROM stale
WHERE (from_region, to_region, hour) NOT IN (SELECT from_region, to_region, hour FROM fresh)
