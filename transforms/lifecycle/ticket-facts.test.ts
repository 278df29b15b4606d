import { describe, expect, it } from 'vitest';
import type { TicketEvent } from '../../core/events/ticket.js';
import { computeTicketFacts } from './ticket-facts.js';

// Expected values are worked out by hand from the default calendars (weekdays 08:00-18:00 local):
// in early March 2026 Singapore is UTC+8 (hours 00:00-10:00 UTC), London UTC+0 (08:00-18:00 UTC),
// New York UTC-5 (DST starts 8 March; hours 13:00-23:00 UTC). 2026-03-03 is a Tuesday.

let n = 0;
function ev(type: TicketEvent['type'], iso: string, body: Record<string, unknown> = {}): TicketEvent {
  n++;
  const at = new Date(iso).toISOString();
  return {
    eventId: `t:ticket:T1:${String(n).padStart(4, '0')}`,
    schemaVersion: 1,
    source: 't',
    tenant: 'acme',
    ticketId: 'T1',
    occurredAt: at,
    receivedAt: at,
    type,
    ...body,
  } as TicketEvent;
}
const ms = (iso: string) => Date.parse(iso);
const created = (iso: string, body: Record<string, unknown> = {}) =>
  ev('ticket.created', iso, { customer: 'c1', region: 'APAC', priority: 'high', ...body });
const assigned = (iso: string, team: string, region: string, extra: Record<string, unknown> = {}) =>
  ev('ticket.assigned', iso, { team, region, ...extra });

