-- Every canonical roster event as received, once per event_id. The payload is the canonical JSON,
-- so an agent's history can be replayed when a definition changes.
CREATE TABLE IF NOT EXISTS roster_events
(
    event_id    String,
    tenant      LowCardinality(String),
    agent_id    String,
    type        LowCardinality(String),
    source      LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    payload     String CODEC(ZSTD(3)),
    stored_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant, agent_id, event_id);

-- One row per agent: the periods during which the agent was a member of a team, with the team's
-- region, the agent's role and FTE. A period opens on a join and closes on a leave or a move (a
-- join with another team, region, role or FTE). The transform rewrites the whole row whenever the
-- agent's history grows, with version = number of distinct events, so the newest history wins.
CREATE TABLE IF NOT EXISTS agent_membership
(
    tenant    LowCardinality(String),
    agent_id  String,
    version   UInt64,
    m_team    Array(LowCardinality(String)),
    m_region  Array(LowCardinality(String)),
    m_role    Array(LowCardinality(String)),
    m_fte     Array(Float64),
    m_from    Array(DateTime64(3, 'UTC')),
    m_to      Array(Nullable(DateTime64(3, 'UTC'))),
    stored_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, agent_id);
