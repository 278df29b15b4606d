-- One ticket's facts (docs/metrics.md, "Handovers" and "Escalations") for the drill-down, in every
-- tenant where {ticket_id} exists (at most two rows: the caller only needs to know it is
-- ambiguous). {region} keeps the ticket when that region ever owned it (at creation, now, or on
-- either side of a handover), so a region-restricted caller can follow a ticket its region handed
-- on. Empty {tenant} / {region} mean all.
-- The key is compared in PREWHERE, so that only the key's rows are read of each part's granule
-- (the engine moves plain sorting-key conditions there itself, core/clickhouse.ts, but measured
-- slower on these). A condition on the sorting key keeps or drops all of a key's rows together, so
-- it is exact before FINAL merges them.
SELECT
    tenant,
    ticket_id,
    toString(created_at) AS created_at,
    customer,
    priority,
    created_region,
    team,
    region,
    tier,
    max_tier,
    toString(responded_at) AS responded_at,
    response_kind,
    toString(resolved_at) AS resolved_at,
    toString(closed_at) AS closed_at,
    toString(cancelled_at) AS cancelled_at,
    is_open,
    reopens,
    handovers,
    cross_region_handovers,
    ping_pong_handovers,
    escalations,
    arrayMap(x -> toString(x), ho_at) AS ho_at,
    ho_from_team,
    ho_from_region,
    ho_to_team,
    ho_to_region,
    ho_cross_region,
    ho_ping_pong,
    ho_outcome,
    arrayMap(x -> toString(x), ho_picked_at) AS ho_picked_at,
    ho_pickup_kind,
    arrayMap(x -> toString(x), ho_until) AS ho_until,
    ho_calendar,
    ho_wall_seconds,
    ho_business_seconds,
    ho_seam_idle_seconds,
    arrayMap(x -> toString(x), es_at) AS es_at,
    es_kind,
    es_from_tier,
    es_to_tier,
    es_source
FROM ticket_facts FINAL
PREWHERE ticket_id = {ticket_id:String}
  AND ({tenant:String} = '' OR tenant = {tenant:String})
WHERE ({region:String} = ''
       OR created_region = {region:String}
       OR first_region = {region:String}
       OR region = {region:String}
       OR has(ho_from_region, {region:String})
       OR has(ho_to_region, {region:String}))
ORDER BY tenant
LIMIT 2
