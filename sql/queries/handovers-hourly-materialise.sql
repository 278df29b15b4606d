-- Recomputes handovers_hourly for one tenant, with handovers.sql's definitions: per (from region ->
-- to region) pair and hour a handover was made, the handovers, ping-pong, how each wait ended, and
-- the wall / business waits of those picked up (kept whole and sorted, so percentiles over any run
-- of hours are exact) with their seam idle, and each handover's instant within the hour with its
-- figures (`made`, 0023_handover_instants.sql: for the hours a request's range splits).
-- Every closed hour before {to} is computed, not only [{from}, {to}): a later event changes the hour
-- its handover was made in (the pickup ends the wait, a reassignment hands it on), however long
-- before, and the tenant's rows are read in full anyway (the sort key has no handover time). Only
-- the hours that differ from what is stored are written, and a stored hour that no longer has any
-- handover gets an explicit empty row, so a missing row always means none.
INSERT INTO handovers_hourly (tenant, from_region, to_region, hour, handovers, ping_pong, picked_up,
    handed_on, ended, wall_seconds, business_seconds, seam_idle_seconds, made, version)
WITH
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    fresh AS
    (
        SELECT
            toString(ho_from_region) AS from_region,
            toString(ho_to_region) AS to_region,
            toDateTime(toStartOfHour(ho_at), 'UTC') AS hour,
            toUInt64(count()) AS n_handovers,
            toUInt64(countIf(ho_ping_pong = 1)) AS n_ping_pong,
            toUInt64(countIf(ho_outcome = 'picked_up')) AS n_picked_up,
            toUInt64(countIf(ho_outcome = 'handed_on')) AS n_handed_on,
            toUInt64(countIf(ho_outcome = 'ended')) AS n_ended,
            arraySort(groupArrayIf(assumeNotNull(ho_wall_seconds), ho_outcome = 'picked_up')) AS walls,
            arraySort(groupArrayIf(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up')) AS businesses,
            -- summed from the sorted waits: the same order every time, so an unchanged hour compares equal
            arraySum(arraySort(groupArrayIf(assumeNotNull(ho_seam_idle_seconds), ho_outcome = 'picked_up'))) AS seam,
            arraySort(groupArray((
                toUInt32(toUnixTimestamp64Milli(ho_at) % 3600000),
                toUInt8(ho_ping_pong = 1),
                toString(ho_outcome),
                if(ho_outcome = 'picked_up', assumeNotNull(ho_wall_seconds), 0.),
                if(ho_outcome = 'picked_up', assumeNotNull(ho_business_seconds), 0.),
                if(ho_outcome = 'picked_up', assumeNotNull(ho_seam_idle_seconds), 0.)))) AS instants
        FROM ticket_facts FINAL
        ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_ping_pong, ho_outcome, ho_wall_seconds,
            ho_business_seconds, ho_seam_idle_seconds
        WHERE tenant = {tenant:String}
          AND ho_at < to_ts
        GROUP BY from_region, to_region, hour
    ),
    stored AS
    (
        SELECT
            toString(from_region) AS from_region,
            toString(to_region) AS to_region,
            hour,
            handovers AS n_handovers,
            ping_pong AS n_ping_pong,
            picked_up AS n_picked_up,
            handed_on AS n_handed_on,
            ended AS n_ended,
            wall_seconds AS walls,
            business_seconds AS businesses,
            seam_idle_seconds AS seam,
            made AS instants
        FROM handovers_hourly FINAL
        WHERE tenant = {tenant:String} AND hour < toDateTime(to_ts)
    )
SELECT {tenant:String}, f.from_region, f.to_region, f.hour, f.n_handovers, f.n_ping_pong, f.n_picked_up,
    f.n_handed_on, f.n_ended, f.walls, f.businesses, f.seam, f.instants, {version:UInt64}
FROM fresh AS f
LEFT JOIN stored AS s ON s.from_region = f.from_region AND s.to_region = f.to_region AND s.hour = f.hour
WHERE (f.n_handovers, f.n_ping_pong, f.n_picked_up, f.n_handed_on, f.n_ended, f.walls, f.businesses, f.seam, f.instants)
   != (s.n_handovers, s.n_ping_pong, s.n_picked_up, s.n_handed_on, s.n_ended, s.walls, s.businesses, s.seam, s.instants)
UNION ALL
SELECT {tenant:String}, from_region, to_region, hour, 0, 0, 0, 0, 0, [], [], 0, [], {version:UInt64}
FROM stored
WHERE n_handovers != 0
  AND (from_region, to_region, hour) NOT IN (SELECT from_region, to_region, hour FROM fresh)
