import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../core/outcome.js';
import { fixtureMappings } from '../shared/fixture-mappings.js';
import { loadFixture } from '../shared/fixtures.js';
import { convertServiceNow } from './convert.js';
import { serviceNowWebhookSchema } from './schema.js';

const ctx = {
  mapping: fixtureMappings().get('servicenow')!,
  tenant: 'acme',
  receivedAt: '2024-05-08T12:00:00.000Z',
};
const convert = (name: string) =>
  convertServiceNow(loadFixture('servicenow', name, serviceNowWebhookSchema), ctx);
const events = <T>(o: Outcome<T>): T => {
  if (o.kind !== 'ok') throw new Error(`expected ok, got ${o.kind}: ${o.reason}`);
  return o.value;
};
const common = {
  schemaVersion: 1,
  source: 'servicenow',
  tenant: 'acme',
  ticketId: 'INC0010042',
  receivedAt: '2024-05-08T12:00:00.000Z',
};
const id = (change: string) => `servicenow:ticket:9d385017c611228701d22104cc95c371:${change}`;

describe('ServiceNow incident webhook → canonical events', () => {
  it('an insert becomes created, assigned and the first status', () => {
    expect(events(convert('insert'))).toEqual([
      {
        ...common,
        type: 'ticket.created',
        eventId: id('created'),
        occurredAt: '2024-05-06T08:15:00.000Z',
        customer: 'Acme GmbH',
        region: 'EMEA',
        priority: 'medium',
        originalPriority: '3 - Moderate',
        originalRegion: 'Germany',
        site: 'Germany',
        category: 'Network',
        channel: 'phone',
        team: 'Service Desk EMEA',
        tier: 'L1',
      },
      {
        ...common,
        type: 'ticket.assigned',
        eventId: id('created.assigned'),
        occurredAt: '2024-05-06T08:15:00.000Z',
        team: 'Service Desk EMEA',
        region: 'EMEA',
        originalTeam: 'Service Desk EMEA',
        originalRegion: 'Germany',
        tier: 'L1',
        agent: 'Beth Anglin',
      },
      {
        ...common,
        type: 'ticket.status_changed',
        eventId: id('created.status'),
        occurredAt: '2024-05-06T08:15:00.000Z',
        status: 'in_progress',
        originalStatus: 'In Progress',
      },
    ]);
  });

  it('a reassignment with a priority change: assigned to the new team in its region, priority_changed', () => {
    const out = events(convert('update-reassigned'));
    expect(out.map((e) => e.type)).toEqual(['ticket.assigned', 'ticket.priority_changed']);
    expect(out[0]).toMatchObject({
      eventId: id('4.assigned'),
      team: 'Network Operations APAC',
      region: 'APAC',
      tier: 'L2',
      occurredAt: '2024-05-06T10:30:00.000Z',
    });
    expect(out[0]).not.toHaveProperty('agent');
    expect(out[1]).toMatchObject({
      eventId: id('4.priority'),
      priority: 'high',
      originalPriority: '2 - High',
    });
    expect(out).toMatchSnapshot();
  });

  it('on hold keeps the hold reason from hold_reason', () => {
    const out = events(convert('update-on-hold'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      type: 'ticket.status_changed',
      eventId: id('5.status'),
      status: 'on_hold',
      holdReason: 'vendor',
      originalStatus: 'On Hold / Awaiting Vendor',
    });
    expect(out).toMatchSnapshot();
  });

  it('resolution: status_changed and resolved (at resolved_at)', () => {
    const out = events(convert('update-resolved'));
    expect(out.map((e) => [e.type, e.eventId, e.occurredAt])).toEqual([
      ['ticket.status_changed', id('6.status'), '2024-05-07T14:20:00.000Z'],
      ['ticket.resolved', id('6.resolved'), '2024-05-07T14:19:58.000Z'],
    ]);
    expect(out).toMatchSnapshot();
  });

  it('leaving resolved for work is a reopen', () => {
    const out = events(convert('update-reopened'));
    expect(out.map((e) => e.type)).toEqual(['ticket.status_changed', 'ticket.reopened']);
    expect(out[1]!.eventId).toBe(id('7.reopened'));
    expect(out).toMatchSnapshot();
  });

  it('an unknown state is dead-lettered with the mapping section to extend', () => {
    const out = convert('update-unmappable-state');
    expect(out.kind).toBe('dlq');
    expect(out.kind === 'dlq' && out.reason).toBe(
      'unknown status "42" for source "servicenow": add it to the "status" section of that source\'s mapping',
    );
  });

  it('the same delivery converts to the same event ids (vendor retries are idempotent)', () => {
    const a = events(convert('update-resolved')).map((e) => e.eventId);
    const b = events(convert('update-resolved')).map((e) => e.eventId);
    expect(a).toEqual(b);
  });

  it('an update that changes no tracked field is dropped', () => {
    const p = loadFixture('servicenow', 'update-resolved', serviceNowWebhookSchema);
    const same = { ...p, previous: { ...p.current, sys_mod_count: 5 } };
    expect(convertServiceNow(same, ctx).kind).toBe('drop');
  });

  it('an insert without a mappable location or team is dead-lettered for its region', () => {
    const p = loadFixture('servicenow', 'insert', serviceNowWebhookSchema);
    const out = convertServiceNow(
      { ...p, current: { ...p.current, location: 'Atlantis', assignment_group: 'Unknown Team' } },
      ctx,
    );
    expect(out).toEqual({
      kind: 'dlq',
      reason:
        'unknown region "Atlantis" for source "servicenow": add it to the "region" section of that source\'s mapping',
    });
  });

  it('the schema names the exact paths of what is wrong', () => {
    const p = JSON.parse(JSON.stringify(loadFixture('servicenow', 'insert', serviceNowWebhookSchema)));
    const bad = serviceNowWebhookSchema.safeParse({
      table: 'incident',
      operation: 'update',
      current: {
        ...p.current,
        sys_id: 'nope',
        sys_updated_on: 'yesterday',
        opened_at: '2024-05-06 08:15:00',
      },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['current.sys_id', 'current.sys_updated_on']);
    const noPrevious = serviceNowWebhookSchema.safeParse({
      table: 'incident',
      operation: 'update',
      current: p.current,
    });
    expect(noPrevious.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['previous', 'required when operation is "update"'],
    ]);
  });
});
