import { describe, expect, it } from 'vitest';
import type { TicketEvent } from '../../core/events/ticket.js';
import { dirtyMarkers } from './backlog-dirty.js';

const ev = (tenant: string, at: string): TicketEvent =>
  ({
    eventId: `${tenant}-${at}`,
    schemaVersion: 1,
    source: 'hand',
    tenant,
    ticketId: 'T1',
    occurredAt: at,
    receivedAt: at,
    type: 'ticket.resolved',
  }) as TicketEvent;

describe('dirtyMarkers', () => {
  it('marks, per tenant, the hour of the earliest event of the batch', () => {
    expect(
      dirtyMarkers([
        ev('a', '2026-03-09T10:59:59.999Z'),
        ev('b', '2026-03-09T12:00:00.000Z'),
        ev('a', '2026-03-09T08:00:00.001Z'),
        ev('a', '2026-03-09T23:00:00.000Z'),
      ]),
    ).toEqual([
      { tenant: 'a', fromHour: Date.parse('2026-03-09T08:00:00Z') },
      { tenant: 'b', fromHour: Date.parse('2026-03-09T12:00:00Z') },
    ]);
  });
  it('marks nothing for an empty batch', () => {
    expect(dirtyMarkers([])).toEqual([]);
  });
});
