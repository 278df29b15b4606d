-- One row per ticket: its SLA clocks (resolution and response) evaluated as of `as_of`, in business
-- seconds of the policy's calendar (or, in `owner` mode, of each owning region's calendar).
-- Written by the lifecycle transform when the ticket's history grows and by the SLA sweep as time
-- passes. version = event_count * 2^32 + as_of in whole seconds: a longer history always wins, and
-- for the same history the later evaluation wins, so a stale evaluation (older history, whenever
-- it was computed) can never replace a newer one, and a redone insert is harmless.
-- Predicted breach is not stored: sql/queries/sla-at-risk.sql derives it from the resolved rows.
CREATE TABLE IF NOT EXISTS ticket_sla
(
    tenant                LowCardinality(String),
    ticket_id             String,
    version               UInt64,
    event_count           UInt32,
    as_of                 DateTime64(3, 'UTC'),
    policy_id             LowCardinality(String),
    calendar              LowCardinality(String),
    customer              LowCardinality(String),
    -- current owner and priority as of `as_of`
    region                LowCardinality(String),
    team                  LowCardinality(String),
    priority              LowCardinality(String),
    created_at            DateTime64(3, 'UTC'),
    responded_at          Nullable(DateTime64(3, 'UTC')),
    -- the ticket as a whole: the worse of its clocks still to act on (see docs/metrics.md)
    risk                  LowCardinality(String),
    risk_rank             UInt8,
    due_at                Nullable(DateTime64(3, 'UTC')),
    -- resolution clock stopped (resolved, closed or cancelled): the sweep skips the ticket
    stopped               UInt8,
    met                   UInt8,
    breached              UInt8,
    breached_at           Nullable(DateTime64(3, 'UTC')),
    res_target_seconds    UInt32,
    res_elapsed_seconds   Float64,
    res_paused_seconds    Float64,
    res_remaining_seconds Float64,
    res_percent           Float64,
    res_state             LowCardinality(String),
    res_outcome           LowCardinality(String),
    res_risk              LowCardinality(String),
    res_due_at            Nullable(DateTime64(3, 'UTC')),
    res_breached_at       Nullable(DateTime64(3, 'UTC')),
    res_stopped_at        Nullable(DateTime64(3, 'UTC')),
    resp_target_seconds   UInt32,
    resp_elapsed_seconds  Float64,
    resp_paused_seconds   Float64,
    resp_remaining_seconds Float64,
    resp_percent          Float64,
    resp_state            LowCardinality(String),
    resp_outcome          LowCardinality(String),
    resp_risk             LowCardinality(String),
    resp_due_at           Nullable(DateTime64(3, 'UTC')),
    resp_breached_at      Nullable(DateTime64(3, 'UTC')),
    -- resolution-clock consumption per owning team, parallel arrays in order of first ownership
    team_name             Array(LowCardinality(String)),
    team_region           Array(LowCardinality(String)),
    team_elapsed_seconds  Array(Float64),
    team_paused_seconds   Array(Float64),
    stored_at             DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, ticket_id);