describe('handovers', () => {
  it('follows a ticket APAC -> EMEA -> AMER -> APAC: ping-pong, cross-region, wall vs business', () => {
    const events = [
      created('2026-03-03T01:00:00Z'),
      assigned('2026-03-03T01:05:00Z', 'apac-l1', 'APAC', { tier: 'L1' }),
      ev('ticket.commented', '2026-03-03T01:30:00Z', { visibility: 'public', team: 'apac-l1' }),
      // Handover 1 with an L1 -> L2 raise, reported twice (assignment + explicit event).
      assigned('2026-03-03T09:00:00Z', 'emea-l2', 'EMEA', { tier: 'L2' }),
      ev('ticket.escalated', '2026-03-03T09:00:00Z', { kind: 'tier', toTier: 'L2' }),
      assigned('2026-03-03T09:45:00Z', 'emea-l2', 'EMEA', { tier: 'L2', agent: 'eve' }),
      assigned('2026-03-03T12:00:00Z', 'amer-l2', 'AMER', { tier: 'L2' }),
      ev('ticket.status_changed', '2026-03-03T13:30:00Z', { status: 'in_progress' }),
      // 22:00 UTC = 06:00 in Singapore: outside APAC hours.
      assigned('2026-03-03T22:00:00Z', 'apac-l1', 'APAC', { tier: 'L2' }),
      ev('ticket.commented', '2026-03-04T01:30:00Z', { visibility: 'internal', team: 'apac-l1' }),
      ev('ticket.resolved', '2026-03-04T03:00:00Z'),
      ev('ticket.reopened', '2026-03-04T05:00:00Z'),
      assigned('2026-03-04T06:00:00Z', 'apac-l1', 'APAC', { tier: 'L2', agent: 'ann' }),
      ev('ticket.resolved', '2026-03-04T07:00:00Z'),
      ev('ticket.closed', '2026-03-04T08:00:00Z'),
    ];
    // Delivered newest first and with a duplicate: the order of arrival must not matter.
    const f = computeTicketFacts([...events].reverse().concat(events[3]!))!;
    expect(f.version).toBe(15);
    expect(f.handovers).toEqual([
      {
        at: ms('2026-03-03T09:00:00Z'),
        fromTeam: 'apac-l1',
        fromRegion: 'APAC',
        toTeam: 'emea-l2',
        toRegion: 'EMEA',
        crossRegion: true,
        pingPong: false,
        outcome: 'picked_up',
        pickedAt: ms('2026-03-03T09:45:00Z'),
        pickupKind: 'agent_assigned',
        until: ms('2026-03-03T09:45:00Z'),
        calendar: 'emea-lon',
        // 09:00 -> 09:45 UTC, inside London's 08:00-18:00: 45 min = 2 700 s, all business time.
        wallSeconds: 2700,
        businessSeconds: 2700,
        seamIdleSeconds: 0,
      },
      {
        at: ms('2026-03-03T12:00:00Z'),
        fromTeam: 'emea-l2',
        fromRegion: 'EMEA',
        toTeam: 'amer-l2',
        toRegion: 'AMER',
        crossRegion: true,
        pingPong: false,
        outcome: 'picked_up',
        pickedAt: ms('2026-03-03T13:30:00Z'),
        pickupKind: 'status',
        until: ms('2026-03-03T13:30:00Z'),
        calendar: 'amer-nyc',
        // 12:00 -> 13:30 UTC = 1.5 h = 5 400 s wall; New York opens 13:00 UTC (08:00 EST), so
        // 13:00 -> 13:30 = 1 800 s business and 5 400 - 1 800 = 3 600 s seam idle.
        wallSeconds: 5400,
        businessSeconds: 1800,
        seamIdleSeconds: 3600,
      },
      {
        at: ms('2026-03-03T22:00:00Z'),
        fromTeam: 'amer-l2',
        fromRegion: 'AMER',
        toTeam: 'apac-l1',
        toRegion: 'APAC',
        crossRegion: true,
        pingPong: true, // apac-l1 held it from 01:05 to 09:00
        outcome: 'picked_up',
        pickedAt: ms('2026-03-04T01:30:00Z'),
        pickupKind: 'comment',
        until: ms('2026-03-04T01:30:00Z'),
        calendar: 'apac-sgp',
        // Tue 22:00 -> Wed 01:30 UTC = 3.5 h = 12 600 s wall. Singapore opens Wed 08:00 SGT =
        // 00:00 UTC, so business = 00:00 -> 01:30 = 5 400 s; seam idle = 12 600 - 5 400 = 7 200 s.
        wallSeconds: 12600,
        businessSeconds: 5400,
        seamIdleSeconds: 7200,
      },
    ]);
    expect(f).toMatchObject({
      createdRegion: 'APAC',
      firstTeam: 'apac-l1',
      firstRegion: 'APAC',
      team: 'apac-l1',
      region: 'APAC',
      tier: 'L2',
      maxTier: 'L2',
      respondedAt: ms('2026-03-03T01:30:00Z'),
      responseKind: 'comment',
      resolvedAt: ms('2026-03-04T03:00:00Z'),
      resolvedTeam: 'apac-l1',
      resolvedRegion: 'APAC',
      lastResolvedAt: ms('2026-03-04T07:00:00Z'),
      closedAt: ms('2026-03-04T08:00:00Z'),
      cancelledAt: null,
      open: false,
      reopens: 1,
      reopenedAfterResolution: true,
      resolvedByFirstTeam: false,
    });
    // One L1 -> L2 move, reported by the assignment and the explicit event: counted once.
    expect(f.escalations).toEqual([
      { at: ms('2026-03-03T09:00:00Z'), kind: 'tier', fromTier: 'L1', toTier: 'L2', source: 'assignment' },
    ]);
    expect(f.segments.map((s) => [s.team, s.region, s.tier, s.agent])).toEqual([
      ['apac-l1', 'APAC', 'L1', ''],
      ['emea-l2', 'EMEA', 'L2', ''],
      ['emea-l2', 'EMEA', 'L2', 'eve'],
      ['amer-l2', 'AMER', 'L2', ''],
      ['apac-l1', 'APAC', 'L2', ''],
      ['apac-l1', 'APAC', 'L2', 'ann'],
    ]);
    expect(f.segments.at(-1)?.to).toBeNull();
  });

  it('an assignment to the same team (even in another region) is not a handover', () => {
    const f = computeTicketFacts([
      created('2026-03-03T01:00:00Z', { team: 'apac-l1' }),
      assigned('2026-03-03T01:00:00Z', 'apac-l1', 'APAC'),
      assigned('2026-03-03T02:00:00Z', 'apac-l1', 'EMEA', { agent: 'sam' }),
      ev('ticket.resolved', '2026-03-03T04:00:00Z'),
    ])!;
    expect(f.handovers).toEqual([]);
    expect(f.resolvedByFirstTeam).toBe(true);
    expect(f.region).toBe('EMEA');
    // No public comment: the resolution is the first response (as the SLA clock counts it).
    expect([f.respondedAt, f.responseKind]).toEqual([ms('2026-03-03T04:00:00Z'), 'resolution']);
  });

  it('measures a weekend handover in the receiving region and counts outside hours as seam idle', () => {
    const f = computeTicketFacts([
      created('2026-03-06T15:00:00Z', { region: 'EMEA' }),
      assigned('2026-03-06T15:00:00Z', 'emea-l1', 'EMEA'),
      // Friday 17:00 London -> picked up Monday 09:00 London (UTC+0 both days).
      assigned('2026-03-06T17:00:00Z', 'emea-l2', 'EMEA'),
      ev('ticket.status_changed', '2026-03-09T09:00:00Z', { status: 'on_hold', holdReason: 'customer' }),
    ])!;
    // Wall: Fri 17:00 -> Mon 09:00 = 64 h = 230 400 s. Business: Fri 17-18 (1 h) + Mon 08-09 (1 h)
    // = 7 200 s. Seam idle = 230 400 - 7 200 = 223 200 s. Same region: not cross-region.
    expect(f.handovers[0]).toMatchObject({
      crossRegion: false,
      outcome: 'picked_up',
      pickupKind: 'status',
      wallSeconds: 230_400,
      businessSeconds: 7_200,
      seamIdleSeconds: 223_200,
    });
    expect(f.open).toBe(true);
  });

  it('keeps an unpicked handover pending, handed on, or ended by a cancellation', () => {
    const base = [
      created('2026-03-03T08:00:00Z', { region: 'EMEA' }),
      assigned('2026-03-03T08:00:00Z', 'emea-l1', 'EMEA'),
      // The agent named in the handover's own assignment is the sender's choice, not a pickup.
      assigned('2026-03-03T10:00:00Z', 'emea-l2', 'EMEA', { agent: 'bob' }),
    ];
    const pending = computeTicketFacts(base)!;
    expect(pending.handovers[0]).toMatchObject({ outcome: 'pending', pickedAt: null, until: null });

    const bobReplies = computeTicketFacts([
      ...base,
      ev('ticket.commented', '2026-03-03T10:20:00Z', { visibility: 'public', agent: 'bob' }),
    ])!;
    // 10:00 -> 10:20 inside London hours: 1 200 s wall and business.
    expect(bobReplies.handovers[0]).toMatchObject({
      outcome: 'picked_up',
      pickupKind: 'comment',
      wallSeconds: 1200,
      businessSeconds: 1200,
    });

    const onward = computeTicketFacts([
      ...base,
      ev('ticket.commented', '2026-03-03T10:10:00Z', { visibility: 'public', team: 'emea-l1' }),
      assigned('2026-03-03T11:00:00Z', 'amer-l1', 'AMER'),
      ev('ticket.cancelled', '2026-03-03T12:00:00Z'),
    ])!;
    // A comment by the previous team is no pickup by the new one.
    expect(onward.handovers.map((h) => [h.outcome, h.until, h.pingPong])).toEqual([
      ['handed_on', ms('2026-03-03T11:00:00Z'), false],
      ['ended', ms('2026-03-03T12:00:00Z'), false],
    ]);
    expect(onward).toMatchObject({
      open: false,
      cancelledAt: ms('2026-03-03T12:00:00Z'),
      resolvedAt: null,
      resolvedByFirstTeam: false,
      reopens: 0,
    });
  });

  it('returns null until the creation has arrived', () => {
    expect(computeTicketFacts([assigned('2026-03-03T08:00:00Z', 'emea-l1', 'EMEA')])).toBeNull();
  });
});

