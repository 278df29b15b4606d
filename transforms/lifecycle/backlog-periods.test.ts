import { describe, expect, it } from 'vitest';
import type { TicketEvent } from '../../core/events/ticket.js';
import { computeBacklogHistory } from './backlog-periods.js';

let n = 0;
function ev(type: TicketEvent['type'], at: string, body: Record<string, unknown> = {}): TicketEvent {
  n++;
  return {
    eventId: `t:ticket:T1:${n}`,
    schemaVersion: 1,
    source: 't',
    tenant: 'acme-msp',
    ticketId: 'T1',
    occurredAt: `2026-03-02T${at}:00.000Z`,
    receivedAt: `2026-03-02T${at}:00.000Z`,
    type,
    ...body,
  } as TicketEvent;
}

const created = (at: string) =>
  ev('ticket.created', at, { customer: 'c1', region: 'APAC', priority: 'high' });
const ms = (at: string) => Date.parse(`2026-03-02T${at}:00.000Z`);

describe('computeBacklogHistory', () => {
  it('opens on creation and closes on resolution; closure after resolution changes nothing', () => {
    const h = computeBacklogHistory([
      created('09:00'),
      ev('ticket.resolved', '10:00'),
      ev('ticket.closed', '11:00'),
    ]);
    expect(h?.periods).toEqual([
      {
        customer: 'c1',
        region: 'APAC',
        team: '',
        priority: 'high',
        openedAt: ms('09:00'),
        openKind: 'created',
        closedAt: ms('10:00'),
        closeKind: 'resolved',
      },
    ]);
    expect(h?.version).toBe(3);
  });

  it('splits the period when the ticket moves to another region and reopens after resolution', () => {
    const h = computeBacklogHistory([
      created('09:00'),
      ev('ticket.assigned', '09:10', { team: 'apac-l1', region: 'APAC' }),
      ev('ticket.assigned', '12:00', { team: 'emea-l1', region: 'EMEA' }),
      ev('ticket.resolved', '13:00'),
      ev('ticket.reopened', '15:00'),
      ev('ticket.status_changed', '16:00', { status: 'cancelled' }),
    ]);
    expect(
      h?.periods.map((p) => [p.region, p.team, p.openKind, p.closeKind, p.openedAt, p.closedAt]),
    ).toEqual([
      ['APAC', '', 'created', 'transfer', ms('09:00'), ms('09:10')],
      ['APAC', 'apac-l1', 'transfer', 'transfer', ms('09:10'), ms('12:00')],
      ['EMEA', 'emea-l1', 'transfer', 'resolved', ms('12:00'), ms('13:00')],
      ['EMEA', 'emea-l1', 'reopened', 'cancelled', ms('15:00'), ms('16:00')],
    ]);
  });

  it('gives the same periods whatever the arrival order, and ignores repeated events', () => {
    const events = [
      created('09:00'),
      ev('ticket.assigned', '09:30', { team: 'apac-l2', region: 'APAC' }),
      ev('ticket.priority_changed', '10:00', { priority: 'critical' }),
      ev('ticket.resolved', '11:00'),
    ];
    const inOrder = computeBacklogHistory(events);
    const shuffled = computeBacklogHistory([
      events[3]!,
      events[1]!,
      events[3]!,
      events[0]!,
      events[2]!,
      events[1]!,
    ]);
    expect(shuffled).toEqual(inOrder);
    expect(inOrder?.periods).toHaveLength(3);
    expect(inOrder?.version).toBe(4);
  });

  it('waits for the creation event before placing the ticket', () => {
    expect(computeBacklogHistory([ev('ticket.assigned', '09:30', { team: 'x', region: 'APAC' })])).toBeNull();
  });
});
