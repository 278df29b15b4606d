-- review-sla-at-risk.sql's answer from ticket_sla_open (the rows of the tickets whose resolution
-- clock has not stopped; a stopped one is dropped by is_deleted). Empty {tenant} / {region} mean all.
SELECT
    toUInt64(count()) AS open_tickets,
    toUInt64(countIf(risk = 'watch')) AS watch,
    toUInt64(countIf(risk = 'warning')) AS warning,
    toUInt64(countIf(risk = 'critical')) AS critical,
    toUInt64(countIf(risk = 'breached')) AS breached,
    toUInt64(countIf(risk IN ('warning', 'critical'))) AS at_risk,
    if(open_tickets = 0, NULL, toString(max(as_of))) AS as_of
FROM ticket_sla_open FINAL
WHERE stopped = 0
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR region = {region:String})
