import type { TicketEvent } from '../../core/events/ticket.js';
import { type SimRegion, ticketsCreatedInHour } from '../../ingest/simulator/tickets.js';

const HOUR = 3_600_000;

// A busy provider: enough tickets per simulated hour that a benchmark needs few hours of them.
const busyRegions: SimRegion[] = [
  { name: 'APAC', teams: ['apac-l1', 'apac-l2'], ticketsPerHour: 120 },
  { name: 'EMEA', teams: ['emea-l1', 'emea-l2'], ticketsPerHour: 150 },
  { name: 'AMER', teams: ['amer-l1', 'amer-l2'], ticketsPerHour: 120 },
];

/**
 * A deterministic stream of simulator ticket events, whole tickets at a time, each call continuing
 * where the previous stopped so no two calls repeat an event id.
 */
export class BenchEventSource {
  private hour: number;

  constructor(
    private readonly tenant: string,
    private readonly seed = 8,
    start = Date.parse('2026-01-05T00:00:00Z'),
  ) {
    this.hour = Math.floor(start / HOUR) * HOUR;
  }

  /** At least `n` events (whole tickets), in time order within each ticket. */
  take(n: number): TicketEvent[] {
    const out: TicketEvent[] = [];
    while (out.length < n) {
      out.push(
        ...ticketsCreatedInHour({ seed: this.seed, tenant: this.tenant, regions: busyRegions }, this.hour),
      );
      this.hour += HOUR;
    }
    return out;
  }
}

/** The mean size in bytes of the events as they are written to Kafka. */
export const meanMessageBytes = (events: readonly TicketEvent[]) =>
  events.length === 0
    ? 0
    : events.reduce((s, e) => s + Buffer.byteLength(JSON.stringify(e)), 0) / events.length;

/**
 * `n` tickets created over the last two weeks and never resolved: what a transform holds when the
 * backlog is huge. (Their SLA clocks run from creation to now, so their age matters to the cost.)
 */
export function openTicketEvents(n: number, tenant: string, now = Date.now()): TicketEvent[] {
  const regions = ['APAC', 'EMEA', 'AMER'];
  const span = 14 * 86_400_000;
  return Array.from({ length: n }, (_, i) => {
    const ticketId = `open-${i}`;
    const at = new Date(now - span + Math.floor((i * span) / n)).toISOString();
    return createdTicket(ticketId, tenant, at, {
      customer: `customer-${i % 50}`,
      region: regions[i % 3]!,
      priority: 'medium',
    });
  });
}

/** A ticket.created event of the bench's own (tracers, warm-up, open tickets). */
export function createdTicket(
  ticketId: string,
  tenant: string,
  at: string,
  fields: { customer?: string; region?: string; priority?: string } = {},
): TicketEvent {
  return {
    eventId: `bench:ticket:${ticketId}:0`,
    schemaVersion: 1,
    source: 'bench',
    tenant,
    ticketId,
    occurredAt: at,
    receivedAt: at,
    type: 'ticket.created',
    customer: fields.customer ?? 'tracer',
    region: fields.region ?? 'EMEA',
    priority: fields.priority ?? 'low',
  } as TicketEvent;
}
