import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../core/outcome.js';
import { fixtureMappings } from '../shared/fixture-mappings.js';
import { loadFixture } from '../shared/fixtures.js';
import { convertZendesk } from './convert.js';
import { zendeskWebhookSchema } from './schema.js';

const ctx = {
  mapping: fixtureMappings().get('zendesk')!,
  tenant: 'acme',
  receivedAt: '2024-05-08T12:00:00.000Z',
};
const convert = (name: string) => convertZendesk(loadFixture('zendesk', name, zendeskWebhookSchema), ctx);
const events = <T>(o: Outcome<T>): T => {
  if (o.kind !== 'ok') throw new Error(`expected ok, got ${o.kind}: ${o.reason}`);
  return o.value;
};
const common = {
  schemaVersion: 1,
  source: 'zendesk',
  tenant: 'acme',
  ticketId: '5158',
  receivedAt: '2024-05-08T12:00:00.000Z',
};
const created = 'zendesk:ticket:5158:cbe4028c-7239-495d-b020-f22348516046';

describe('Zendesk ticket event webhook → canonical events', () => {
  it('ticket.created becomes created, assigned to its group, and its first status', () => {
    expect(events(convert('ticket-created'))).toEqual([
      {
        ...common,
        type: 'ticket.created',
        eventId: `${created}.created`,
        occurredAt: '2024-05-06T08:15:00.000Z',
        customer: '8447346622462',
        region: 'EMEA',
        priority: 'high',
        originalPriority: 'HIGH',
        category: 'incident',
        channel: 'portal',
        team: '360001111',
        tier: 'L1',
      },
      {
        ...common,
        type: 'ticket.assigned',
        eventId: `${created}.assigned`,
        occurredAt: '2024-05-06T08:15:00.000Z',
        team: '360001111',
        region: 'EMEA',
        originalTeam: '360001111',
        tier: 'L1',
        agent: '8447388090494',
      },
      {
        ...common,
        type: 'ticket.status_changed',
        eventId: `${created}.status`,
        occurredAt: '2024-05-06T08:15:00.000Z',
        status: 'open',
        originalStatus: 'OPEN',
      },
    ]);
  });

  it('priority_changed', () => {
    const out = events(convert('priority-changed'));
    expect(out).toEqual([
      {
        ...common,
        type: 'ticket.priority_changed',
        eventId: 'zendesk:ticket:5158:b7c8d9e0-1f2a-3b4c-5d6e-7f8a9b0c1d2e.priority',
        occurredAt: '2024-05-06T09:30:15.456Z',
        priority: 'critical',
        originalPriority: 'URGENT',
      },
    ]);
  });

  it('group_assignment_changed hands the ticket to the new group in its region', () => {
    const out = events(convert('group-assignment-changed'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'ticket.assigned', team: '360002222', region: 'AMER', tier: 'L2' });
    expect(out[0]).not.toHaveProperty('agent');
    expect(out).toMatchSnapshot();
  });

  it('agent_assignment_changed names the agent within the current group', () => {
    const out = events(convert('agent-assignment-changed'));
    expect(out[0]).toMatchObject({ type: 'ticket.assigned', team: '360002222', agent: '8447388090496' });
    expect(out).toMatchSnapshot();
  });

  it('pending is on hold awaiting the customer; solved is resolved', () => {
    expect(events(convert('status-changed-pending'))).toMatchObject([
      { type: 'ticket.status_changed', status: 'on_hold', holdReason: 'customer', originalStatus: 'PENDING' },
    ]);
    const solved = events(convert('status-changed-solved'));
    expect(solved.map((e) => e.type)).toEqual(['ticket.status_changed', 'ticket.resolved']);
    expect(solved[1]!.occurredAt).toBe('2024-05-07T16:45:20.987Z');
    expect(solved).toMatchSnapshot();
  });

  it('a ticket whose group has no region is dead-lettered', () => {
    expect(convert('ticket-created-unknown-group')).toEqual({
      kind: 'dlq',
      reason: 'no region value and no default for source "zendesk"',
    });
  });

  it('untracked ticket event types are dropped', () => {
    const p = loadFixture('zendesk', 'priority-changed', zendeskWebhookSchema);
    expect(convertZendesk({ ...p, type: 'zen:event-type:ticket.tags_changed' }, ctx).kind).toBe('drop');
  });
});
