import { describe, expect, it } from 'vitest';
import { calendarLookup, defaultCalendarLookup, defaultCalendars } from '../../core/calendar.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import { computeSlaClock, riskLevel, SlaCalendarError, slaForTicket } from './clock.js';
import { defaultSlaPolicies, type SlaPolicy, slaPolicySchema } from './policy.js';

const H = 3600;
const at = (iso: string) => Date.parse(iso);

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
    created: (iso: string, region: string, team?: string, priority = 'high', customer = 'acme') =>
      add('ticket.created', iso, { customer, region, priority, ...(team ? { team } : {}) }),
    assigned: (iso: string, team: string, region: string) => add('ticket.assigned', iso, { team, region }),
    status: (iso: string, status: string, holdReason?: string) =>
      add('ticket.status_changed', iso, { status, ...(holdReason ? { holdReason } : {}) }),
    comment: (iso: string, visibility: 'public' | 'internal', team?: string) =>
      add('ticket.commented', iso, { visibility, ...(team ? { team } : {}) }),
    resolved: (iso: string) => add('ticket.resolved', iso),
    reopened: (iso: string) => add('ticket.reopened', iso),
    cancelled: (iso: string) => add('ticket.cancelled', iso),
    priority: (iso: string, priority: string) => add('ticket.priority_changed', iso, { priority }),
  };
}

const policy = (p: Partial<SlaPolicy> & { calendar: string }): SlaPolicy =>
  slaPolicySchema.parse({ id: 'p', responseTargetSeconds: H, resolutionTargetSeconds: 8 * H, ...p });

const clock = (events: TicketEvent[], p: SlaPolicy, asOf: string) => {
  const c = computeSlaClock(events, p, defaultCalendarLookup, at(asOf));
  if (!c) throw new Error('no clock');
  return c;
};

describe('owner mode: follow the sun APAC -> EMEA -> AMER -> APAC', () => {
  // Tue 3 Mar 2026 (no DST anywhere): Singapore UTC+8 works 00:00-10:00Z, London UTC+0
  // 08:00-18:00Z, New York UTC-5 13:00-23:00Z. Resolution target 30 h.
  const t = ticket();
  t.created('2026-03-03T01:00:00Z', 'APAC', 'apac-l1');
  t.comment('2026-03-03T01:20:00Z', 'public', 'apac-l1');
  t.assigned('2026-03-03T07:00:00Z', 'emea-l1', 'EMEA');
  t.assigned('2026-03-03T15:00:00Z', 'amer-l1', 'AMER');
  t.assigned('2026-03-03T23:30:00Z', 'apac-l2', 'APAC');
  const p = policy({ calendar: 'owner', resolutionTargetSeconds: 30 * H });

  it('measures each segment in the owning region calendar', () => {
    const c = clock(t.events, p, '2026-03-04T03:00:00Z');
    // apac-l1 01:00-07:00Z = 09:00-15:00 SGT        = 6 h = 21 600 s
    // emea-l1 07:00-15:00Z, London opens 08:00      = 7 h = 25 200 s
    // amer-l1 15:00-23:30Z, New York 13:00-23:00Z    = 8 h = 28 800 s
    // apac-l2 23:30Z-03:00Z = 07:30-11:00 SGT, from 08:00 = 3 h = 10 800 s
    // total 24 h = 86 400 s of 30 h = 80 % (warning); remaining 6 h.
    expect(c.byTeam).toEqual([
      { team: 'apac-l1', region: 'APAC', calendarId: 'apac-sgp', elapsedSeconds: 21_600, pausedSeconds: 0 },
      { team: 'emea-l1', region: 'EMEA', calendarId: 'emea-lon', elapsedSeconds: 25_200, pausedSeconds: 0 },
      { team: 'amer-l1', region: 'AMER', calendarId: 'amer-nyc', elapsedSeconds: 28_800, pausedSeconds: 0 },
      { team: 'apac-l2', region: 'APAC', calendarId: 'apac-sgp', elapsedSeconds: 10_800, pausedSeconds: 0 },
    ]);
    expect(c.resolution).toMatchObject({
      targetSeconds: 108_000,
      elapsedSeconds: 86_400,
      pausedSeconds: 0,
      remainingSeconds: 21_600,
      overdueSeconds: 0,
      percentConsumed: 80,
      state: 'running',
      outcome: 'pending',
      risk: 'warning',
      breachedAt: null,
      // Projected in APAC's calendar: Wed 11:00 SGT + 6 h = 17:00 SGT = 09:00Z.
      dueAt: at('2026-03-04T09:00:00Z'),
    });
    // Response: 01:00 -> 01:20Z in Singapore hours = 1 200 s of 3 600 s: met.
    expect(c.respondedAt).toBe(at('2026-03-03T01:20:00Z'));
    expect(c.response).toMatchObject({
      elapsedSeconds: 1200,
      outcome: 'met',
      risk: 'none',
      state: 'stopped',
    });
  });

  it('a fixed calendar measures the same ticket in one region only', () => {
    // London hours in 01:00Z Tue .. 03:00Z Wed: Tue 08:00-18:00 = 10 h.
    const c = clock(t.events, { ...p, calendar: 'emea-lon' }, '2026-03-04T03:00:00Z');
    expect(c.resolution.elapsedSeconds).toBe(10 * H);
    expect(c.byTeam.map((x) => [x.team, x.elapsedSeconds])).toEqual([
      ['apac-l1', 0],
      ['emea-l1', 7 * H],
      ['amer-l1', 3 * H],
      ['apac-l2', 0],
    ]);
  });
});

