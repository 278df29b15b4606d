import type { TicketEvent } from '../../core/events/ticket.js';

/**
 * Stored ticket histories to read back: ticket `T-i` of each tenant has `eventsOf(i)` events, its
 * creation then internal comments a second apart. The same ids in two tenants are two tickets.
 */
export function ticketHistories(
  tenants: readonly string[],
  perTenant: number,
  eventsOf: (i: number) => number,
): TicketEvent[] {
  const events: TicketEvent[] = [];
  for (const tenant of tenants)
    for (let i = 0; i < perTenant; i++)
      for (let k = 0; k < eventsOf(i); k++) {
        const at = new Date(Date.UTC(2026, 5, 1, 9, i, k)).toISOString();
        events.push({
          eventId: `test:${tenant}:T-${i}:${k}`,
          schemaVersion: 1,
          source: 'test',
          tenant,
          ticketId: `T-${i}`,
          occurredAt: at,
          receivedAt: at,
          ...(k === 0
            ? { type: 'ticket.created', customer: 'acme', region: 'EMEA', priority: 'low' }
            : { type: 'ticket.commented', visibility: 'internal' }),
        } as TicketEvent);
      }
  return events;
}
