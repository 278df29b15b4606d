-- One ticket's backlog periods for the drill-down: who (customer, region, team, priority) held it
-- from when to when while it was open, and what opened and closed each period (created / reopened
-- / transfer, resolved / closed / cancelled / transfer; '' while still open).
-- The key is compared in PREWHERE, before FINAL: see ticket-timeline-facts.sql.
SELECT
    iv_customer AS customer,
    iv_region AS region,
    iv_team AS team,
    iv_priority AS priority,
    toString(iv_opened_at) AS opened_at,
    iv_open_kind AS open_kind,
    toString(iv_closed_at) AS closed_at,
    iv_close_kind AS close_kind
FROM ticket_lifecycle FINAL
ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
PREWHERE tenant = {tenant:String}
  AND ticket_id = {ticket_id:String}
ORDER BY iv_opened_at
