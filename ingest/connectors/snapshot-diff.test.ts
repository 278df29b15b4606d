import { describe, expect, it } from 'vitest';
import { diffTicketSnapshot, type TicketSnapshot } from './snapshot-diff.js';

const ctx = { source: 'servicenow', tenant: 'acme', receivedAt: '2026-03-02T12:00:00.000Z' };
const head = (id: string, at: string) => ({
  schemaVersion: 1,
  source: 'servicenow',
  tenant: 'acme',
  ticketId: 'INC0000001',
  eventId: `servicenow:ticket:T1:${id}`,
  occurredAt: at,
  receivedAt: ctx.receivedAt,
});

const v0: TicketSnapshot = {
  ticketId: 'INC0000001',
  sourceKey: 'T1',
  version: 0,
  changeKey: '0',
  atCreation: true,
  createdAt: '2026-03-02T09:00:00.000Z',
  updatedAt: '2026-03-02T09:00:00.000Z',
  status: 'new',
  originalStatus: 'New',
  priority: 'medium',
  originalPriority: '3 - Moderate',
  customer: 'Contoso',
  region: 'APAC',
  originalRegion: 'Sydney',
  team: 'Service Desk APAC',
  originalTeam: 'grp-apac',
};

const next = (version: number, at: string, patch: Partial<TicketSnapshot>): TicketSnapshot => ({
  ...v0,
  version,
  changeKey: `${version}`,
  atCreation: false,
  updatedAt: at,
  ...patch,
});

const types = (r: ReturnType<typeof diffTicketSnapshot>) =>
  r.kind === 'ok' ? r.value.map((e) => `${e.type}@${e.eventId.split(':').pop()}`) : r;