describe('pauses', () => {
  it('a customer hold spanning a weekend pauses the clock (London calendar, 30 h target)', () => {
    const t = ticket();
    t.created('2026-03-05T10:00:00Z', 'EMEA', 'emea-l1'); // Thu
    t.status('2026-03-06T16:00:00Z', 'on_hold', 'customer'); // Fri
    t.status('2026-03-10T10:00:00Z', 'in_progress'); // Tue
    const p = policy({ calendar: 'emea-lon', resolutionTargetSeconds: 30 * H });
    const c = clock(t.events, p, '2026-03-10T12:00:00Z');
    // running: Thu 10-18 (8 h) + Fri 08-16 (8 h) + Tue 10-12 (2 h) = 18 h = 64 800 s
    // paused:  Fri 16-18 (2 h) + Mon 08-18 (10 h) + Tue 08-10 (2 h) = 14 h = 50 400 s
    // 18/30 = 60 % (watch); remaining 12 h: Tue 12-18 (6 h) + Wed 08-14 (6 h) => Wed 14:00Z.
    expect(c.resolution).toMatchObject({
      elapsedSeconds: 64_800,
      pausedSeconds: 50_400,
      remainingSeconds: 43_200,
      percentConsumed: 60,
      risk: 'watch',
      state: 'running',
      dueAt: at('2026-03-11T14:00:00Z'),
    });
    expect(c.byTeam).toEqual([
      {
        team: 'emea-l1',
        region: 'EMEA',
        calendarId: 'emea-lon',
        elapsedSeconds: 64_800,
        pausedSeconds: 50_400,
      },
    ]);
    // While still on hold (as of Mon 12:00): paused, due = if resumed now: 30 - 16 = 14 h from
    // Mon 12:00 => Mon 12-18 (6 h) + Tue 08-16 (8 h) => Tue 16:00Z.
    const onHold = clock(t.events, p, '2026-03-09T12:00:00Z');
    expect(onHold.resolution).toMatchObject({
      state: 'paused',
      elapsedSeconds: 16 * H,
      pausedSeconds: 6 * H, // Fri 16-18 + Mon 08-12
      dueAt: at('2026-03-10T16:00:00Z'),
    });
  });

  it('a hold for a reason not in pauseOnHoldReasons keeps the clock running', () => {
    const t = ticket();
    t.created('2026-03-05T10:00:00Z', 'EMEA', 'emea-l1');
    t.status('2026-03-06T16:00:00Z', 'on_hold', 'change');
    t.status('2026-03-10T10:00:00Z', 'in_progress');
    const c = clock(
      t.events,
      policy({ calendar: 'emea-lon', resolutionTargetSeconds: 30 * H }),
      '2026-03-10T12:00:00Z',
    );
    // Thu 8 h + Fri 10 h + Mon 10 h = 28 h; 2 more h on Tue => due Tue 10:00Z; elapsed 32 h.
    expect(c.resolution).toMatchObject({
      elapsedSeconds: 32 * H,
      pausedSeconds: 0,
      overdueSeconds: 2 * H,
      outcome: 'breached',
      risk: 'breached',
      breachedAt: at('2026-03-10T10:00:00Z'),
      dueAt: at('2026-03-10T10:00:00Z'),
    });
  });
});

