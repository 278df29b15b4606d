-- Recomputes sla_hourly for one tenant: per owning region, priority, customer and owning team at
-- resolution and hour of res_stopped_at, sla-outcomes.sql's resolved / met / breached / responses
-- breached, and each stop's instant within the hour with its outcomes (`stops`,
-- 0024_sla_stop_instants.sql: for the hours a request's range splits).
-- Every key with tickets in the closed hours [from, to), or a non-zero row stored there, gets a row
-- (0 included), so a key whose tickets all moved away is overwritten too. Hours before {from} are
-- compared with what is stored and rewritten where they differ: a reopen takes a ticket out of the
-- hour its clock stopped in, however long before, and the dirty markers only reach back to the
-- reopen. The tenant's rows are read in full anyway (the sort key has no stop time), so the
-- comparison costs little more than the range alone.
INSERT INTO sla_hourly (tenant, region, priority, customer, team, hour, resolved, met, breached, response_breached,
    stops, version)
WITH
    {from:DateTime('UTC')} AS from_h,
    {to:DateTime('UTC')} AS to_h,
    computed AS
    (
        SELECT
            toString(region) AS region,
            toString(priority) AS priority,
            toString(customer) AS customer,
            toString(team) AS team,
            toStartOfHour(toDateTime(assumeNotNull(res_stopped_at), 'UTC')) AS hour,
            toUInt64(count()) AS resolved,
            toUInt64(countIf(res_outcome = 'met')) AS met,
            toUInt64(countIf(res_outcome = 'breached')) AS breached,
            toUInt64(countIf(resp_outcome = 'breached')) AS response_breached,
            arraySort(groupArray((
                toUInt32(toUnixTimestamp64Milli(assumeNotNull(res_stopped_at)) % 3600000),
                toUInt8(res_outcome = 'met'),
                toUInt8(res_outcome = 'breached'),
                toUInt8(resp_outcome = 'breached')))) AS stops
        FROM ticket_sla FINAL
        WHERE tenant = {tenant:String}
          AND stopped = 1
          AND res_outcome IN ('met', 'breached')
          AND res_stopped_at < to_h
        GROUP BY region, priority, customer, team, hour
    ),
    stored AS
    (
        SELECT
            toString(region) AS region, toString(priority) AS priority, toString(customer) AS customer,
            toString(team) AS team, hour, resolved, met, breached, response_breached, stops
        FROM sla_hourly FINAL
        WHERE tenant = {tenant:String}
          AND hour < to_h
          AND (resolved != 0 OR met != 0 OR breached != 0 OR response_breached != 0)
    )
SELECT
    {tenant:String},
    region,
    priority,
    customer,
    team,
    hour,
    c.resolved,
    c.met,
    c.breached,
    c.response_breached,
    c.stops,
    {version:UInt64}
FROM computed AS c
FULL OUTER JOIN stored AS s USING (region, priority, customer, team, hour)
WHERE hour >= from_h
   OR (c.resolved, c.met, c.breached, c.response_breached, c.stops)
      != (s.resolved, s.met, s.breached, s.response_breached, s.stops)
SETTINGS join_use_nulls = 0
