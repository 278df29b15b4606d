-- sla-at-risk.sql's answer as of now, without scanning ticket_sla: the open tickets come from
-- ticket_sla_open (only tickets whose clock has not stopped), and the tickets handled in the 28
-- days before {as_of} from sla_durations_hourly for the hours before each tenant's watermark
-- ({wm_tenants} / {wm_until}; the first hour is split at as_of - 28 days by each ticket's stop
-- instant) plus the edge: the tickets of ticket_sla_recent whose clock stopped at or after it.
-- Same parameters and definitions otherwise, and the route's page: {customer} (empty = all), the
-- order {sort} (api/routes/sla.ts, `sorts`) and {limit}. The order is the route's up to its last
-- tie-break (tenant, then ticket, in the caller's locale order): WITH TIES keeps every row level
-- with the last one, and the route orders those and cuts the list. `total` counts the tickets
-- matching before the limit. The expected remaining time, which reads the comparable tickets'
-- durations, is computed for the page's tickets only.
WITH
    {as_of:DateTime64(3, 'UTC')} AS as_of_ts,
    as_of_ts - INTERVAL 28 DAY AS since_ts,
    indexOf(['none', 'watch', 'warning', 'critical', 'breached'], {min_level:String}) - 1 AS min_rank,
    handled AS
    (
        SELECT tenant, team, priority, groupArray(duration) AS durations
        FROM
        (
            SELECT
                toString(tenant) AS tenant,
                toString(team) AS team,
                toString(priority) AS priority,
                arrayJoin(arrayFilter(
                    (d, s) -> s >= since_ts AND s < as_of_ts, res_elapsed_seconds, res_stopped_at
                )) AS duration
            FROM sla_durations_hourly FINAL
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND hour >= toStartOfHour(toDateTime(since_ts, 'UTC'))
              AND hour < least(as_of_ts, transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')))
            UNION ALL
            SELECT toString(tenant), toString(team), toString(priority), res_elapsed_seconds
            FROM ticket_sla_recent FINAL
            WHERE stopped = 1
              AND res_outcome IN ('met', 'breached')
              AND res_stopped_at >= greatest(since_ts, transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC')))
              AND res_stopped_at < as_of_ts
              AND ({tenant:String} = '' OR tenant = {tenant:String})
        )
        GROUP BY tenant, team, priority
    ),
    open AS
    (
        SELECT *
        FROM ticket_sla_open FINAL
        WHERE stopped = 0
          AND risk_rank >= min_rank
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND ({team:String} = '' OR team = {team:String})
          AND ({priority:String} = '' OR priority = {priority:String})
          AND ({customer:String} = '' OR customer = {customer:String})
    ),
    page AS
    (
        SELECT *, count() OVER () AS total
        FROM open
        ORDER BY
            multiIf(
                {sort:String} = 'percent_consumed', -res_percent,
                {sort:String} = 'remaining_seconds', res_remaining_seconds,
                {sort:String} = 'risk', -toFloat64(risk_rank),
                0) ASC,
            if({sort:String} IN ('due_at', 'risk'), due_at, NULL) ASC NULLS LAST
        LIMIT {limit:UInt32} WITH TIES
    )
SELECT
    o.tenant AS tenant,
    o.ticket_id AS ticket_id,
    o.customer AS customer,
    o.region AS region,
    o.team AS team,
    o.priority AS priority,
    o.policy_id AS policy_id,
    o.risk AS risk,
    toString(o.due_at) AS due_at,
    o.res_state AS state,
    o.res_percent AS percent_consumed,
    o.res_remaining_seconds AS remaining_seconds,
    arrayMap(d -> d - o.res_elapsed_seconds, arrayFilter(d -> d > o.res_elapsed_seconds, h.durations)) AS residuals,
    if(length(residuals) >= {min_history:UInt32}, arrayReduce('median', residuals), NULL) AS expected_remaining_seconds,
    toUInt8(ifNull(o.res_remaining_seconds < expected_remaining_seconds, 0)) AS predicted_breach,
    toString(o.as_of) AS as_of,
    o.total AS total
FROM page AS o
LEFT JOIN handled AS h ON h.tenant = o.tenant AND h.team = o.team AND h.priority = o.priority
ORDER BY o.due_at ASC NULLS LAST, o.tenant, o.ticket_id