describe('reopens and resolution', () => {
  it('counts a reopen reported by both a status change and an event once', () => {
    const f = computeTicketFacts([
      created('2026-03-03T08:00:00Z'),
      ev('ticket.status_changed', '2026-03-03T09:00:00Z', { status: 'resolved' }),
      ev('ticket.resolved', '2026-03-03T09:00:00Z'),
      ev('ticket.status_changed', '2026-03-03T10:00:00Z', { status: 'open' }),
      ev('ticket.reopened', '2026-03-03T10:00:00Z'),
      ev('ticket.closed', '2026-03-03T11:00:00Z'),
    ])!;
    expect(f).toMatchObject({
      reopens: 1,
      reopenedAfterResolution: true,
      resolvedAt: ms('2026-03-03T09:00:00Z'),
      // The closure of the reopened ticket resolves it again.
      lastResolvedAt: ms('2026-03-03T11:00:00Z'),
      closedAt: ms('2026-03-03T11:00:00Z'),
      open: false,
      resolvedByFirstTeam: true,
    });
  });

  it('a reopen after a cancellation is a reopen but not of a resolved ticket', () => {
    const f = computeTicketFacts([
      created('2026-03-03T08:00:00Z'),
      ev('ticket.cancelled', '2026-03-03T09:00:00Z'),
      ev('ticket.reopened', '2026-03-03T10:00:00Z'),
    ])!;
    expect(f).toMatchObject({ reopens: 1, reopenedAfterResolution: false, open: true, resolvedAt: null });
  });
});

