import { describe, expect, it } from 'vitest';
import type { RosterEvent } from '../../core/events/roster.js';
import { computeShifts, shiftsRow } from './shifts.js';

let n = 0;
function shift(start: string, end: string, region = 'EMEA', team?: string, id = `s${++n}`): RosterEvent {
  return {
    eventId: `t:agent:A1:${id}`,
    schemaVersion: 1,
    source: 't',
    tenant: 'acme-msp',
    agentId: 'A1',
    occurredAt: start,
    receivedAt: start,
    type: 'roster.shift',
    region,
    ...(team ? { team } : {}),
    start,
    end,
  };
}
const ms = (iso: string) => Date.parse(iso);

describe('computeShifts', () => {
  it('keeps a shift across midnight whole; merges overlapping and touching shifts of a region', () => {
    const s = computeShifts([
      shift('2026-03-23T22:00:00Z', '2026-03-24T06:00:00Z', 'EMEA', 'emea-l1'),
      shift('2026-03-23T23:00:00Z', '2026-03-24T02:00:00Z'), // reported again by another source
      shift('2026-03-24T06:00:00Z', '2026-03-24T07:00:00Z'), // touching: one stretch
      shift('2026-03-24T09:00:00Z', '2026-03-24T10:00:00Z'), // a gap: a new stretch
      shift('2026-03-24T09:30:00Z', '2026-03-24T11:00:00Z', 'APAC'), // another region stays apart
    ]);
    expect(s?.shifts).toEqual([
      { region: 'APAC', team: '', start: ms('2026-03-24T09:30:00Z'), end: ms('2026-03-24T11:00:00Z') },
      { region: 'EMEA', team: 'emea-l1', start: ms('2026-03-23T22:00:00Z'), end: ms('2026-03-24T07:00:00Z') },
      { region: 'EMEA', team: '', start: ms('2026-03-24T09:00:00Z'), end: ms('2026-03-24T10:00:00Z') },
    ]);
    expect(s?.version).toBe(5);
  });

  it('ignores repeats, empty shifts and membership events; no row without a shift', () => {
    const a = shift('2026-03-23T08:00:00Z', '2026-03-23T16:00:00Z');
    const empty = shift('2026-03-23T18:00:00Z', '2026-03-23T18:00:00Z');
    const joined = {
      ...a,
      eventId: 't:agent:A1:join',
      type: 'roster.member_joined',
      team: 'emea-l1',
      region: 'EMEA',
      role: 'engineer',
      fte: 1,
    } as RosterEvent;
    expect(computeShifts([joined])).toBeNull();
    const s = computeShifts([a, a, empty, joined]);
    expect(s?.shifts).toHaveLength(1);
    expect(s?.version).toBe(3);
    expect(shiftsRow(s!)).toEqual({
      tenant: 'acme-msp',
      agent_id: 'A1',
      version: 3,
      s_region: ['EMEA'],
      s_team: [''],
      s_start: ['2026-03-23 08:00:00.000'],
      s_end: ['2026-03-23 16:00:00.000'],
    });
  });
});
