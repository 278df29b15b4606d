-- Every canonical field-job event as received, once per event_id. The payload is the canonical
-- JSON, so a job's history can be replayed when a definition changes.
CREATE TABLE IF NOT EXISTS field_job_events
(
    event_id    String,
    tenant      LowCardinality(String),
    job_id      String,
    type        LowCardinality(String),
    source      LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    payload     String CODEC(ZSTD(3)),
    stored_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant, job_id, event_id);

-- One row per field job: its execution facts (docs/metrics.md, "Field execution"). The transform
-- rewrites the row whenever the job's history grows, with version = number of distinct events, so
-- a repeated insert is harmless and the newest history wins. Durations are seconds; a block still
-- open when the history ends is kept as its start (*_since), its age is the reader's "now" minus it.
CREATE TABLE IF NOT EXISTS field_job_facts
(
    tenant                   LowCardinality(String),
    job_id                   String,
    version                  UInt64,
    ticket_id                String,
    site                     String,
    region                   LowCardinality(String),
    customer                 LowCardinality(String),
    priority                 LowCardinality(String),
    status                   LowCardinality(String),
    created_at               DateTime64(3, 'UTC'),
    scheduled_at             Nullable(DateTime64(3, 'UTC')),
    planned_start            Nullable(DateTime64(3, 'UTC')),
    planned_end              Nullable(DateTime64(3, 'UTC')),
    dispatched_at            Nullable(DateTime64(3, 'UTC')),
    engineer                 String,
    dispatches               UInt32,
    first_on_site_at         Nullable(DateTime64(3, 'UTC')),
    last_on_site_at          Nullable(DateTime64(3, 'UTC')),
    visits                   UInt32,
    completed_at             Nullable(DateTime64(3, 'UTC')),
    fixed                    UInt8,
    cancelled_at             Nullable(DateTime64(3, 'UTC')),
    dispatch_latency_seconds Nullable(Float64),
    arrival_seconds          Nullable(Float64),
    access_delays            UInt32,
    access_delay_seconds     Float64,
    access_delayed_since     Nullable(DateTime64(3, 'UTC')),
    had_parts                UInt8,
    parts_requests           UInt32,
    parts_delay_seconds      Nullable(Float64),
    parts_late               UInt8,
    parts_faulty             UInt32,
    parts_waiting_since      Nullable(DateTime64(3, 'UTC')),
    parts_waiting_reason     LowCardinality(String),
    revisits_required        UInt32,
    revisits                 UInt32,
    first_time_fix           UInt8,
    planned_seconds          Nullable(Float64),
    actual_seconds           Nullable(Float64),
    scope_changes            UInt32,
    stored_at                DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, job_id);