describe('escalations', () => {
  it('counts each move up once, explicit functional and management escalations always', () => {
    const f = computeTicketFacts([
      created('2026-03-03T08:00:00Z', { tier: 'L1' }),
      assigned('2026-03-03T08:00:00Z', 'apac-l1', 'APAC', { tier: 'L1' }),
      // Announced, then realised by the assignment: one escalation.
      ev('ticket.escalated', '2026-03-03T10:00:00Z', { kind: 'tier', toTier: 'L2' }),
      assigned('2026-03-03T10:30:00Z', 'apac-l2', 'APAC', { tier: 'L2' }),
      // A raise with no explicit event: one more.
      assigned('2026-03-03T11:00:00Z', 'apac-l3', 'APAC', { tier: 'L3' }),
      ev('ticket.escalated', '2026-03-03T12:00:00Z', { kind: 'functional' }),
      // Back down, then up again: a new escalation, described by an explicit event without target.
      assigned('2026-03-03T13:00:00Z', 'apac-l1', 'APAC', { tier: 'L1' }),
      assigned('2026-03-03T14:00:00Z', 'apac-l2', 'APAC', { tier: 'L2' }),
      ev('ticket.escalated', '2026-03-03T14:00:00Z', { kind: 'tier' }),
      ev('ticket.escalated', '2026-03-03T15:00:00Z', { kind: 'management' }),
    ])!;
    expect(f.escalations.map((e) => [e.at, e.kind, e.fromTier, e.toTier, e.source])).toEqual([
      [ms('2026-03-03T10:00:00Z'), 'tier', 'L1', 'L2', 'event'],
      [ms('2026-03-03T11:00:00Z'), 'tier', 'L2', 'L3', 'assignment'],
      [ms('2026-03-03T12:00:00Z'), 'functional', 'L3', 'L3', 'event'],
      [ms('2026-03-03T14:00:00Z'), 'tier', 'L1', 'L2', 'assignment'],
      [ms('2026-03-03T15:00:00Z'), 'management', 'L2', 'L2', 'event'],
    ]);
    expect([f.tier, f.maxTier]).toEqual(['L2', 'L3']);
    // apac-l1 -> l2 -> l3 -> l1 (ping-pong) -> l2 (ping-pong): 4 handovers, none cross-region.
    expect(f.handovers.map((h) => [h.toTeam, h.pingPong, h.crossRegion])).toEqual([
      ['apac-l2', false, false],
      ['apac-l3', false, false],
      ['apac-l1', true, false],
      ['apac-l2', true, false],
    ]);
  });
});
