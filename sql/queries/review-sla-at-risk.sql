-- Weekly review: open tickets (resolution clock not stopped) of the region by SLA risk now, as of
-- their latest evaluation (ticket_sla keeps no history, so this is a snapshot, not a figure of the
-- week). At risk = warning or critical (75 % to 100 % of the target consumed, not yet breached).
-- {source} is ticket_sla or its open copy ticket_sla_open (a stopped clock is dropped from it by
-- is_deleted): the same answer. Empty {tenant} / {region} mean all.
SELECT
    toUInt64(count()) AS open_tickets,
    toUInt64(countIf(risk = 'watch')) AS watch,
    toUInt64(countIf(risk = 'warning')) AS warning,
    toUInt64(countIf(risk = 'critical')) AS critical,
    toUInt64(countIf(risk = 'breached')) AS breached,
    toUInt64(countIf(risk IN ('warning', 'critical'))) AS at_risk,
    if(open_tickets = 0, NULL, toString(max(as_of))) AS as_of
FROM {source:Identifier} FINAL
WHERE stopped = 0
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR region = {region:String})
