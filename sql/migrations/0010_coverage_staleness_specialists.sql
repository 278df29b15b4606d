-- Coverage gap, update staleness and specialist concentration (docs/metrics.md).

-- One row per agent: the agent's shifts from its roster history, overlapping or touching shifts of
-- the same region merged into one (a shift reported twice, or split in two, is one stretch of
-- presence). Rewritten whenever the agent's history grows, with version = number of distinct
-- events, so the newest history wins.
CREATE TABLE IF NOT EXISTS agent_shifts
(
    tenant    LowCardinality(String),
    agent_id  String,
    version   UInt64,
    s_region  Array(LowCardinality(String)),
    s_team    Array(LowCardinality(String)),
    s_start   Array(DateTime64(3, 'UTC')),
    s_end     Array(DateTime64(3, 'UTC')),
    stored_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, agent_id);

-- Specialist concentration: what the ticket is about (from its creation) and which agent held it
-- when it was first resolved ('' when no agent was named).
ALTER TABLE ticket_facts ADD COLUMN IF NOT EXISTS category LowCardinality(String) DEFAULT '' AFTER priority;
ALTER TABLE ticket_facts ADD COLUMN IF NOT EXISTS resolved_agent String DEFAULT '' AFTER resolved_region;

-- Update staleness: the ticket's last public update (creation, reopen, provider's public comment,
-- status change) and the instant its update interval runs out in the policy's business time
-- (NULL while the clock is paused or stopped). Both follow from the history alone, so a row
-- written at any instant after the last event is exact at every later instant.
ALTER TABLE ticket_sla ADD COLUMN IF NOT EXISTS last_update_at Nullable(DateTime64(3, 'UTC')) AFTER responded_at;
ALTER TABLE ticket_sla ADD COLUMN IF NOT EXISTS last_update_kind LowCardinality(String) DEFAULT '' AFTER last_update_at;
ALTER TABLE ticket_sla ADD COLUMN IF NOT EXISTS update_interval_seconds UInt32 DEFAULT 0 AFTER last_update_kind;
ALTER TABLE ticket_sla ADD COLUMN IF NOT EXISTS update_due_at Nullable(DateTime64(3, 'UTC')) AFTER update_interval_seconds;
