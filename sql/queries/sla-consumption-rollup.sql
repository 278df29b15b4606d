-- sla-consumption.sql's answer read from sla_team_hourly for the whole hours before each tenant's
-- watermark, plus the edge from ticket_sla_recent (see sla-outcomes-rollup.sql). {team} / {region}
-- are the owning team / its region, keys of the rollup, as are the ticket's {customer} and
-- {priority}. Seconds are summed in whole milliseconds, as live. The hours {split_hours} are read
-- ticket by ticket from the rows' `stops`, as in sla-outcomes-rollup.sql.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    {split_hours:Array(DateTime('UTC'))} AS split_hours
SELECT
    team,
    region,
    toUInt64(sum(n_tickets)) AS tickets,
    toUInt64(sum(n_breached)) AS breached_tickets,
    sum(elapsed_ms) / 1000 AS elapsed_seconds,
    sum(paused_ms) / 1000 AS paused_seconds
FROM
(
    SELECT
        toString(team) AS team,
        toString(region) AS region,
        tickets AS n_tickets,
        breached_tickets AS n_breached,
        toInt64(round(elapsed_seconds * 1000)) AS elapsed_ms,
        toInt64(round(paused_seconds * 1000)) AS paused_ms
    FROM sla_team_hourly FINAL
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
      AND ({team:String} = '' OR team = {team:String})
      AND ({customer:String} = '' OR customer = {customer:String})
      AND ({priority:String} = '' OR priority = {priority:String})
      AND hour >= from_ts
      AND hour < least(to_ts, transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')))
      AND NOT has(split_hours, hour)
    -- section split
    UNION ALL
    SELECT
        toString(team),
        toString(region),
        toUInt64(1),
        toUInt64(s.breached),
        s.elapsed_ms,
        s.paused_ms
    FROM sla_team_hourly FINAL
    ARRAY JOIN stops AS s
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
      AND ({team:String} = '' OR team = {team:String})
      AND ({customer:String} = '' OR customer = {customer:String})
      AND ({priority:String} = '' OR priority = {priority:String})
      AND has(split_hours, hour)
      AND hour < transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC'))
      AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(s.offset_ms) >= from_ts
      AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(s.offset_ms) < to_ts
    -- end section split
    UNION ALL
    SELECT
        toString(t_team),
        toString(t_region),
        toUInt64(1),
        toUInt64(res_outcome = 'breached'),
        toInt64(round(t_elapsed * 1000)),
        toInt64(round(t_paused * 1000))
    FROM ticket_sla_recent FINAL
    ARRAY JOIN team_name AS t_team, team_region AS t_region, team_elapsed_seconds AS t_elapsed, team_paused_seconds AS t_paused
    WHERE stopped = 1
      AND res_outcome IN ('met', 'breached')
      AND res_stopped_at >= greatest(from_ts, transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')))
      AND res_stopped_at < to_ts
      AND ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR t_region = {region:String})
      AND ({team:String} = '' OR t_team = {team:String})
      AND ({customer:String} = '' OR customer = {customer:String})
      AND ({priority:String} = '' OR priority = {priority:String})
)
GROUP BY team, region
HAVING tickets > 0
ORDER BY team, region
