import { describe, expect, it } from 'vitest';
import type { RosterEvent } from '../../core/events/roster.js';
import { computeMembership } from './membership.js';

let n = 0;
function ev(type: RosterEvent['type'], day: number, body: Record<string, unknown> = {}): RosterEvent {
  n++;
  const at = new Date(Date.UTC(2026, 2, day, 9)).toISOString();
  return {
    eventId: `t:agent:A1:${n}`,
    schemaVersion: 1,
    source: 't',
    tenant: 'acme-msp',
    agentId: 'A1',
    occurredAt: at,
    receivedAt: at,
    type,
    ...body,
  } as RosterEvent;
}
const joined = (day: number, team: string, region: string, fte = 1, role = 'engineer') =>
  ev('roster.member_joined', day, { team, region, role, fte });
const left = (day: number) => ev('roster.member_left', day);
const at = (day: number) => Date.UTC(2026, 2, day, 9);
const period = (team: string, region: string, from: number, to: number | null, fte = 1) => ({
  team,
  region,
  role: 'engineer',
  fte,
  from,
  to,
});

describe('computeMembership', () => {
  it('a join opens a period that stays open', () => {
    expect(computeMembership([joined(2, 'apac-l1', 'APAC')])).toEqual({
      tenant: 'acme-msp',
      agentId: 'A1',
      version: 1,
      periods: [period('apac-l1', 'APAC', at(2), null)],
    });
  });

  it('a join with another team while a member is a move: close and open at that instant', () => {
    const m = computeMembership([joined(2, 'apac-l1', 'APAC'), joined(9, 'emea-l1', 'EMEA')]);
    expect(m?.periods).toEqual([
      period('apac-l1', 'APAC', at(2), at(9)),
      period('emea-l1', 'EMEA', at(9), null),
    ]);
  });

  it('a leave closes; a re-join after leaving opens a new period', () => {
    const m = computeMembership([joined(2, 'apac-l1', 'APAC'), left(5), joined(12, 'apac-l1', 'APAC')]);
    expect(m?.periods).toEqual([
      period('apac-l1', 'APAC', at(2), at(5)),
      period('apac-l1', 'APAC', at(12), null),
    ]);
    expect(m?.version).toBe(3);
  });

  it('keeps part-time FTE, and a change of FTE in the same team is a new period', () => {
    const m = computeMembership([joined(2, 'apac-l1', 'APAC', 0.5), joined(16, 'apac-l1', 'APAC', 1)]);
    expect(m?.periods).toEqual([
      period('apac-l1', 'APAC', at(2), at(16), 0.5),
      period('apac-l1', 'APAC', at(16), null, 1),
    ]);
  });

  it('ignores order of arrival, repeats, a repeated join, shifts and a leave while not a member', () => {
    const j = joined(2, 'apac-l1', 'APAC');
    const again = joined(3, 'apac-l1', 'APAC'); // same membership: nothing changes
    const l = left(6);
    const l2 = left(7); // not a member any more: nothing changes
    const shift = ev('roster.shift', 4, {
      region: 'APAC',
      start: new Date(at(4)).toISOString(),
      end: new Date(at(4) + 8 * 3_600_000).toISOString(),
    });
    const m = computeMembership([l2, l, shift, again, j, j, l]);
    expect(m?.periods).toEqual([period('apac-l1', 'APAC', at(2), at(6))]);
    expect(m?.version).toBe(5); // 5 distinct events
  });

  it('a leave and a join at the same instant are a move (the leave applies first)', () => {
    const j = joined(2, 'apac-l1', 'APAC');
    const l = left(9);
    const j2 = joined(9, 'emea-l1', 'EMEA');
    // delivered join-first: the order of application must not depend on arrival
    const m = computeMembership([j2, j, l]);
    expect(m?.periods).toEqual([
      period('apac-l1', 'APAC', at(2), at(9)),
      period('emea-l1', 'EMEA', at(9), null),
    ]);
  });

  it('no row until a join arrived; a leave that arrived first closes the period once it does', () => {
    const l = left(8);
    expect(computeMembership([l])).toBeNull();
    expect(computeMembership([l, joined(1, 'apac-l1', 'APAC')])?.periods).toEqual([
      period('apac-l1', 'APAC', at(1), at(8)),
    ]);
  });
});
