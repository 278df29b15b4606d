import { createHash } from 'node:crypto';
import type { AlertRule } from '../../core/alert-rules.js';

// The alert lifecycle, pure: given an alert's last state and what the latest evaluation saw, the
// transition (if any). No clock and no I/O here, so the rules are unit-tested exactly.
//
//   (none | inactive | resolved) --condition--> pending --N consecutive--> firing --clears--> resolved
//                                          pending --clears before N--> inactive
// - Dedup: a firing alert whose condition still holds makes no transition (and no notification).
// - Cooldown: after a resolution the condition is ignored for `cooldownMinutes`.
// - A resolved alert that fires again starts a new episode (a new started_at).

export type AlertStateName = 'pending' | 'firing' | 'resolved' | 'inactive';

export type Figure = number | string | null;

/** What one evaluation of a rule saw for one group (e.g. tenant + region). */
export interface Observation {
  /** Group labels: tenant, region, source, ... (no rule labels). */
  group: Record<string, string>;
  /** The condition holds. */
  active: boolean;
  /** The compared figure (gap in pp, tickets, seconds, ...); null when it could not be computed. */
  value: number | null;
  threshold: number;
  /** The figures that justify the decision, e.g. backlog and headcount at both window ends. */
  numbers: Record<string, Figure>;
  /** One line for people: what was seen against what threshold. */
  summary: string;
}

export interface AlertState {
  id: string;
  fingerprint: string;
  ruleId: string;
  kind: AlertRule['kind'];
  severity: AlertRule['severity'];
  state: AlertStateName;
  previousState: AlertStateName | 'none';
  /** Consecutive evaluations the condition held in this episode. */
  consecutive: number;
  group: Record<string, string>;
  /** Rule labels and group labels together. */
  labels: Record<string, string>;
  /** The episode's first pending (or firing) evaluation, ms. */
  startedAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
  /** When this transition happened (the evaluation instant), ms. */
  at: number;
  value: number | null;
  threshold: number;
  summary: string;
  numbers: Record<string, Figure>;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Rule + group labels, order-independent: the identity of an alert across evaluations and restarts. */
export function fingerprint(ruleId: string, group: Record<string, string>): string {
  const parts = Object.keys(group)
    .sort()
    .map((k) => `${k}=${group[k]}`);
  return sha([ruleId, ...parts].join('\n')).slice(0, 16);
}

/** Deterministic per transition, so inserting a transition twice leaves one row. */
export function transitionId(
  fp: string,
  startedAt: number,
  state: AlertStateName,
  consecutive: number,
): string {
  return sha(`${fp}|${startedAt}|${state}|${consecutive}`).slice(0, 32);
}

/**
 * The next state of an alert, or null when nothing changes. `prev` is the alert's latest state
 * (undefined: never seen); `now` the evaluation instant in ms.
 */
export function step(
  rule: AlertRule,
  prev: AlertState | undefined,
  obs: Observation,
  now: number,
): AlertState | null {
  const fp = prev?.fingerprint ?? fingerprint(rule.id, obs.group);
  const make = (
    state: AlertStateName,
    fields: Pick<AlertState, 'consecutive' | 'startedAt' | 'firedAt' | 'resolvedAt'>,
  ): AlertState => ({
    id: transitionId(fp, fields.startedAt, state, fields.consecutive),
    fingerprint: fp,
    ruleId: rule.id,
    kind: rule.kind,
    severity: rule.severity,
    state,
    previousState: prev?.state ?? 'none',
    group: obs.group,
    labels: { ...rule.labels, ...obs.group, alertname: rule.id, severity: rule.severity },
    at: now,
    value: obs.value,
    threshold: obs.threshold,
    summary: obs.summary,
    numbers: obs.numbers,
    ...fields,
  });

  if (obs.active) {
    if (prev?.state === 'firing') return null;
    if (prev?.state === 'pending') {
      const consecutive = prev.consecutive + 1;
      const fired = consecutive >= rule.forEvaluations;
      return make(fired ? 'firing' : 'pending', {
        consecutive,
        startedAt: prev.startedAt,
        firedAt: fired ? now : null,
        resolvedAt: null,
      });
    }
    if (prev?.state === 'resolved' && prev.resolvedAt !== null) {
      if (now < prev.resolvedAt + rule.cooldownMinutes * 60_000) return null;
    }
    const fired = rule.forEvaluations <= 1;
    return make(fired ? 'firing' : 'pending', {
      consecutive: 1,
      startedAt: now,
      firedAt: fired ? now : null,
      resolvedAt: null,
    });
  }
  if (prev?.state === 'firing')
    return make('resolved', {
      consecutive: prev.consecutive,
      startedAt: prev.startedAt,
      firedAt: prev.firedAt,
      resolvedAt: now,
    });
  if (prev?.state === 'pending')
    return make('inactive', {
      consecutive: prev.consecutive,
      startedAt: prev.startedAt,
      firedAt: null,
      resolvedAt: null,
    });
  return null;
}

/** An observation for an alert whose group the latest evaluation no longer returned: it cleared. */
export function vanished(prev: AlertState): Observation {
  return {
    group: prev.group,
    active: false,
    value: null,
    threshold: prev.threshold,
    numbers: {},
    summary: `${prev.summary} — no longer reported`,
  };
}

/** Whether a transition is one people are told about. */
export function notifies(s: AlertState): boolean {
  return s.state === 'firing' || s.state === 'resolved';
}
