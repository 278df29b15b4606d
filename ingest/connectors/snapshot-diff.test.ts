import { describe, expect, it } from 'vitest';
import { diffTicketSnapshot, type TicketSnapshot } from './snapshot-diff.js';

const ctx = { source: 'servicenow', tenant: 'acme', receivedAt: '2026-03-02T12:00:00.000Z' };
const head = (id: string, at: string) => ({
  schemaVersion: 1,
  source: 'servicenow',
  tenant: 'acme',
  ticketId: 'T1',
  eventId: `servicenow:ticket:T1:${id}`,
  occurredAt: at,
  receivedAt: ctx.receivedAt,
});

const v0: TicketSnapshot = {
  ticketId: 'T1',
  version: 0,
  changeKey: 'm0',
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
  changeKey: `m${version}`,
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
          ...head('m0.assigned', '2026-03-02T09:00:00.000Z'),
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
      'ticket.status_changed@m9.status_changed',
      'ticket.resolved@m9.resolved',
      'ticket.closed@m9.closed',
    ]);
    if (r.kind !== 'ok') throw new Error('expected ok');
    expect(r.value[2]!.occurredAt).toBe('2026-03-02T15:00:00.000Z');
    expect(r.value[1]).toEqual({
      ...head('m9.status_changed', '2026-03-05T10:00:00.000Z'),
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
      changeKey: 'm2',
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
      changeKey: 'm3',
      updatedAt: '2026-03-02T11:00:00.000Z',
      status: 'on_hold' as const,
      originalStatus: 'On Hold / Awaiting Caller',
      holdReason: 'customer' as const,
    };
    const s4 = {
      ...s3,
      version: 4,
      changeKey: 'm4',
      updatedAt: '2026-03-02T12:00:00.000Z',
      status: 'resolved' as const,
      originalStatus: 'Resolved',
      holdReason: undefined,
    };
    const s5 = {
      ...s4,
      version: 5,
      changeKey: 'm5',
      updatedAt: '2026-03-03T08:00:00.000Z',
      status: 'in_progress' as const,
      originalStatus: 'In Progress',
    };
    const s6 = {
      ...s5,
      version: 6,
      changeKey: 'm6',
      updatedAt: '2026-03-03T09:00:00.000Z',
      status: 'cancelled' as const,
      originalStatus: 'Canceled',
    };

    expect(types(diffTicketSnapshot(v0, s1, ctx))).toEqual(['ticket.status_changed@m1.status_changed']);
    const r2 = diffTicketSnapshot(s1, s2, ctx);
    expect(r2).toEqual({
      kind: 'ok',
      value: [
        {
          ...head('m2.priority_changed', '2026-03-02T10:00:00.000Z'),
          type: 'ticket.priority_changed',
          priority: 'high',
          originalPriority: '2 - High',
        },
        {
          ...head('m2.assigned', '2026-03-02T10:00:00.000Z'),
          type: 'ticket.assigned',
          team: 'Service Desk EMEA',
          region: 'EMEA',
          originalTeam: 'grp-emea',
          originalRegion: 'Dublin',
        },
      ],
    });
    const r3 = diffTicketSnapshot(s2, s3, ctx);
    expect(r3.kind === 'ok' && r3.value).toEqual([
      {
        ...head('m3.status_changed', '2026-03-02T11:00:00.000Z'),
        type: 'ticket.status_changed',
        status: 'on_hold',
        originalStatus: 'On Hold / Awaiting Caller',
        holdReason: 'customer',
      },
    ]);
    expect(types(diffTicketSnapshot(s3, s4, ctx))).toEqual([
      'ticket.status_changed@m4.status_changed',
      'ticket.resolved@m4.resolved',
    ]);
    expect(types(diffTicketSnapshot(s4, s5, ctx))).toEqual([
      'ticket.status_changed@m5.status_changed',
      'ticket.reopened@m5.reopened',
    ]);
    expect(types(diffTicketSnapshot(s5, s6, ctx))).toEqual([
      'ticket.status_changed@m6.status_changed',
      'ticket.cancelled@m6.cancelled',
    ]);
  });

  it('resolved then closed: only the closure, no second resolution', () => {
    const resolved = next(4, '2026-03-02T12:00:00.000Z', { status: 'resolved' });
    const closed = next(5, '2026-03-05T12:00:00.000Z', { status: 'closed' });
    expect(types(diffTicketSnapshot(resolved, closed, ctx))).toEqual([
      'ticket.status_changed@m5.status_changed',
      'ticket.closed@m5.closed',
    ]);
  });

  it('an agent change within the team is an assignment; losing the team is not', () => {
    const withAgent = next(1, '2026-03-02T09:10:00.000Z', { agent: 'user-1' });
    expect(types(diffTicketSnapshot(v0, withAgent, ctx))).toEqual(['ticket.assigned@m1.assigned']);
    const noTeam = next(2, '2026-03-02T09:20:00.000Z', { team: undefined, originalTeam: undefined });
    expect(types(diffTicketSnapshot(withAgent, noTeam, ctx))).toEqual([]);
  });

  it('the same or an older version gives nothing; the same input gives the same ids', () => {
    const s1 = next(1, '2026-03-02T09:30:00.000Z', { status: 'in_progress' });
    expect(diffTicketSnapshot(s1, s1, ctx)).toEqual({ kind: 'ok', value: [] });
    expect(diffTicketSnapshot(s1, v0, ctx)).toEqual({ kind: 'ok', value: [] });
    expect(diffTicketSnapshot(v0, s1, { ...ctx, receivedAt: '2026-03-09T00:00:00.000Z' })).toMatchObject({
      value: [{ eventId: 'servicenow:ticket:T1:m1.status_changed' }],
    });
  });

  it('a snapshot with no change that matters (e.g. a comment elsewhere) gives no events', () => {
    expect(diffTicketSnapshot(v0, next(1, '2026-03-02T09:30:00.000Z', {}), ctx)).toEqual({
      kind: 'ok',
      value: [],
    });
  });
});
