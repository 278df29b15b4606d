import type { TicketEvent } from '../../core/events/ticket.js';

// The periods during which a ticket counted in a backlog slice, derived from its whole history.
// Recomputing from the full history (rather than patching state) is what places late and
// out-of-order events correctly.

export type OpenKind = 'created' | 'reopened' | 'transfer';
export type CloseKind = 'resolved' | 'closed' | 'cancelled' | 'transfer';

export interface Slice {
  customer: string;
  region: string;
  team: string;
  priority: string;
}

export interface BacklogPeriod extends Slice {
  openedAt: number;
  openKind: OpenKind;
  closedAt: number | null;
  closeKind: CloseKind | '';
}

export interface TicketBacklogHistory {
  tenant: string;
  ticketId: string;
  /** Number of distinct events the periods were computed from: grows with the history. */
  version: number;
  createdAt: number;
  periods: BacklogPeriod[];
}

// Same-millisecond events apply in lifecycle order, so e.g. a creation precedes its assignment.
const typeOrder: Record<TicketEvent['type'], number> = {
  'ticket.created': 0,
  'ticket.assigned': 1,
  'ticket.priority_changed': 2,
  'ticket.escalated': 3,
  'ticket.status_changed': 4,
  'ticket.commented': 5,
  'ticket.scope_changed': 5,
  'ticket.field_dispatched': 5,
  'ticket.reopened': 6,
  'ticket.resolved': 7,
  'ticket.closed': 8,
  'ticket.cancelled': 9,
};

const terminalStatus = { resolved: 'resolved', closed: 'closed', cancelled: 'cancelled' } as const;

export function orderEvents(events: readonly TicketEvent[]): readonly TicketEvent[] {
  const known = ordered.get(events);
  if (known && known.of === events.length) return known.events;
  const unique = new Map<string, TicketEvent>();
  for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const keyed = [...unique.values()].map((e) => ({
    e,
    at: Date.parse(e.occurredAt),
    rank: typeOrder[e.type],
  }));
  keyed.sort(
    (a, b) =>
      a.at - b.at || a.rank - b.rank || (a.e.eventId < b.e.eventId ? -1 : a.e.eventId > b.e.eventId ? 1 : 0),
  );
  const result = Object.freeze(keyed.map((k) => k.e));
  ordered.set(events, { of: events.length, events: result });
  ordered.set(result, { of: result.length, events: result });
  return result;
}

/**
 * Each projection of a rebuilt ticket orders the same history again (facts, SLA row, backlog
 * periods, update clock...): the order is kept beside the history array, for as long as it lives.
 * Histories only ever grow (an event appended), so an order is reused only for the same length.
 */
const ordered = new WeakMap<readonly TicketEvent[], { of: number; events: readonly TicketEvent[] }>();

/** Returns null until the ticket's creation event has arrived: without it the slice is unknown. */
export function computeBacklogHistory(events: readonly TicketEvent[]): TicketBacklogHistory | null {
  const ordered = orderEvents(events);
  const created = ordered.find((e) => e.type === 'ticket.created');
  if (created?.type !== 'ticket.created') return null;

  const periods: BacklogPeriod[] = [];
  let slice: Slice | null = null;
  let current: BacklogPeriod | null = null;
  let pendingTeam = '';
  let pendingRegion: string | null = null;

  const open = (at: number, kind: OpenKind) => {
    if (current || !slice) return;
    current = { ...slice, openedAt: at, openKind: kind, closedAt: null, closeKind: '' };
    periods.push(current);
  };
  const close = (at: number, kind: CloseKind) => {
    if (!current) return;
    current.closedAt = at;
    current.closeKind = kind;
    current = null;
  };
  const moveTo = (at: number, next: Slice) => {
    if (!slice) return;
    const changed =
      next.customer !== slice.customer ||
      next.region !== slice.region ||
      next.team !== slice.team ||
      next.priority !== slice.priority;
    slice = next;
    if (changed && current) {
      close(at, 'transfer');
      open(at, 'transfer');
    }
  };

  for (const e of ordered) {
    const at = Date.parse(e.occurredAt);
    switch (e.type) {
      case 'ticket.created':
        if (slice) break; // a second creation record of the same ticket changes nothing
        slice = {
          customer: e.customer,
          region: pendingRegion ?? e.region,
          team: e.team ?? pendingTeam,
          priority: e.priority,
        };
        open(at, 'created');
        break;
      case 'ticket.assigned':
        if (slice) moveTo(at, { ...slice, team: e.team, region: e.region });
        else {
          pendingTeam = e.team;
          pendingRegion = e.region;
        }
        break;
      case 'ticket.priority_changed':
        if (slice) moveTo(at, { ...slice, priority: e.priority });
        break;
      case 'ticket.status_changed': {
        const terminal = terminalStatus[e.status as keyof typeof terminalStatus];
        if (terminal) close(at, terminal);
        else open(at, 'reopened');
        break;
      }
      case 'ticket.resolved':
        close(at, 'resolved');
        break;
      case 'ticket.closed':
        close(at, 'closed');
        break;
      case 'ticket.cancelled':
        close(at, 'cancelled');
        break;
      case 'ticket.reopened':
        open(at, 'reopened');
        break;
      case 'ticket.escalated':
      case 'ticket.commented':
      case 'ticket.scope_changed':
      case 'ticket.field_dispatched':
        break;
    }
  }

  return {
    tenant: created.tenant,
    ticketId: created.ticketId,
    version: ordered.length,
    createdAt: Date.parse(created.occurredAt),
    periods,
  };
}
