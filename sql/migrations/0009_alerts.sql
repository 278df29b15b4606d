-- Alert state history (transforms/alerts): one row per transition of an alert (pending, firing,
-- resolved, inactive = a pending alert that cleared before firing). An alert is identified by its
-- fingerprint (rule + group labels such as tenant and region); an episode by its started_at. The id
-- is a hash of (fingerprint, started_at, state, consecutive), so a transition inserted twice collapses
-- into one row. The evaluator reads each fingerprint's latest row back at start-up.
-- group_labels identify the alert within its rule; labels are those plus the rule's own labels.
-- `numbers` is the JSON of the figures that justify the transition (e.g. backlog and headcount at
-- both ends of the window and their growth).
CREATE TABLE IF NOT EXISTS alerts
(
    id             String,
    fingerprint    String,
    rule_id        LowCardinality(String),
    kind           LowCardinality(String),
    severity       LowCardinality(String),
    state          LowCardinality(String),
    previous_state LowCardinality(String),
    consecutive    UInt32,
    tenant         LowCardinality(String),
    region         LowCardinality(String),
    group_labels   Map(String, String),
    labels         Map(String, String),
    started_at     DateTime64(3, 'UTC'),
    fired_at       Nullable(DateTime64(3, 'UTC')),
    resolved_at    Nullable(DateTime64(3, 'UTC')),
    at             DateTime64(3, 'UTC'),
    value          Nullable(Float64),
    threshold      Float64,
    summary        String,
    numbers        String,
    stored_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (fingerprint, id);