describe('24x7, reopen, met and breached', () => {
  const critical = defaultSlaPolicies.find((p) => p.id === 'critical')!;

  it('24x7: wall time, met when resolved within 4 h', () => {
    const t = ticket();
    t.created('2026-03-07T22:00:00Z', 'EMEA', 'emea-l1', 'critical'); // a Saturday night
    const open = clock(t.events, critical, '2026-03-08T01:00:00Z');
    // 3 h of 4 h = 75 % (warning); due 22:00 + 4 h = 02:00Z.
    expect(open.resolution).toMatchObject({
      elapsedSeconds: 3 * H,
      percentConsumed: 75,
      risk: 'warning',
      dueAt: at('2026-03-08T02:00:00Z'),
    });
    t.resolved('2026-03-08T01:30:00Z');
    const done = clock(t.events, critical, '2026-03-09T00:00:00Z');
    expect(done.resolution).toMatchObject({
      elapsedSeconds: 3.5 * H,
      state: 'stopped',
      outcome: 'met',
      risk: 'none',
      dueAt: null,
      stoppedAt: at('2026-03-08T01:30:00Z'),
    });
  });

  it('reopen resumes the resolution clock with the time already consumed', () => {
    const t = ticket();
    t.created('2026-03-02T09:00:00Z', 'EMEA', 'emea-l1');
    t.resolved('2026-03-02T14:00:00Z'); // 5 h
    t.reopened('2026-03-03T10:00:00Z');
    const p = policy({ calendar: 'emea-lon', responseTargetSeconds: 8 * H });
    // As of Mon 16:00: stopped and met after 5 h.
    expect(clock(t.events, p, '2026-03-02T16:00:00Z').resolution).toMatchObject({
      elapsedSeconds: 5 * H,
      outcome: 'met',
      state: 'stopped',
    });
    // As of Tue 12:00: 5 h + Tue 10-12 (2 h) = 7 h of 8 h = 87.5 % (warning); due Tue 13:00Z.
    expect(clock(t.events, p, '2026-03-03T12:00:00Z').resolution).toMatchObject({
      elapsedSeconds: 7 * H,
      percentConsumed: 87.5,
      outcome: 'pending',
      risk: 'warning',
      dueAt: at('2026-03-03T13:00:00Z'),
    });
    // As of Tue 14:00, not resolved again: breached at 13:00, 1 h over.
    const late = clock(t.events, p, '2026-03-03T14:00:00Z');
    expect(late.resolution).toMatchObject({
      elapsedSeconds: 9 * H,
      overdueSeconds: H,
      outcome: 'breached',
      breachedAt: at('2026-03-03T13:00:00Z'),
    });
    // The resolution notice was the first response (no public comment): 5 h of 8 h, met; the
    // reopen does not restart it.
    expect(late.respondedAt).toBe(at('2026-03-02T14:00:00Z'));
    expect(late.response).toMatchObject({ elapsedSeconds: 5 * H, outcome: 'met', state: 'stopped' });
  });

  it('resolved exactly at the due instant is met; 1 ms later is breached', () => {
    // Created 09:00Z, 24x7, 4 h => due 13:00Z.
    const resolvedAt = (iso: string) => {
      const t = ticket();
      t.created('2026-03-02T09:00:00Z', 'EMEA', 'emea-l1', 'critical');
      t.resolved(iso);
      return t;
    };
    const exact = resolvedAt('2026-03-02T13:00:00Z');
    const t = resolvedAt('2026-03-02T13:00:00.001Z');
    expect(clock(exact.events, critical, '2026-03-03T00:00:00Z').resolution).toMatchObject({
      outcome: 'met',
      percentConsumed: 100,
      risk: 'none',
    });
    expect(clock(t.events, critical, '2026-03-03T00:00:00Z').resolution).toMatchObject({
      outcome: 'breached',
      breachedAt: at('2026-03-02T13:00:00Z'),
    });
  });

  it('status changes resolve and reopen too; a reopen with no time left is breached on reopening', () => {
    const t = ticket();
    t.created('2026-03-02T09:00:00Z', 'EMEA', 'emea-l1', 'critical');
    t.status('2026-03-02T13:00:00Z', 'resolved'); // exactly at the 4 h due instant: met
    t.status('2026-03-02T15:00:00Z', 'open'); // a reopen: 0 s left
    const p = defaultSlaPolicies.find((x) => x.id === 'critical')!;
    expect(clock(t.events, p, '2026-03-02T14:00:00Z').resolution).toMatchObject({
      outcome: 'met',
      state: 'stopped',
    });
    expect(clock(t.events, p, '2026-03-02T16:00:00Z').resolution).toMatchObject({
      outcome: 'breached',
      breachedAt: at('2026-03-02T15:00:00Z'),
      elapsedSeconds: 5 * H, // 4 h + 15:00-16:00
      state: 'running',
    });
  });

  it('resolving before the next business morning still breaches a due time of the evening before', () => {
    const t = ticket();
    t.created('2026-03-02T10:00:00Z', 'EMEA', 'emea-l1');
    t.resolved('2026-03-03T07:00:00Z'); // Mon 10:00 + 8 h = Mon 18:00 due; resolved Tue 07:00
    const c = clock(t.events, policy({ calendar: 'emea-lon' }), '2026-03-03T12:00:00Z');
    expect(c.resolution).toMatchObject({
      elapsedSeconds: 8 * H,
      overdueSeconds: 0,
      outcome: 'breached',
      breachedAt: at('2026-03-02T18:00:00Z'),
      state: 'stopped',
    });
  });

  it('a cancelled ticket is neither met nor breached', () => {
    const t = ticket();
    t.created('2026-03-02T10:00:00Z', 'EMEA', 'emea-l1');
    t.cancelled('2026-03-02T10:30:00Z');
    const c = clock(t.events, policy({ calendar: 'emea-lon' }), '2026-03-03T12:00:00Z');
    expect(c.resolution).toMatchObject({ outcome: 'cancelled', risk: 'none', elapsedSeconds: 1800 });
    expect(c.response).toMatchObject({ outcome: 'cancelled', elapsedSeconds: 1800 });
  });
});

