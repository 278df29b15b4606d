-- update-staleness.sql's answer as of now, without scanning ticket_sla: the open tickets come from
-- ticket_sla_open (only tickets whose clock has not stopped). {as_of} is the request's instant, so
-- every stored ticket was created at or before it. Same parameters and definitions otherwise.
SELECT
    region,
    team,
    toUInt64(count()) AS open_tickets,
    toUInt64(countIf(update_due_at < {as_of:DateTime64(3, 'UTC')})) AS stale,
    toUInt64(countIf(update_due_at IS NULL)) AS paused,
    if(stale > 0, toString(minIf(assumeNotNull(last_update_at), update_due_at < {as_of:DateTime64(3, 'UTC')})), NULL) AS oldest_update_at,
    if(stale > 0, argMinIf(ticket_id, assumeNotNull(last_update_at), update_due_at < {as_of:DateTime64(3, 'UTC')}), NULL) AS oldest_ticket_id,
    if(stale > 0, toFloat64(dateDiff('millisecond', minIf(assumeNotNull(last_update_at), update_due_at < {as_of:DateTime64(3, 'UTC')}), {as_of:DateTime64(3, 'UTC')}) / 1000), NULL) AS oldest_age_seconds,
    if(stale > 0, toFloat64(dateDiff('millisecond', minIf(assumeNotNull(update_due_at), update_due_at < {as_of:DateTime64(3, 'UTC')}), {as_of:DateTime64(3, 'UTC')}) / 1000), NULL) AS max_overdue_seconds
FROM ticket_sla_open FINAL
WHERE stopped = 0
  AND created_at <= {as_of:DateTime64(3, 'UTC')}
  AND last_update_at IS NOT NULL
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR region = {region:String})
  AND ({team:String} = '' OR team = {team:String})
GROUP BY region, team
ORDER BY stale DESC, region, team
