import type { ClickHouseClient } from '../../core/clickhouse.js';
import { isoToClickHouseTime, toClickHouseTime } from '../../core/clickhouse.js';
import { type RosterEvent, rosterEventSchema } from '../../core/events/roster.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import type { AgentMembership } from './membership.js';

// ClickHouse side of the roster transform. Every write is idempotent: events collapse on event_id
// and membership rows on (tenant, agent_id) keeping the highest version.

export async function insertRosterEvents(ch: ClickHouseClient, events: RosterEvent[]): Promise<void> {
  if (events.length === 0) return;
  await ch.insert({
    table: tables.rosterEvents,
    format: 'JSONEachRow',
    values: events.map((e) => ({
      event_id: e.eventId,
      tenant: e.tenant,
      agent_id: e.agentId,
      type: e.type,
      source: e.source,
      occurred_at: isoToClickHouseTime(e.occurredAt),
      received_at: isoToClickHouseTime(e.receivedAt),
      payload: JSON.stringify(e),
    })),
  });
}

/** The agent_membership row of an agent's membership periods. */
export function membershipRow(m: AgentMembership): Record<string, unknown> {
  return {
    tenant: m.tenant,
    agent_id: m.agentId,
    version: m.version,
    m_team: m.periods.map((p) => p.team),
    m_region: m.periods.map((p) => p.region),
    m_role: m.periods.map((p) => p.role),
    m_fte: m.periods.map((p) => p.fte),
    m_from: m.periods.map((p) => toClickHouseTime(p.from)),
    m_to: m.periods.map((p) => (p.to === null ? null : toClickHouseTime(p.to))),
  };
}

/** Stored histories of the given agents of one tenant, validated as they are read back. */
export async function loadRosterHistories(
  ch: ClickHouseClient,
  tenant: string,
  agentIds: string[],
): Promise<Map<string, RosterEvent[]>> {
  const out = new Map<string, RosterEvent[]>();
  if (agentIds.length === 0) return out;
  const rs = await ch.query({
    query: readQuery('roster-histories'),
    query_params: { tenant, agent_ids: agentIds },
    format: 'JSONEachRow',
  });
  for (const row of await rs.json<{ payload: string }>()) {
    const event = rosterEventSchema.parse(JSON.parse(row.payload));
    const list = out.get(event.agentId);
    if (list) list.push(event);
    else out.set(event.agentId, [event]);
  }
  return out;
}
