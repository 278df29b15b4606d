import { describe, expect, it } from 'vitest';
import {
  backlogParams,
  type RollupWatermarks,
  rollupParams,
  rollupParamsAnyInstant,
  splitHours,
  splitParams,
} from './rollups.js';

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
  const week = { from: d('2026-06-01T00:00:00Z'), to: d('2026-06-08T00:00:00Z') };

  it('gives the backlog watermarks of every tenant, under their own names', () => {
    const got = backlogParams(wm({ a: '2026-06-10T11:00:00Z', b: '2026-06-10T10:00:00Z' }), week);
    expect(got).toEqual({
      bwm_tenants: ['a', 'b'],
      bwm_until: ['2026-06-10 11:00:00', '2026-06-10 10:00:00'],
    });
    // The region rollups' parameters are their own watermarks.
    expect(rollupParams(wm({ a: '2026-06-10T11:00:00Z' }), week)?.wm_until).toEqual([
      '2026-06-10 12:00:00',
      '2026-06-10 12:00:00',
    ]);
  });

  it('follows rollupParams’ rules on the backlog watermarks alone', () => {
    const current = { a: '2026-06-10T11:00:00Z', b: '2026-06-10T10:00:00Z' };
    // from within an hour; to within an hour before a watermark, or after every one.
    expect(backlogParams(wm(current), { ...week, from: d('2026-06-01T00:30:00Z') })).toBeNull();
    expect(backlogParams(wm(current), { ...week, to: d('2026-06-08T00:30:00Z') })).toBeNull();
    expect(backlogParams(wm(current), { ...week, to: d('2026-06-10T11:30:00Z') })).not.toBeNull();
    // A tenant in scope without a backlog watermark; one stored since the last pass.
    expect(backlogParams(wm({ a: current.a }), { ...week, tenant: 'b' })).toBeNull();
    expect(backlogParams(wm({ a: current.a }), { ...week, tenant: 'a' })).not.toBeNull();
    expect(backlogParams(wm(current, ['c']), week)).toBeNull();
    expect(backlogParams(wm(current, ['c']), { ...week, tenant: 'a' })).not.toBeNull();
    expect(backlogParams(wm({}), week)).toBeNull();
    // A backlog watermark more than 6 hours behind: the backlog job has stopped.
    expect(backlogParams(wm({ ...current, b: '2026-06-10T06:00:00Z' }), week)).toBeNull();
    expect(backlogParams(wm(current), week, { now: ms('2026-06-10T17:30:00Z') })).toBeNull();
    // The region rollups do not depend on the backlog's.
    expect(rollupParams(wm({}), week)).not.toBeNull();
    expect(backlogParams(null, week)).toBeNull();
  });
});

describe('rollupParamsAnyInstant', () => {
  const wm = (until: Record<string, string>, unmaterialised: string[] = []): RollupWatermarks => ({
    until: new Map(Object.entries(until).map(([t, iso]) => [t, ms(iso)])),
    unmaterialised: new Set(unmaterialised),
    backlogUntil: new Map(),
    backlogUnmaterialised: new Set(),
    readAt: ms('2026-06-10T12:20:00Z'),
  });
  const current = { a: '2026-06-10T12:00:00Z', b: '2026-06-10T11:00:00Z' };
  // The default `at` (now) and its window: neither end on an hour, the end before no watermark.
  const midHour = { from: d('2026-06-03T12:17:03.250Z'), to: d('2026-06-10T12:17:03.250Z') };
  const beforeW = { from: d('2026-06-01T00:00:00.001Z'), to: d('2026-06-08T00:59:59.999Z') };

  it('takes any instant where rollupParams takes whole hours only, with the same watermarks', () => {
    expect(rollupParams(wm(current), midHour)).toBeNull();
    expect(rollupParams(wm(current), beforeW)).toBeNull();
    const got = rollupParamsAnyInstant(wm(current), beforeW);
    expect(got).toEqual({ wm_tenants: ['a', 'b'], wm_until: ['2026-06-10 12:00:00', '2026-06-10 11:00:00'] });
    expect(rollupParamsAnyInstant(wm(current), midHour)).toEqual(got);
    const whole = { from: d('2026-06-01T00:00:00Z'), to: d('2026-06-08T00:00:00Z') };
    expect(rollupParamsAnyInstant(wm(current), whole)).toEqual(rollupParams(wm(current), whole));
  });

  it('keeps rollupParams’ other rules: materialised, in scope, not stale', () => {
    expect(rollupParamsAnyInstant(null, midHour)).toBeNull();
    expect(rollupParamsAnyInstant(wm({}), midHour)).toBeNull();
    expect(rollupParamsAnyInstant(wm(current, ['c']), midHour)).toBeNull();
    expect(rollupParamsAnyInstant(wm(current, ['c']), { ...midHour, tenant: 'a' })).not.toBeNull();
    expect(rollupParamsAnyInstant(wm(current), { ...midHour, tenant: 'c' })).toBeNull();
    expect(rollupParamsAnyInstant(wm({ ...current, b: '2026-06-10T06:00:00Z' }), midHour)).toBeNull();
    expect(rollupParamsAnyInstant(wm(current), midHour, { now: ms('2026-06-10T17:30:00Z') })).toBeNull();
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
