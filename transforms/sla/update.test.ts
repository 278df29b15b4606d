import { describe, expect, it } from 'vitest';
import { defaultCalendarLookup } from '../../core/calendar.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import {
  defaultSlaPolicies,
  type SlaPolicy,
  slaPolicySchema,
  slaPolicySetSchema,
  updateIntervalMs,
} from './policy.js';
import { slaRow } from './row.js';
import { lastPublicUpdate } from './update.js';

// The update clock (update staleness), through the ticket_sla row as the transform writes it.
// London works 08:00-18:00 local on weekdays (GMT until 29 March 2026, then BST = UTC+1),
// Singapore 08:00-18:00 SGT = 00:00-10:00Z. Every due instant below is worked out by hand.

const at = (iso: string) => Date.parse(iso);
const ch = (iso: string) =>
  iso
    .replace('T', ' ')
    .replace('Z', '')
    .replace(/(\d\d:\d\d:\d\d)$/, '$1.000');

function ticket(id = 'T1') {
  let n = 0;
  const events: TicketEvent[] = [];
  const add = (type: TicketEvent['type'], iso: string, body: Record<string, unknown> = {}) => {
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
  return {
    events,
    created: (iso: string, region: string, team: string, priority = 'medium') =>
      add('ticket.created', iso, { customer: 'acme', region, priority, team }),
    assigned: (iso: string, team: string, region: string) => add('ticket.assigned', iso, { team, region }),
    status: (iso: string, status: string, holdReason?: string) =>
      add('ticket.status_changed', iso, { status, ...(holdReason ? { holdReason } : {}) }),
    comment: (iso: string, visibility: 'public' | 'internal', by: { team?: string; agent?: string } = {}) =>
      add('ticket.commented', iso, { visibility, ...by }),
    resolved: (iso: string) => add('ticket.resolved', iso),
    reopened: (iso: string) => add('ticket.reopened', iso),
  };
}

const settings = (policies: SlaPolicy[] = defaultSlaPolicies) => ({
  policies,
  calendars: defaultCalendarLookup,
});
const update = (events: TicketEvent[], asOf: string, policies?: SlaPolicy[]) => {
  const row = slaRow(events, settings(policies), at(asOf));
  if (!row) throw new Error('no row');
  return {
    last: row.last_update_at,
    kind: row.last_update_kind,
    interval: row.update_interval_seconds,
    due: row.update_due_at,
  };
};

describe('update interval of a policy', () => {
  it('defaults per priority; a policy may set its own; the schema checks it', () => {
    const medium = defaultSlaPolicies.find((p) => p.id === 'medium')!;
    expect(updateIntervalMs(medium, 'medium')).toBe(10 * 3_600_000);
    expect(updateIntervalMs(medium, 'critical')).toBe(3_600_000);
    expect(updateIntervalMs(medium, 'high')).toBe(4 * 3_600_000);
    expect(updateIntervalMs(medium, 'low')).toBe(20 * 3_600_000);
    const own = slaPolicySchema.parse({
      id: 'x',
      responseTargetSeconds: 60,
      resolutionTargetSeconds: 600,
      calendar: 'owner',
      updateIntervalBusinessHours: 2.5,
    });
    expect(updateIntervalMs(own, 'low')).toBe(9_000_000);
    const bad = slaPolicySetSchema.safeParse([{ ...own, updateIntervalBusinessHours: 0 }]);
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual([0, 'updateIntervalBusinessHours']);
  });
});

describe('last public update', () => {
  it('internal comments and customer comments do not count; a provider public comment does', () => {
    const t = ticket();
    t.created('2026-03-03T09:00:00Z', 'EMEA', 'emea-l1');
    t.comment('2026-03-03T11:00:00Z', 'internal', { team: 'emea-l1' });
    t.comment('2026-03-03T11:30:00Z', 'public'); // the customer's own comment: no team, no agent
    t.comment('2026-03-03T12:00:00Z', 'public', { agent: 'eve' });
    t.comment('2026-03-03T13:00:00Z', 'internal', { agent: 'eve' });
    // 12:00 + 10 business hours: Tue 12-18 = 6 h, Wed 08:00 + 4 h = Wed 12:00Z.
    expect(update(t.events, '2026-03-04T10:00:00Z')).toEqual({
      last: ch('2026-03-03T12:00:00Z'),
      kind: 'comment',
      interval: 36_000,
      due: ch('2026-03-04T12:00:00Z'),
    });
  });

  it('a repeated status is not an update; a changed one is', () => {
    const t = ticket();
    t.created('2026-03-03T09:00:00Z', 'EMEA', 'emea-l1');
    t.status('2026-03-03T10:00:00Z', 'in_progress');
    t.status('2026-03-03T11:00:00Z', 'in_progress');
    expect(lastPublicUpdate(t.events, at('2026-03-03T12:00:00Z'))).toEqual({
      at: at('2026-03-03T10:00:00Z'),
      kind: 'status',
    });
    // events after as-of are not seen
    expect(lastPublicUpdate(t.events, at('2026-03-03T09:30:00Z'))).toEqual({
      at: at('2026-03-03T09:00:00Z'),
      kind: 'created',
    });
  });

  it('a reopen starts the interval again; a resolved ticket owes nothing', () => {
    const t = ticket();
    t.created('2026-03-02T09:00:00Z', 'EMEA', 'emea-l1');
    t.resolved('2026-03-02T10:00:00Z');
    expect(update(t.events, '2026-03-04T10:00:00Z').due).toBeNull();
    t.reopened('2026-03-05T16:00:00Z');
    // Thu 16-18 = 2 h, Fri 08:00 + 8 h = Fri 6 March 16:00Z.
    expect(update(t.events, '2026-03-05T17:00:00Z')).toMatchObject({
      last: ch('2026-03-05T16:00:00Z'),
      kind: 'reopened',
      due: ch('2026-03-06T16:00:00Z'),
    });
  });

  it('on hold for the customer pauses the interval; resuming is itself an update', () => {
    const t = ticket();
    t.created('2026-03-03T09:00:00Z', 'EMEA', 'emea-l1');
    t.status('2026-03-03T10:00:00Z', 'on_hold', 'customer');
    expect(update(t.events, '2026-03-10T10:00:00Z')).toMatchObject({
      last: ch('2026-03-03T10:00:00Z'),
      kind: 'status',
      due: null,
    });
    t.status('2026-03-04T09:00:00Z', 'in_progress');
    // Wed 09-18 = 9 h, Thu 08:00 + 1 h = Thu 09:00Z.
    expect(update(t.events, '2026-03-04T09:00:00Z').due).toBe(ch('2026-03-05T09:00:00Z'));
  });

  it('on hold for a reason that does not pause keeps the interval running', () => {
    const t = ticket();
    t.created('2026-03-03T09:00:00Z', 'EMEA', 'emea-l1');
    t.status('2026-03-03T10:00:00Z', 'on_hold', 'change');
    // The hold is itself a status change at 10:00: Tue 10-18 = 8 h, Wed 08:00 + 2 h = Wed 10:00Z.
    expect(update(t.events, '2026-03-03T11:00:00Z').due).toBe(ch('2026-03-04T10:00:00Z'));
  });

  it('across the DST change: the weekend and the shorter night are not business time', () => {
    const t = ticket();
    t.created('2026-03-27T16:00:00Z', 'EMEA', 'emea-l1'); // Fri 16:00 GMT
    const fourHours = slaPolicySetSchema.parse([
      {
        id: 'p',
        responseTargetSeconds: 3600,
        resolutionTargetSeconds: 86_400,
        calendar: 'owner',
        updateIntervalBusinessHours: 4,
      },
    ]);
    // Fri 16-18 GMT = 2 h; Monday 30 March opens 08:00 BST = 07:00Z: + 2 h = 09:00Z.
    expect(update(t.events, '2026-03-27T17:00:00Z', fourHours)).toMatchObject({
      interval: 14_400,
      due: ch('2026-03-30T09:00:00Z'),
    });
  });

  it('owner calendars segment by segment, the same due whenever it is evaluated', () => {
    const t = ticket();
    t.created('2026-03-03T01:00:00Z', 'APAC', 'apac-l1'); // 09:00 SGT
    t.assigned('2026-03-03T05:00:00Z', 'emea-l1', 'EMEA'); // not an update the customer sees
    // APAC 01:00-05:00Z = 4 h; London opens 08:00Z, 6 h left → 14:00Z.
    for (const asOf of ['2026-03-03T05:00:00Z', '2026-03-03T12:00:00Z', '2026-03-03T20:00:00Z'])
      expect(update(t.events, asOf)).toMatchObject({
        last: ch('2026-03-03T01:00:00Z'),
        kind: 'created',
        due: ch('2026-03-03T14:00:00Z'),
      });
  });
});
