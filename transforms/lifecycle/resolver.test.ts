import { describe, expect, it } from 'vitest';
import type { TicketEvent } from '../../core/events/ticket.js';
import { computeTicketFacts } from './ticket-facts.js';
import { ticketFactsRow } from './ticket-facts-row.js';

// Category and resolving agent (specialist concentration).

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

describe('resolving agent and category', () => {
  it('the agent holding the ticket at its first resolution, after a handover', () => {
    const t = ticket('T1');
    t.add('ticket.created', '08:00', {
      customer: 'acme',
      region: 'EMEA',
      priority: 'high',
      category: 'network',
    });
    t.add('ticket.assigned', '08:10', { team: 'emea-l1', region: 'EMEA', agent: 'ann' });
    t.add('ticket.assigned', '09:00', { team: 'emea-net', region: 'EMEA' }); // handover, no agent yet
    t.add('ticket.assigned', '09:30', { team: 'emea-net', region: 'EMEA', agent: 'bob' });
    t.add('ticket.resolved', '11:00');
    t.add('ticket.reopened', '12:00');
    t.add('ticket.assigned', '12:05', { team: 'emea-net', region: 'EMEA', agent: 'cid' });
    t.add('ticket.resolved', '13:00'); // a later resolution does not change who resolved it first
    const f = computeTicketFacts(t.events);
    expect(f).toMatchObject({ category: 'network', resolvedAgent: 'bob', resolvedTeam: 'emea-net' });
    expect(ticketFactsRow(f!)).toMatchObject({ category: 'network', resolved_agent: 'bob' });
  });

  it('no agent named, or not resolved: empty; no category: empty', () => {
    const a = ticket('T2');
    a.add('ticket.created', '08:00', { customer: 'acme', region: 'EMEA', priority: 'low', team: 'emea-l1' });
    a.add('ticket.status_changed', '09:00', { status: 'resolved' });
    expect(computeTicketFacts(a.events)).toMatchObject({ category: '', resolvedAgent: '' });
    const b = ticket('T3');
    b.add('ticket.created', '08:00', {
      customer: 'acme',
      region: 'EMEA',
      priority: 'low',
      category: 'printers',
    });
    b.add('ticket.assigned', '08:10', { team: 'emea-l1', region: 'EMEA', agent: 'ann' });
    b.add('ticket.cancelled', '09:00'); // a cancellation is not a resolution
    expect(computeTicketFacts(b.events)).toMatchObject({ category: 'printers', resolvedAgent: '' });
  });
});