describe('diffTicketSnapshot', () => {
  it('first sight of a new ticket: created, then its first assignment', () => {
    const r = diffTicketSnapshot(undefined, v0, ctx);
    expect(r).toEqual({
      kind: 'ok',
      value: [
        {
          ...head('created', '2026-03-02T09:00:00.000Z'),
          type: 'ticket.created',
          customer: 'Contoso',
          region: 'APAC',
          priority: 'medium',
          originalPriority: '3 - Moderate',
          originalRegion: 'Sydney',
          team: 'Service Desk APAC',
        },
        {
          ...head('created.assigned', '2026-03-02T09:00:00.000Z'),
          type: 'ticket.assigned',
          team: 'Service Desk APAC',
          region: 'APAC',
          originalTeam: 'grp-apac',
          originalRegion: 'Sydney',
        },
      ],
    });
  });

  it('first sight of a closed ticket: created, status, resolved at resolved_at, closed at closed_at', () => {
    const closed = next(9, '2026-03-05T10:00:00.000Z', {
      status: 'closed',
      originalStatus: 'Closed',
      team: undefined,
      originalTeam: undefined,
      resolvedAt: '2026-03-02T15:00:00.000Z',
      closedAt: '2026-03-05T10:00:00.000Z',
    });
    const r = diffTicketSnapshot(undefined, closed, ctx);
    expect(types(r)).toEqual([
      'ticket.created@created',
      'ticket.status_changed@9.status',
      'ticket.resolved@9.resolved',
      'ticket.closed@9.closed',
    ]);
    if (r.kind !== 'ok') throw new Error('expected ok');
    expect(r.value[2]!.occurredAt).toBe('2026-03-02T15:00:00.000Z');
    expect(r.value[1]).toEqual({
      ...head('9.status', '2026-03-05T10:00:00.000Z'),
      type: 'ticket.status_changed',
      status: 'closed',
      originalStatus: 'Closed',
    });
  });

  it('a sequence of changes gives exactly one event per change, with the vendor values kept', () => {
    const s1 = next(1, '2026-03-02T09:30:00.000Z', { status: 'in_progress', originalStatus: 'In Progress' });
    const s2 = next(2, '2026-03-02T10:00:00.000Z', {
      ...s1,
      version: 2,
      changeKey: '2',
      updatedAt: '2026-03-02T10:00:00.000Z',
      team: 'Service Desk EMEA',
      originalTeam: 'grp-emea',
      region: 'EMEA',
      originalRegion: 'Dublin',
      priority: 'high',
      originalPriority: '2 - High',
    });
    const s3 = {
      ...s2,
      version: 3,
      changeKey: '3',
      updatedAt: '2026-03-02T11:00:00.000Z',
      status: 'on_hold' as const,
      originalStatus: 'On Hold / Awaiting Caller',
      holdReason: 'customer' as const,
    };
    const s4 = {
      ...s3,
      version: 4,
      changeKey: '4',
      updatedAt: '2026-03-02T12:00:00.000Z',
      status: 'resolved' as const,
      originalStatus: 'Resolved',
      holdReason: undefined,
    };
    const s5 = {
      ...s4,
      version: 5,
      changeKey: '5',
      updatedAt: '2026-03-03T08:00:00.000Z',
      status: 'in_progress' as const,
      originalStatus: 'In Progress',
    };
    const s6 = {
      ...s5,
      version: 6,
      changeKey: '6',
      updatedAt: '2026-03-03T09:00:00.000Z',
      status: 'cancelled' as const,
      originalStatus: 'Canceled',
    };

    expect(types(diffTicketSnapshot(v0, s1, ctx))).toEqual(['ticket.status_changed@1.status']);
    const r2 = diffTicketSnapshot(s1, s2, ctx);
    expect(r2).toEqual({
      kind: 'ok',
      value: [
        {
          ...head('2.assigned', '2026-03-02T10:00:00.000Z'),
          type: 'ticket.assigned',
          team: 'Service Desk EMEA',
          region: 'EMEA',
          originalTeam: 'grp-emea',
          originalRegion: 'Dublin',
        },
        {
          ...head('2.priority', '2026-03-02T10:00:00.000Z'),
          type: 'ticket.priority_changed',
          priority: 'high',
          originalPriority: '2 - High',
        },
      ],
    });
    const r3 = diffTicketSnapshot(s2, s3, ctx);
    expect(r3.kind === 'ok' && r3.value).toEqual([
      {
        ...head('3.status', '2026-03-02T11:00:00.000Z'),
        type: 'ticket.status_changed',
        status: 'on_hold',
        originalStatus: 'On Hold / Awaiting Caller',
        holdReason: 'customer',
      },
    ]);
    expect(types(diffTicketSnapshot(s3, s4, ctx))).toEqual([
      'ticket.status_changed@4.status',
      'ticket.resolved@4.resolved',
    ]);
    expect(types(diffTicketSnapshot(s4, s5, ctx))).toEqual([
      'ticket.status_changed@5.status',
      'ticket.reopened@5.reopened',
    ]);
    expect(types(diffTicketSnapshot(s5, s6, ctx))).toEqual([
      'ticket.status_changed@6.status',
      'ticket.cancelled@6.cancelled',
    ]);
  });

  it('resolved then closed: only the closure, no second resolution', () => {
    const resolved = next(4, '2026-03-02T12:00:00.000Z', { status: 'resolved' });
    const closed = next(5, '2026-03-05T12:00:00.000Z', { status: 'closed' });
    expect(types(diffTicketSnapshot(resolved, closed, ctx))).toEqual([
      'ticket.status_changed@5.status',
      'ticket.closed@5.closed',
    ]);
  });

  it('an agent change within the team is an assignment; losing the team is not', () => {
    const withAgent = next(1, '2026-03-02T09:10:00.000Z', { agent: 'user-1' });
    expect(types(diffTicketSnapshot(v0, withAgent, ctx))).toEqual(['ticket.assigned@1.assigned']);
    const noTeam = next(2, '2026-03-02T09:20:00.000Z', { team: undefined, originalTeam: undefined });
    expect(types(diffTicketSnapshot(withAgent, noTeam, ctx))).toEqual([]);
  });

  it('first sight of a ticket changed since its creation: later events named by that version', () => {
    const s3 = next(3, '2026-03-02T11:00:00.000Z', { status: 'in_progress', originalStatus: 'In Progress' });
    const r = diffTicketSnapshot(undefined, s3, ctx);
    expect(types(r)).toEqual([
      'ticket.created@created',
      'ticket.assigned@3.assigned',
      'ticket.status_changed@3.status',
    ]);
    // The state at version 3, as a webhook for that version reports it: at sys_updated_on.
    expect(r.kind === 'ok' && r.value.map((e) => e.occurredAt)).toEqual([
      '2026-03-02T09:00:00.000Z',
      '2026-03-02T11:00:00.000Z',
      '2026-03-02T11:00:00.000Z',
    ]);
  });

  it('ids come from sourceKey, not ticketId: a renumbered ticket keeps its ids', () => {
    const s1 = next(1, '2026-03-02T09:30:00.000Z', { status: 'in_progress' });
    const renumbered = { ...s1, ticketId: 'INC0009999' };
    const a = diffTicketSnapshot(v0, s1, ctx);
    const b = diffTicketSnapshot(v0, renumbered, ctx);
    expect(a.kind === 'ok' && a.value.map((e) => e.eventId)).toEqual(['servicenow:ticket:T1:1.status']);
    expect(b.kind === 'ok' && b.value.map((e) => [e.eventId, e.ticketId])).toEqual([
      ['servicenow:ticket:T1:1.status', 'INC0009999'],
    ]);
  });

  it('a changed vendor value that normalises alike is still a change (priority 4 → 5, both low)', () => {
    const low = next(1, '2026-03-02T09:30:00.000Z', { priority: 'low', originalPriority: '4 - Low' });
    const planning = next(2, '2026-03-02T09:40:00.000Z', {
      priority: 'low',
      originalPriority: '5 - Planning',
    });
    expect(types(diffTicketSnapshot(low, planning, ctx))).toEqual(['ticket.priority_changed@2.priority']);
  });

  it('the same or an older version gives nothing; the same input gives the same ids', () => {
    const s1 = next(1, '2026-03-02T09:30:00.000Z', { status: 'in_progress' });
    expect(diffTicketSnapshot(s1, s1, ctx)).toEqual({ kind: 'ok', value: [] });
    expect(diffTicketSnapshot(s1, v0, ctx)).toEqual({ kind: 'ok', value: [] });
    expect(diffTicketSnapshot(v0, s1, { ...ctx, receivedAt: '2026-03-09T00:00:00.000Z' })).toMatchObject({
      value: [{ eventId: 'servicenow:ticket:T1:1.status' }],
    });
  });

  it('a snapshot with no change that matters (e.g. a comment elsewhere) gives no events', () => {
    expect(diffTicketSnapshot(v0, next(1, '2026-03-02T09:30:00.000Z', {}), ctx)).toEqual({
      kind: 'ok',
      value: [],
    });
  });
});
