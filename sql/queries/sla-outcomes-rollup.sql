-- sla-outcomes.sql's answer read from sla_hourly for the whole hours before each tenant's
-- watermark, plus the edge: the tickets of ticket_sla_recent whose clock stopped at or after it
-- (each such ticket changed since, so its row is recent). An hour that {from} or {to} falls inside
-- ({split_hours}) is read ticket by ticket, each at its own stop instant (the row's `stops`,
-- 0024_sla_stop_instants.sql), so the range may start and end anywhere; {wm_tenants} /
-- {wm_until} give each tenant's watermark (none: all of it is edge). {team} is the owner at
-- resolution and {customer} the ticket's, both keys of the rollup. Empty filters mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts,
    {split_hours:Array(DateTime('UTC'))} AS split_hours
SELECT
    region,
    priority,
    toUInt64(sum(n_resolved)) AS resolved,
    toUInt64(sum(n_met)) AS met,
    toUInt64(sum(n_breached)) AS breached,
    breached / resolved AS breach_rate,
    toUInt64(sum(n_response_breached)) AS response_breached
FROM
(
    SELECT
        toString(region) AS region,
        toString(priority) AS priority,
        resolved AS n_resolved,
        met AS n_met,
        breached AS n_breached,
        response_breached AS n_response_breached
    FROM sla_hourly FINAL
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
        toString(region),
        toString(priority),
        toUInt64(1),
        toUInt64(s.met),
        toUInt64(s.breached),
        toUInt64(s.response_breached)
    FROM sla_hourly FINAL
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
        toString(region),
        toString(priority),
        toUInt64(1),
        toUInt64(res_outcome = 'met'),
        toUInt64(res_outcome = 'breached'),
        toUInt64(resp_outcome = 'breached')
    FROM ticket_sla_recent FINAL
    WHERE stopped = 1
      AND res_outcome IN ('met', 'breached')
      AND res_stopped_at >= greatest(from_ts, transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')))
      AND res_stopped_at < to_ts
      AND ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
      AND ({team:String} = '' OR team = {team:String})
      AND ({customer:String} = '' OR customer = {customer:String})
      AND ({priority:String} = '' OR priority = {priority:String})
)
GROUP BY region, priority
HAVING resolved > 0
ORDER BY region, priority
