import { describe, expect, it } from 'vitest';
import type { TicketEvent } from '../../core/events/ticket.js';
import { computeTicketFacts } from './ticket-facts.js';

// A field job dispatched for the ticket as the receiving team's first action. Tuesday 3 March
// 2026, London (GMT) works 08:00-18:00Z.

function ticket(id: string) {
  let n = 0;
  const events: TicketEvent[] = [];
  const add = (type: TicketEvent['type'], hhmm: string, body: Record<string, unknown> = {}) => {
    const iso = `2026-03-03T${hhmm}:00.000Z`;
    events.push({
      eventId: `t:ticket:${id}:${n++}`,
      schemaVersion: 1,
      source: 't',
      tenant: 'acme-msp',
      ticketId: id,
      occurredAt: iso,
      receivedAt: iso,
      type,
      ...body,
    } as TicketEvent);
  };
  return { events, add };
}

describe('dispatch as a handover pickup', () => {
  it('a dispatch naming no team, after the handover, picks it up', () => {
    const t = ticket('T1');
    t.add('ticket.created', '06:00', { customer: 'acme', region: 'APAC', priority: 'high', team: 'apac-l1' });
    t.add('ticket.assigned', '09:00', { team: 'emea-field', region: 'EMEA' });
    t.add('ticket.field_dispatched', '09:40', { jobId: 'J1', engineer: 'eng-1' });
    t.add('ticket.commented', '10:00', { visibility: 'public', team: 'emea-field' });
    const h = computeTicketFacts(t.events)?.handovers[0];
    expect(h).toMatchObject({
      outcome: 'picked_up',
      pickupKind: 'dispatch',
      pickedAt: Date.parse('2026-03-03T09:40:00Z'),
      wallSeconds: 2400,
      businessSeconds: 2400,
      seamIdleSeconds: 0,
    });
  });

  it("a dispatch naming another team is not the receiving team's act", () => {
    const t = ticket('T2');
    t.add('ticket.created', '06:00', { customer: 'acme', region: 'APAC', priority: 'high', team: 'apac-l1' });
    t.add('ticket.assigned', '07:00', { team: 'emea-field', region: 'EMEA' });
    t.add('ticket.field_dispatched', '07:30', { jobId: 'J2', engineer: 'eng-2', team: 'dispatch-desk' });
    t.add('ticket.field_dispatched', '08:30', { jobId: 'J2', engineer: 'eng-3', team: 'emea-field' });
    // 07:00 → 08:30: 5 400 s wall, London opens at 08:00: 1 800 s business, 3 600 s seam idle.
    expect(computeTicketFacts(t.events)?.handovers[0]).toMatchObject({
      pickupKind: 'dispatch',
      wallSeconds: 5400,
      businessSeconds: 1800,
      seamIdleSeconds: 3600,
    });
  });

  it('the dispatch changes nothing else: backlog, response and version count it as an event only', () => {
    const t = ticket('T3');
    t.add('ticket.created', '06:00', { customer: 'acme', region: 'EMEA', priority: 'high', team: 'emea-l1' });
    t.add('ticket.field_dispatched', '07:00', { jobId: 'J3', engineer: 'eng-1' });
    const f = computeTicketFacts(t.events);
    expect(f).toMatchObject({ respondedAt: null, handovers: [], open: true, version: 2 });
  });
});
