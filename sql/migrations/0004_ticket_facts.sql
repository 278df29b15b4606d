-- One row per ticket: its lifecycle facts (docs/metrics.md, "Handovers" and "Escalations").
-- The transform rewrites the whole row whenever the ticket's history grows, with version = number
-- of distinct events, so a repeated insert is harmless and the newest history wins. Handovers and
-- escalations are parallel arrays (ho_*, es_*) rewritten together, so a late event that inserts a
-- handover in the middle renumbers them consistently. Nothing depends on the time of writing: a
-- handover still waiting has ho_outcome = 'pending' and ho_until = NULL, and its age is the
-- reader's as-of minus ho_at.
CREATE TABLE IF NOT EXISTS ticket_facts
(
    tenant                     LowCardinality(String),
    ticket_id                  String,
    version                    UInt64,
    created_at                 DateTime64(3, 'UTC'),
    customer                   LowCardinality(String),
    priority                   LowCardinality(String),
    created_region             LowCardinality(String),
    first_team                 LowCardinality(String),
    first_region               LowCardinality(String),
    -- current owner
    team                       LowCardinality(String),
    region                     LowCardinality(String),
    tier                       LowCardinality(String),
    max_tier                   LowCardinality(String),
    responded_at               Nullable(DateTime64(3, 'UTC')),
    response_kind              LowCardinality(String),
    -- first resolution (a closure of an open ticket counts), and who owned the ticket then
    resolved_at                Nullable(DateTime64(3, 'UTC')),
    resolved_team              LowCardinality(String),
    resolved_region            LowCardinality(String),
    last_resolved_at           Nullable(DateTime64(3, 'UTC')),
    closed_at                  Nullable(DateTime64(3, 'UTC')),
    cancelled_at               Nullable(DateTime64(3, 'UTC')),
    is_open                    UInt8,
    reopens                    UInt32,
    reopened_after_resolution  UInt8,
    resolved_by_first_team     UInt8,
    handovers                  UInt32,
    cross_region_handovers     UInt32,
    ping_pong_handovers        UInt32,
    escalations                UInt32,
    escalated                  UInt8,
    first_escalated_at         Nullable(DateTime64(3, 'UTC')),
    ho_at                      Array(DateTime64(3, 'UTC')),
    ho_from_team               Array(LowCardinality(String)),
    ho_from_region             Array(LowCardinality(String)),
    ho_to_team                 Array(LowCardinality(String)),
    ho_to_region               Array(LowCardinality(String)),
    ho_cross_region            Array(UInt8),
    ho_ping_pong               Array(UInt8),
    ho_outcome                 Array(LowCardinality(String)),
    ho_picked_at               Array(Nullable(DateTime64(3, 'UTC'))),
    ho_pickup_kind             Array(LowCardinality(String)),
    ho_until                   Array(Nullable(DateTime64(3, 'UTC'))),
    ho_calendar                Array(LowCardinality(String)),
    ho_wall_seconds            Array(Nullable(Float64)),
    ho_business_seconds        Array(Nullable(Float64)),
    ho_seam_idle_seconds       Array(Nullable(Float64)),
    es_at                      Array(DateTime64(3, 'UTC')),
    es_kind                    Array(LowCardinality(String)),
    es_from_tier               Array(LowCardinality(String)),
    es_to_tier                 Array(LowCardinality(String)),
    es_source                  Array(LowCardinality(String)),
    stored_at                  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, ticket_id);
