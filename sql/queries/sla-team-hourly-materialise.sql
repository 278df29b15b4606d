-- Recomputes sla_team_hourly for one tenant: per owning team and its region (the team_* arrays),
-- ticket priority, customer and hour of res_stopped_at, sla-consumption.sql's tickets, breached
-- tickets and the business seconds consumed and paused, summed in whole milliseconds so that any
-- grouping of hours adds up to the live figure exactly. Keys with tickets in the closed hours
-- [from, to), or a non-zero row stored there, get a row (0 included); hours before {from} are
-- rewritten where they differ from what is stored (a reopen, see sla-hourly-materialise.sql). Each
-- row keeps its stops' instants within the hour with their figures (`stops`,
-- 0024_sla_stop_instants.sql), the seconds in whole milliseconds.
INSERT INTO sla_team_hourly
    (tenant, team, region, priority, customer, hour, tickets, breached_tickets, elapsed_seconds, paused_seconds,
     stops, version)
WITH
    {from:DateTime('UTC')} AS from_h,
    {to:DateTime('UTC')} AS to_h,
    computed AS
    (
        SELECT
            toString(t_team) AS team,
            toString(t_region) AS region,
            toString(priority) AS priority,
            toString(customer) AS customer,
            toStartOfHour(toDateTime(assumeNotNull(res_stopped_at), 'UTC')) AS hour,
            toUInt64(count()) AS tickets,
            toUInt64(countIf(res_outcome = 'breached')) AS breached_tickets,
            sum(toInt64(round(t_elapsed * 1000))) / 1000 AS elapsed_seconds,
            sum(toInt64(round(t_paused * 1000))) / 1000 AS paused_seconds,
            arraySort(groupArray((
                toUInt32(toUnixTimestamp64Milli(assumeNotNull(res_stopped_at)) % 3600000),
                toUInt8(res_outcome = 'breached'),
                toInt64(round(t_elapsed * 1000)),
                toInt64(round(t_paused * 1000))))) AS stops
        FROM ticket_sla FINAL
        ARRAY JOIN team_name AS t_team, team_region AS t_region, team_elapsed_seconds AS t_elapsed, team_paused_seconds AS t_paused
        WHERE tenant = {tenant:String}
          AND stopped = 1
          AND res_outcome IN ('met', 'breached')
          AND res_stopped_at < to_h
        GROUP BY team, region, priority, customer, hour
    ),
    stored AS
    (
        SELECT
            toString(team) AS team, toString(region) AS region, toString(priority) AS priority,
            toString(customer) AS customer, hour,
            tickets, breached_tickets, elapsed_seconds, paused_seconds, stops
        FROM sla_team_hourly FINAL
        WHERE tenant = {tenant:String}
          AND hour < to_h
          AND (tickets != 0 OR breached_tickets != 0 OR elapsed_seconds != 0 OR paused_seconds != 0)
    )
SELECT
    {tenant:String},
    team,
    region,
    priority,
    customer,
    hour,
    c.tickets,
    c.breached_tickets,
    c.elapsed_seconds,
    c.paused_seconds,
    c.stops,
    {version:UInt64}
FROM computed AS c
FULL OUTER JOIN stored AS s USING (team, region, priority, customer, hour)
WHERE hour >= from_h
   OR (c.tickets, c.breached_tickets, c.elapsed_seconds, c.paused_seconds, c.stops)
      != (s.tickets, s.breached_tickets, s.elapsed_seconds, s.paused_seconds, s.stops)
SETTINGS join_use_nulls = 0
