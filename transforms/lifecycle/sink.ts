import type { ClickHouseClient } from '../../core/clickhouse.js';
import { isoToClickHouseTime, toClickHouseTime } from '../../core/clickhouse.js';
import { type TicketEvent, ticketEventSchema } from '../../core/events/ticket.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { orderEvents, type TicketBacklogHistory } from './backlog-periods.js';

// ClickHouse side of the lifecycle transform. Every write is idempotent: events collapse on
// event_id and lifecycle rows on (tenant, ticket_id) keeping the highest version.

export async function insertTicketEvents(ch: ClickHouseClient, events: TicketEvent[]): Promise<void> {
  if (events.length === 0) return;
  await ch.insert({
    table: tables.ticketEvents,
    format: 'JSONEachRow',
    values: events.map((e) => ({
      event_id: e.eventId,
      tenant: e.tenant,
      ticket_id: e.ticketId,
      type: e.type,
      source: e.source,
      occurred_at: isoToClickHouseTime(e.occurredAt),
      received_at: isoToClickHouseTime(e.receivedAt),
      payload: JSON.stringify(e),
    })),
  });
}

/**
 * The newest event time of a ticket's history, stored beside each derived row: the "recent"
 * copies of the per-ticket tables keep only tickets with an event in the last day
 * (sql/migrations/0012_api_rollups.sql).
 */
export function lastEventAt(history: readonly TicketEvent[]): string {
  // The projections have ordered this history already (the order is kept): its last is the newest.
  const ordered = orderEvents(history);
  return toClickHouseTime(ordered.length === 0 ? 0 : Date.parse(ordered[ordered.length - 1]!.occurredAt));
}

/** The ticket_lifecycle row of a ticket's backlog periods. */
export function backlogPeriodsRow(r: TicketBacklogHistory): Record<string, unknown> {
  return {
    tenant: r.tenant,
    ticket_id: r.ticketId,
    version: r.version,
    created_at: toClickHouseTime(r.createdAt),
    iv_customer: r.periods.map((p) => p.customer),
    iv_region: r.periods.map((p) => p.region),
    iv_team: r.periods.map((p) => p.team),
    iv_priority: r.periods.map((p) => p.priority),
    iv_opened_at: r.periods.map((p) => toClickHouseTime(p.openedAt)),
    iv_open_kind: r.periods.map((p) => p.openKind),
    iv_closed_at: r.periods.map((p) => (p.closedAt === null ? null : toClickHouseTime(p.closedAt))),
    iv_close_kind: r.periods.map((p) => p.closeKind),
  };
}

/** Stored histories of the given tickets of one tenant, validated as they are read back. */
export async function loadTicketHistories(
  ch: ClickHouseClient,
  tenant: string,
  ticketIds: string[],
): Promise<Map<string, TicketEvent[]>> {
  const out = new Map<string, TicketEvent[]>();
  if (ticketIds.length === 0) return out;
  const rs = await ch.query({
    query: readQuery('ticket-histories'),
    query_params: { tenant, ticket_ids: ticketIds },
    format: 'JSONEachRow',
  });
  for (const row of await rs.json<{ payload: string }>()) {
    const event = ticketEventSchema.parse(JSON.parse(row.payload));
    const list = out.get(event.ticketId);
    if (list) list.push(event);
    else out.set(event.ticketId, [event]);
  }
  return out;
}
