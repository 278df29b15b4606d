import { describe, expect, it } from 'vitest';
import { type AlertRule, parseAlertRules } from '../../core/alert-rules.js';
import {
  type AlertState,
  fingerprint,
  notifies,
  type Observation,
  step,
  transitionId,
  vanished,
} from './lifecycle.js';

const MIN = 60_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');

const [rule] = parseAlertRules([
  {
    id: 'gap',
    kind: 'backlog_outpacing_headcount',
    severity: 'critical',
    labels: { team: 'ops' },
    forEvaluations: 3,
    cooldownMinutes: 30,
    params: { windowDays: 7, gapPp: 10, minBacklog: 50 },
  },
]) as [AlertRule];

const obs = (active: boolean, value = active ? 25 : 0): Observation => ({
  group: { tenant: 't', region: 'APAC' },
  active,
  value,
  threshold: 10,
  numbers: { gap_pp: value },
  summary: `gap ${value}`,
});

/** Feeds a sequence of observations one minute apart; returns every transition's state name (or '-'). */
function run(r: AlertRule, seq: boolean[], start?: AlertState, t0 = T0) {
  let state = start;
  const out: string[] = [];
  const all: AlertState[] = [];
  seq.forEach((active, i) => {
    const next = step(r, state, obs(active), t0 + i * MIN);
    out.push(next ? next.state : '-');
    if (next) {
      state = next;
      all.push(next);
    }
  });
  return { names: out, last: state, all };
}

describe('alert lifecycle', () => {
  it('fires only after N consecutive evaluations, then dedups while it holds', () => {
    const { names, all } = run(rule, [true, true, true, true, true]);
    expect(names).toEqual(['pending', 'pending', 'firing', '-', '-']);
    expect(all.map((s) => s.consecutive)).toEqual([1, 2, 3]);
    const firing = all[2]!;
    expect(firing.startedAt).toBe(T0);
    expect(firing.firedAt).toBe(T0 + 2 * MIN);
    expect(firing.labels).toEqual({
      team: 'ops',
      tenant: 't',
      region: 'APAC',
      alertname: 'gap',
      severity: 'critical',
    });
    expect(all.filter(notifies)).toEqual([firing]);
  });

  it('an interruption before N resets the count (pending → inactive, not notified)', () => {
    const { names, all } = run(rule, [true, true, false, true, true, true]);
    expect(names).toEqual(['pending', 'pending', 'inactive', 'pending', 'pending', 'firing']);
    expect(all[3]!.startedAt).toBe(T0 + 3 * MIN); // a new episode
    expect(all.filter(notifies).map((s) => s.state)).toEqual(['firing']);
  });

  it('resolves when the condition clears, keeping the episode and the time it fired', () => {
    const { names, last } = run(rule, [true, true, true, false, false]);
    expect(names).toEqual(['pending', 'pending', 'firing', 'resolved', '-']);
    expect(last).toMatchObject({
      state: 'resolved',
      previousState: 'firing',
      startedAt: T0,
      firedAt: T0 + 2 * MIN,
      resolvedAt: T0 + 3 * MIN,
    });
  });

  it('cooldown: no new episode within cooldownMinutes of a resolution, a new one after it', () => {
    const resolved = run(rule, [true, true, true, false]).last!;
    expect(resolved.resolvedAt).toBe(T0 + 3 * MIN);
    // 29 minutes later: still cooling down
    expect(step(rule, resolved, obs(true), T0 + 32 * MIN)).toBeNull();
    // exactly 30 minutes after the resolution: a new episode may begin
    const again = step(rule, resolved, obs(true), T0 + 33 * MIN)!;
    expect(again).toMatchObject({ state: 'pending', consecutive: 1, startedAt: T0 + 33 * MIN });
    expect(again.fingerprint).toBe(resolved.fingerprint);
    expect(again.id).not.toBe(resolved.id);
  });

  it('forEvaluations 1 fires at once; cooldown 0 allows an immediate new episode', () => {
    const [instant] = parseAlertRules([{ ...rule, id: 'now', forEvaluations: 1, cooldownMinutes: 0 }]) as [
      AlertRule,
    ];
    const { names } = run(instant, [true, false, true, true]);
    expect(names).toEqual(['firing', 'resolved', 'firing', '-']);
  });

  it('fingerprints ignore label order; ids are deterministic per transition', () => {
    expect(fingerprint('gap', { tenant: 't', region: 'APAC' })).toBe(
      fingerprint('gap', { region: 'APAC', tenant: 't' }),
    );
    expect(fingerprint('gap', { tenant: 't', region: 'APAC' })).not.toBe(
      fingerprint('gap', { tenant: 't', region: 'EMEA' }),
    );
    expect(fingerprint('gap', { tenant: 't' })).not.toBe(fingerprint('other', { tenant: 't' }));
    const a = run(rule, [true, true, true]).all;
    const b = run(rule, [true, true, true]).all;
    expect(a.map((s) => s.id)).toEqual(b.map((s) => s.id));
    expect(new Set(a.map((s) => s.id)).size).toBe(3);
    expect(a[2]!.id).toBe(transitionId(a[2]!.fingerprint, T0, 'firing', 3));
  });

  it('a firing alert whose group vanished resolves; one never seen makes no transition', () => {
    const firing = run(rule, [true, true, true]).last!;
    const next = step(rule, firing, vanished(firing), T0 + 10 * MIN)!;
    expect(next.state).toBe('resolved');
    expect(next.group).toEqual(firing.group);
    expect(step(rule, undefined, obs(false), T0)).toBeNull();
  });

  it('continues from a state read back after a restart', () => {
    const pending = run(rule, [true, true]).last!;
    // the same state as stored and read back (a plain copy)
    const restored: AlertState = JSON.parse(JSON.stringify(pending));
    expect(run(rule, [true], restored, T0 + 2 * MIN).names).toEqual(['firing']);
    const firing = run(rule, [true, true, true]).last!;
    expect(run(rule, [true, true], JSON.parse(JSON.stringify(firing)), T0 + 5 * MIN).names).toEqual([
      '-',
      '-',
    ]);
  });
});
