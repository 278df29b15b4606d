-- Every canonical ticket event as received, once per event_id. The payload is the canonical JSON,
-- so a ticket's history can be replayed when a definition changes.
CREATE TABLE IF NOT EXISTS ticket_events
(
    event_id    String,
    tenant      LowCardinality(String),
    ticket_id   String,
    type        LowCardinality(String),
    source      LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    payload     String CODEC(ZSTD(3)),
    stored_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant, ticket_id, event_id);