describe('response target', () => {
  it('met: the first public comment by a team (in_progress does not count)', () => {
    const t = ticket();
    t.created('2026-03-02T09:00:00Z', 'EMEA', 'emea-l1');
    t.status('2026-03-02T09:10:00Z', 'in_progress');
    t.comment('2026-03-02T09:40:00Z', 'public', 'emea-l1');
    const c = clock(t.events, policy({ calendar: 'emea-lon' }), '2026-03-02T12:00:00Z');
    // 09:00 -> 09:40 = 2 400 s of 3 600 s.
    expect(c.respondedAt).toBe(at('2026-03-02T09:40:00Z'));
    expect(c.response).toMatchObject({
      elapsedSeconds: 2400,
      outcome: 'met',
      risk: 'none',
      breachedAt: null,
    });
  });

  it('breached: internal notes and customer comments are not responses; the clock crosses the night', () => {
    const t = ticket();
    t.created('2026-03-02T17:30:00Z', 'EMEA', 'emea-l1');
    t.comment('2026-03-02T17:40:00Z', 'internal', 'emea-l1');
    t.comment('2026-03-02T17:50:00Z', 'public'); // the customer writes
    t.comment('2026-03-03T08:45:00Z', 'public', 'emea-l1');
    const c = clock(t.events, policy({ calendar: 'emea-lon' }), '2026-03-03T12:00:00Z');
    // Mon 17:30-18:00 (30 min) + Tue 08:00-08:45 (45 min) = 75 min = 4 500 s; the 60-min target
    // was reached 30 min into Tuesday: 08:30Z.
    expect(c.respondedAt).toBe(at('2026-03-03T08:45:00Z'));
    expect(c.response).toMatchObject({
      elapsedSeconds: 4500,
      overdueSeconds: 900,
      outcome: 'breached',
      breachedAt: at('2026-03-03T08:30:00Z'),
      state: 'stopped',
      risk: 'breached',
    });
  });
});

