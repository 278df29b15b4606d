-- sla-outcomes.sql's answer read from sla_hourly for the whole hours before each tenant's
-- watermark, plus the edge: the tickets of ticket_sla_recent whose clock stopped at or after it
-- (each such ticket changed since, so its row is recent). {from} is a whole hour; {wm_tenants} /
-- {wm_until} give each tenant's watermark (none: all of it is edge). {team} is the owner at
-- resolution and {customer} the ticket's, both keys of the rollup. Empty filters mean all.
WITH
    {from:DateTime64(3, 'UTC')} AS from_ts,
    {to:DateTime64(3, 'UTC')} AS to_ts
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
