-- One ticket's SLA clocks as last evaluated (ticket_sla, newest version) for the drill-down.
-- The key is compared in PREWHERE, before FINAL: see ticket-timeline-facts.sql.
SELECT
    policy_id,
    calendar,
    toString(as_of) AS as_of,
    risk,
    toString(due_at) AS due_at,
    res_target_seconds,
    res_elapsed_seconds,
    res_paused_seconds,
    res_remaining_seconds,
    res_percent,
    res_state,
    res_outcome,
    res_risk,
    toString(res_due_at) AS res_due_at,
    toString(res_breached_at) AS res_breached_at,
    toString(res_stopped_at) AS res_stopped_at,
    resp_target_seconds,
    resp_elapsed_seconds,
    resp_paused_seconds,
    resp_remaining_seconds,
    resp_percent,
    resp_state,
    resp_outcome,
    resp_risk,
    toString(resp_due_at) AS resp_due_at,
    toString(resp_breached_at) AS resp_breached_at,
    team_name,
    team_region,
    team_elapsed_seconds,
    team_paused_seconds
FROM ticket_sla FINAL
PREWHERE tenant = {tenant:String}
  AND ticket_id = {ticket_id:String}
