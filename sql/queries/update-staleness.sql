-- Update staleness at {as_of} (docs/metrics.md, "Update staleness"), per current owner region and
-- team: the open tickets, those whose update interval ran out before {as_of} without a public
-- update (update_due_at < as_of), the oldest last update among the stale ones, its ticket and how
-- long ago it was. update_due_at is a pure function of the ticket's history (transforms/sla/
-- update.ts), so comparing it with {as_of} is exact at any instant after the latest event; an
-- {as_of} before a ticket's latest events sees the ticket as it is now, not as it was then.
-- {source} is ticket_sla, or for {as_of} = now its open copy ticket_sla_open (only the tickets
-- whose clock has not stopped: the same answer without scanning every ticket).
-- Empty {tenant} / {region} / {team} mean all.
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
FROM {source:Identifier} FINAL
WHERE stopped = 0
  AND created_at <= {as_of:DateTime64(3, 'UTC')}
  AND last_update_at IS NOT NULL
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR region = {region:String})
  AND ({team:String} = '' OR team = {team:String})
GROUP BY region, team
ORDER BY stale DESC, region, team
