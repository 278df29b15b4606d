-- One row per ticket: the periods during which it counted in a backlog slice. A slice is
-- (customer, region, team, priority); a period opens on creation, reopen or a move into the slice
-- and closes on resolution, closure, cancellation or a move out. The transform rewrites the whole
-- row whenever the ticket's history grows, with version = number of distinct events, so a repeated
-- insert is harmless and the newest history wins.
CREATE TABLE IF NOT EXISTS ticket_lifecycle
(
    tenant        LowCardinality(String),
    ticket_id     String,
    version       UInt64,
    created_at    DateTime64(3, 'UTC'),
    iv_customer   Array(LowCardinality(String)),
    iv_region     Array(LowCardinality(String)),
    iv_team       Array(LowCardinality(String)),
    iv_priority   Array(LowCardinality(String)),
    iv_opened_at  Array(DateTime64(3, 'UTC')),
    iv_open_kind  Array(LowCardinality(String)),
    iv_closed_at  Array(Nullable(DateTime64(3, 'UTC'))),
    iv_close_kind Array(LowCardinality(String)),
    stored_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, ticket_id);
