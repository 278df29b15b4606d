import { describe, expect, it } from 'vitest';
import { backlogParams, type RollupWatermarks, rollupParams, splitHours, splitParams } from './rollups.js';

const d = (iso: string) => new Date(iso);
const ms = (iso: string) => Date.parse(iso);

describe('backlogParams', () => {
  // The region rollups of both tenants are current; the backlog rollup has its own watermarks.
  const wm = (backlog: Record<string, string>, backlogUnmaterialised: string[] = []): RollupWatermarks => ({
    until: new Map([
      ['a', ms('2026-06-10T12:00:00Z')],
      ['b', ms('2026-06-10T12:00:00Z')],
    ]),
    unmaterialised: new Set(),
    backlogUntil: new Map(Object.entries(backlog).map(([t, iso]) => [t, ms(iso)])),
    backlogUnmaterialised: new Set(backlogUnmaterialised),
    readAt: ms('2026-06-10T12:20:00Z'),
  });
  const all = {};

  it('gives the backlog watermarks of every tenant, under their own names', () => {
    const got = backlogParams(wm({ a: '2026-06-10T11:00:00Z', b: '2026-06-10T10:00:00Z' }), all);
    expect(got).toEqual({
      bwm_tenants: ['a', 'b'],
      bwm_until: ['2026-06-10 11:00:00', '2026-06-10 10:00:00'],
    });
    // The region rollups' parameters are their own watermarks.
    expect(rollupParams(wm({ a: '2026-06-10T11:00:00Z' }), all)?.wm_until).toEqual([
      '2026-06-10 12:00:00',
      '2026-06-10 12:00:00',
    ]);
  });

  it('follows rollupParams’ rules on the backlog watermarks alone', () => {
    const current = { a: '2026-06-10T11:00:00Z', b: '2026-06-10T10:00:00Z' };
    // A tenant in scope without a backlog watermark; one stored since the last pass.
    expect(backlogParams(wm({ a: current.a }), { tenant: 'b' })).toBeNull();
    expect(backlogParams(wm({ a: current.a }), { tenant: 'a' })).not.toBeNull();
    expect(backlogParams(wm(current, ['c']), all)).toBeNull();
    expect(backlogParams(wm(current, ['c']), { tenant: 'a' })).not.toBeNull();
    expect(backlogParams(wm({}), all)).toBeNull();
    // A backlog watermark more than 6 hours behind: the backlog job has stopped.
    expect(backlogParams(wm({ ...current, b: '2026-06-10T06:00:00Z' }), all)).toBeNull();
    expect(backlogParams(wm(current), all, { now: ms('2026-06-10T17:30:00Z') })).toBeNull();
    // The region rollups do not depend on the backlog's.
    expect(rollupParams(wm({}), all)).not.toBeNull();
    expect(backlogParams(null, all)).toBeNull();
  });
});

describe('rollupParams', () => {
  const wm = (until: Record<string, string>, unmaterialised: string[] = []): RollupWatermarks => ({
    until: new Map(Object.entries(until).map(([t, iso]) => [t, ms(iso)])),
    unmaterialised: new Set(unmaterialised),
    backlogUntil: new Map(),
    backlogUnmaterialised: new Set(),
    readAt: ms('2026-06-10T12:20:00Z'),
  });
  const current = { a: '2026-06-10T12:00:00Z', b: '2026-06-10T11:00:00Z' };

  it('gives every tenant’s watermark when the rollups are materialised, in scope and current', () => {
    const got = rollupParams(wm(current), {});
    expect(got).toEqual({ wm_tenants: ['a', 'b'], wm_until: ['2026-06-10 12:00:00', '2026-06-10 11:00:00'] });
    // One tenant in scope: the others' watermarks are still passed (the query reads per tenant).
    expect(rollupParams(wm(current), { tenant: 'a' })).toEqual(got);
  });

  it('answers null when the rollups are missing, a tenant in scope is not materialised, or one is stale', () => {
    expect(rollupParams(null, {})).toBeNull();
    expect(rollupParams(wm({}), {})).toBeNull();
    expect(rollupParams(wm(current, ['c']), {})).toBeNull();
    expect(rollupParams(wm(current, ['c']), { tenant: 'a' })).not.toBeNull();
    expect(rollupParams(wm(current), { tenant: 'c' })).toBeNull();
    expect(rollupParams(wm({ ...current, b: '2026-06-10T06:00:00Z' }), {})).toBeNull();
    expect(rollupParams(wm(current), {}, { now: ms('2026-06-10T17:30:00Z') })).toBeNull();
  });
});

describe('splitHours', () => {
  it('lists the hour of each edge inside one, once, and none for whole hours', () => {
    const edges = [
      d('2026-06-01T10:37:00Z'),
      d('2026-06-01T11:00:00Z'),
      // Asia/Kolkata's midnights, and two edges inside one hour
      d('2026-06-01T18:30:00Z'),
      d('2026-06-02T18:30:00Z'),
      d('2026-06-02T18:45:00Z'),
      d('2026-06-03T00:00:00.001Z'),
    ];
    expect(splitHours(edges)).toEqual([
      '2026-06-01 10:00:00',
      '2026-06-01 18:00:00',
      '2026-06-02 18:00:00',
      '2026-06-03 00:00:00',
    ]);
    expect(splitHours([d('2026-06-01T00:00:00Z'), d('2026-06-08T00:00:00Z')])).toEqual([]);
  });

  it('as parameters, leaving the query section of split hours out when there are none', () => {
    expect(splitParams([d('2026-06-01T00:00:00Z'), d('2026-06-08T00:00:00Z')])).toEqual({
      params: { split_hours: [] },
      omit: ['split'],
    });
    expect(splitParams([d('2026-06-01T00:30:00Z'), d('2026-06-08T00:00:00Z')])).toEqual({
      params: { split_hours: ['2026-06-01 00:00:00'] },
      omit: [],
    });
  });
});
