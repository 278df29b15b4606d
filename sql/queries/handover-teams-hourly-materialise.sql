-- Recomputes handover_teams_hourly for one tenant (0015_review_offender_rollups.sql): per receiving
-- region, team and hour, the handovers made in it, those of them picked up with their business
-- waits (review-team-handovers.sql's definitions), and the waits that ended in it; and the instant
-- of each within the hour (0029_review_rollup_instants.sql).
-- Every closed hour before {to} is computed, not only [{from}, {to}), as handovers-hourly-
-- materialise.sql does and for the same reason: a pickup changes the hour its handover was made in,
-- however long before. Only the hours that differ from what is stored are written, and a stored
-- hour that no longer has anything gets an explicit empty row, so a missing row always means none.
INSERT INTO handover_teams_hourly (tenant, to_region, to_team, hour, received, picked_up, business_seconds,
    waits_ended, received_at, waits_ended_offsets_ms, version)
WITH
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    fresh AS
    (
        SELECT
            to_region,
            to_team,
            toDateTime(toStartOfHour(event.1), 'UTC') AS hour,
            toUInt64(countIf(event.2 = 1)) AS n_received,
            toUInt64(countIf(event.2 = 1 AND outcome = 'picked_up')) AS n_picked_up,
            arraySort(groupArrayIf(business, event.2 = 1 AND outcome = 'picked_up')) AS businesses,
            toUInt64(countIf(event.2 = 0)) AS n_waits_ended,
            arraySort(groupArrayIf(
                (toUInt32(toUnixTimestamp64Milli(event.1) % 3600000), toUInt8(outcome = 'picked_up'),
                 if(outcome = 'picked_up', business, 0)),
                event.2 = 1)) AS received_instants,
            arraySort(groupArrayIf(toUInt32(toUnixTimestamp64Milli(event.1) % 3600000), event.2 = 0)) AS ended_offsets
        FROM
        (
            SELECT toString(ho_to_region) AS to_region, toString(ho_to_team) AS to_team, ho_outcome AS outcome,
                   assumeNotNull(ho_business_seconds) AS business, ho_at, ho_until
            FROM ticket_facts FINAL
            ARRAY JOIN ho_at, ho_to_region, ho_to_team, ho_outcome, ho_business_seconds, ho_until
            WHERE tenant = {tenant:String}
              AND handovers > 0
              AND ho_at < to_ts
        )
        -- each handover counts in the hour it was made and, once its wait ended, in that hour
        ARRAY JOIN if(ho_until IS NULL, [(ho_at, 1)], [(ho_at, 1), (assumeNotNull(ho_until), 0)]) AS event
        WHERE event.1 < to_ts
        GROUP BY to_region, to_team, hour
    ),
    stored AS
    (
        SELECT
            toString(to_region) AS to_region,
            toString(to_team) AS to_team,
            hour,
            received AS n_received,
            picked_up AS n_picked_up,
            business_seconds AS businesses,
            waits_ended AS n_waits_ended,
            received_at AS received_instants,
            waits_ended_offsets_ms AS ended_offsets
        FROM handover_teams_hourly FINAL
        WHERE tenant = {tenant:String} AND hour < toDateTime(to_ts)
    )
SELECT {tenant:String}, f.to_region, f.to_team, f.hour, f.n_received, f.n_picked_up, f.businesses,
    f.n_waits_ended, f.received_instants, f.ended_offsets, {version:UInt64}
FROM fresh AS f
LEFT JOIN stored AS s ON s.to_region = f.to_region AND s.to_team = f.to_team AND s.hour = f.hour
WHERE (f.n_received, f.n_picked_up, f.businesses, f.n_waits_ended, f.received_instants, f.ended_offsets)
   != (s.n_received, s.n_picked_up, s.businesses, s.n_waits_ended, s.received_instants, s.ended_offsets)
UNION ALL
SELECT {tenant:String}, to_region, to_team, hour, 0, 0, [], 0, [], [], {version:UInt64}
FROM stored
WHERE (n_received != 0 OR n_waits_ended != 0)
  AND (to_region, to_team, hour) NOT IN (SELECT to_region, to_team, hour FROM fresh)
