-- Recomputes sla_durations_hourly for one tenant: per team and priority at resolution and hour of
-- res_stopped_at, the resolution business seconds of the tickets stopped met or breached (the
-- "handled" tickets of sla-at-risk.sql) with their stop instants, sorted by (instant, seconds).
-- Keys with tickets in the closed hours [from, to), or a non-empty row stored there, get a row
-- (empty arrays included); hours before {from} are rewritten where they differ from what is
-- stored (a reopen, see sla-hourly-materialise.sql).
INSERT INTO sla_durations_hourly (tenant, team, priority, hour, res_stopped_at, res_elapsed_seconds, version)
WITH
    {from:DateTime('UTC')} AS from_h,
    {to:DateTime('UTC')} AS to_h,
    computed AS
    (
        SELECT
            toString(team) AS team,
            toString(priority) AS priority,
            toStartOfHour(toDateTime(assumeNotNull(res_stopped_at), 'UTC')) AS hour,
            arraySort(groupArray((assumeNotNull(res_stopped_at), res_elapsed_seconds))) AS handled
        FROM ticket_sla FINAL
        WHERE tenant = {tenant:String}
          AND stopped = 1
          AND res_outcome IN ('met', 'breached')
          AND res_stopped_at < to_h
        GROUP BY team, priority, hour
    ),
    stored AS
    (
        SELECT
            toString(team) AS team, toString(priority) AS priority, hour,
            arrayZip(res_stopped_at, res_elapsed_seconds) AS handled
        FROM sla_durations_hourly FINAL
        WHERE tenant = {tenant:String}
          AND hour < to_h
          AND notEmpty(res_elapsed_seconds)
    )
SELECT
    {tenant:String},
    team,
    priority,
    hour,
    arrayMap(h -> h.1, c.handled),
    arrayMap(h -> h.2, c.handled),
    {version:UInt64}
FROM computed AS c
FULL OUTER JOIN stored AS s USING (team, priority, hour)
WHERE hour >= from_h OR c.handled != s.handled
SETTINGS join_use_nulls = 0
