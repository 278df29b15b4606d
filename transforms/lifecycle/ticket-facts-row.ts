import { type CalendarLookup, defaultCalendarLookup } from '../../core/calendar.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import { tables } from '../../core/tables.js';
import type { Projection } from '../history/transform.js';
import { lastEventAt } from './sink.js';
import { computeTicketFacts, type TicketFacts } from './ticket-facts.js';

// The ticket_facts row of a ticket (sql/migrations/0004_ticket_facts.sql).

const time = (ms: number | null) => (ms === null ? null : toClickHouseTime(ms));
const flag = (b: boolean) => (b ? 1 : 0);

export function ticketFactsRow(f: TicketFacts): Record<string, unknown> {
  const ho = f.handovers;
  const es = f.escalations;
  return {
    tenant: f.tenant,
    ticket_id: f.ticketId,
    version: f.version,
    created_at: toClickHouseTime(f.createdAt),
    customer: f.customer,
    priority: f.priority,
    category: f.category,
    created_region: f.createdRegion,
    first_team: f.firstTeam,
    first_region: f.firstRegion,
    team: f.team,
    region: f.region,
    tier: f.tier,
    max_tier: f.maxTier,
    responded_at: time(f.respondedAt),
    response_kind: f.responseKind,
    resolved_at: time(f.resolvedAt),
    resolved_team: f.resolvedTeam,
    resolved_region: f.resolvedRegion,
    resolved_agent: f.resolvedAgent,
    last_resolved_at: time(f.lastResolvedAt),
    closed_at: time(f.closedAt),
    cancelled_at: time(f.cancelledAt),
    is_open: flag(f.open),
    reopens: f.reopens,
    reopened_after_resolution: flag(f.reopenedAfterResolution),
    resolved_by_first_team: flag(f.resolvedByFirstTeam),
    handovers: ho.length,
    cross_region_handovers: ho.filter((h) => h.crossRegion).length,
    ping_pong_handovers: ho.filter((h) => h.pingPong).length,
    escalations: es.length,
    escalated: flag(es.length > 0),
    first_escalated_at: time(es[0]?.at ?? null),
    ho_at: ho.map((h) => toClickHouseTime(h.at)),
    ho_from_team: ho.map((h) => h.fromTeam),
    ho_from_region: ho.map((h) => h.fromRegion),
    ho_to_team: ho.map((h) => h.toTeam),
    ho_to_region: ho.map((h) => h.toRegion),
    ho_cross_region: ho.map((h) => flag(h.crossRegion)),
    ho_ping_pong: ho.map((h) => flag(h.pingPong)),
    ho_outcome: ho.map((h) => h.outcome),
    ho_picked_at: ho.map((h) => time(h.pickedAt)),
    ho_pickup_kind: ho.map((h) => h.pickupKind),
    ho_until: ho.map((h) => time(h.until)),
    ho_calendar: ho.map((h) => h.calendar),
    ho_wall_seconds: ho.map((h) => h.wallSeconds),
    ho_business_seconds: ho.map((h) => h.businessSeconds),
    ho_seam_idle_seconds: ho.map((h) => h.seamIdleSeconds),
    es_at: es.map((e) => toClickHouseTime(e.at)),
    es_kind: es.map((e) => e.kind),
    es_from_tier: es.map((e) => e.fromTier),
    es_to_tier: es.map((e) => e.toTier),
    es_source: es.map((e) => e.source),
  };
}

/**
 * Ticket facts as a projection of the lifecycle transform. Pickup latencies use `calendars`
 * (the demo region calendars unless given).
 */
export function ticketFactsProjection(
  calendars: CalendarLookup = defaultCalendarLookup,
): Projection<TicketEvent> {
  return {
    table: tables.ticketFacts,
    rowFor(history) {
      const facts = computeTicketFacts(history, calendars);
      return facts ? { ...ticketFactsRow(facts), last_event_at: lastEventAt(history) } : null;
    },
  };
}
