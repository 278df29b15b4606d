-- Open tickets (resolution clock not stopped) at risk level {min_level} or above
-- (none|watch|warning|critical|breached), soonest due first, with the predicted breach.
-- Empty {tenant} / {region} / {team} / {priority} mean all.
--
-- Predicted breach: the expected remaining handling time of the ticket's current team and
-- priority is the median, over the tickets of that (tenant, team, priority) resolved in the 28
-- days before {as_of} that had run longer than this ticket has so far, of how much longer they
-- ran (resolution business seconds - this ticket's elapsed). It needs at least {min_history}
-- such tickets (NULL otherwise, and no prediction). Predicted = remaining < expected remaining.
WITH
    {as_of:DateTime64(3, 'UTC')} AS as_of_ts,
    indexOf(['none', 'watch', 'warning', 'critical', 'breached'], {min_level:String}) - 1 AS min_rank,
    handled AS
    (
        SELECT tenant, team, priority, groupArray(res_elapsed_seconds) AS durations
        FROM ticket_sla FINAL
        WHERE stopped = 1
          AND res_outcome IN ('met', 'breached')
          AND res_stopped_at >= as_of_ts - INTERVAL 28 DAY
          AND res_stopped_at < as_of_ts
          AND ({tenant:String} = '' OR tenant = {tenant:String})
        GROUP BY tenant, team, priority
    ),
    open AS
    (
        SELECT *
        FROM ticket_sla FINAL
        WHERE stopped = 0
          AND risk_rank >= min_rank
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND ({team:String} = '' OR team = {team:String})
          AND ({priority:String} = '' OR priority = {priority:String})
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
    toString(o.as_of) AS as_of
FROM open AS o
LEFT JOIN handled AS h ON h.tenant = o.tenant AND h.team = o.team AND h.priority = o.priority
ORDER BY o.due_at ASC NULLS LAST, o.tenant, o.ticket_id