describe('risk thresholds', () => {
  it('riskLevel: none < 50 <= watch < 75 <= warning < 90 <= critical < 100 <= breached', () => {
    expect([0, 49.999, 50, 74.999, 75, 89.999, 90, 99.999, 100, 150].map(riskLevel)).toEqual([
      'none',
      'none',
      'watch',
      'watch',
      'warning',
      'warning',
      'critical',
      'critical',
      'breached',
      'breached',
    ]);
  });

  it('the clock reaches each threshold exactly (24x7, 4 h target)', () => {
    const t = ticket();
    t.created('2026-03-02T00:00:00Z', 'EMEA', 'emea-l1', 'critical');
    const critical = defaultSlaPolicies.find((p) => p.id === 'critical')!;
    // 50 % = 7 200 s, 75 % = 10 800 s, 90 % = 12 960 s, 100 % = 14 400 s after creation.
    const riskAfter = (s: number) =>
      computeSlaClock(t.events, critical, defaultCalendarLookup, at('2026-03-02T00:00:00Z') + s * 1000)!
        .resolution;
    expect([7199, 7200, 10_799, 10_800, 12_959, 12_960, 14_399].map((s) => riskAfter(s).risk)).toEqual([
      'none',
      'watch',
      'watch',
      'warning',
      'warning',
      'critical',
      'critical',
    ]);
    expect(riskAfter(14_400)).toMatchObject({
      risk: 'breached',
      outcome: 'breached',
      percentConsumed: 100,
      breachedAt: at('2026-03-02T04:00:00Z'),
    });
  });
});

describe('policies and lookups', () => {
  it('matches the most specific policy on the current priority', () => {
    const t = ticket();
    t.created('2026-03-02T09:00:00Z', 'EMEA', 'emea-l1', 'medium', 'globex');
    const asOf = at('2026-03-02T10:00:00Z');
    expect(slaForTicket(t.events, defaultSlaPolicies, defaultCalendarLookup, asOf)?.policyId).toBe('medium');
    t.priority('2026-03-02T09:30:00Z', 'high');
    // customer + priority beats priority alone.
    expect(slaForTicket(t.events, defaultSlaPolicies, defaultCalendarLookup, asOf)?.policyId).toBe(
      'globex-high',
    );
    // A change after asOf is not seen yet.
    expect(
      slaForTicket(t.events, defaultSlaPolicies, defaultCalendarLookup, at('2026-03-02T09:20:00Z'))?.policyId,
    ).toBe('medium');
  });

  it('no creation event yet: no clock', () => {
    const t = ticket();
    t.assigned('2026-03-02T09:00:00Z', 'emea-l1', 'EMEA');
    expect(
      computeSlaClock(t.events, defaultSlaPolicies[0]!, defaultCalendarLookup, at('2026-03-03T00:00:00Z')),
    ).toBe(null);
  });

  it('an owning region without a calendar: fallback, or SlaCalendarError without one', () => {
    const t = ticket();
    t.created('2026-03-02T09:00:00Z', 'LATAM', 'latam-l1');
    const p = policy({ calendar: 'owner' });
    // The default lookup falls back to 24x7: 3 h of wall time.
    expect(clock(t.events, p, '2026-03-02T12:00:00Z').byTeam[0]).toMatchObject({
      calendarId: '24x7',
      elapsedSeconds: 3 * H,
    });
    const strict = calendarLookup(defaultCalendars, { EMEA: 'emea-lon' });
    expect(() => computeSlaClock(t.events, p, strict, at('2026-03-02T12:00:00Z'))).toThrow(SlaCalendarError);
    expect(() =>
      computeSlaClock(t.events, policy({ calendar: 'nope' }), strict, at('2026-03-02T12:00:00Z')),
    ).toThrow('SLA policy p: unknown calendar nope');
  });
});
