import { z } from 'zod';
import type { RollupReader } from '../../api/rollups.js';
import type { AlertRule } from '../../core/alert-rules.js';
import { type ClickHouseClient, toClickHouseTime } from '../../core/clickhouse.js';
import type { EventProducer, OutgoingMessage } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { startPeriodic } from '../periodic.js';
import { observe } from './conditions.js';
import { type AlertState, type AlertStateName, fingerprint, notifies, step, vanished } from './lifecycle.js';
import { type Notifier, notification } from './notify.js';

// The alert evaluator: every interval, each rule's query runs at the evaluator's instant, every
// alert steps through its lifecycle (lifecycle.ts), and each transition is stored in ClickHouse
// (`alerts`), produced to the alerts topic, and — firing and resolved ones — handed to the
// notifier. The state lives in memory and is read back from `alerts` on the first pass, so a
// restart neither re-notifies a firing alert nor forgets a cooldown.
//
// Order within a pass: store in ClickHouse, then remember and notify, then produce. A pass whose
// insert fails is redone at the next interval from the same state, and nobody was notified yet
// (a repeated insert of the same transition leaves one row: ids are deterministic). Transitions
// Kafka refused are kept and produced, in order, at the next pass. A rule whose query fails is
// skipped for the pass (its alerts keep their state) and the others are evaluated.

export interface AlertEvaluatorOptions {
  ch: ClickHouseClient;
  rules: readonly AlertRule[];
  notifier: Notifier;
  /** Where transitions are produced, with the topic's name; null leaves Kafka out. */
  producer: EventProducer | null;
  topic: string;
  logger: Logger;
  intervalSeconds: number;
  /** The evaluation clock; tests inject one. */
  now?: () => number;
  /** The region rollups' watermarks: rules read them as the API does (see observe). */
  rollups?: RollupReader;
}

export interface EvaluationResult {
  at: number;
  /** Groups seen across all rules. */
  observed: number;
  transitions: AlertState[];
  errors: { ruleId: string; message: string }[];
}

export interface AlertEvaluator {
  /** One pass at the current instant (the timer calls this; tests may too). Passes never overlap. */
  evaluateOnce(): Promise<EvaluationResult>;
  /** The alerts' current states, by fingerprint (after the first pass). */
  states(): ReadonlyMap<string, AlertState>;
  /** Stops the timer and waits for a pass underway (deliveries are the notifier's to close). */
  stop(): Promise<void>;
}

const stateName = z.enum(['pending', 'firing', 'resolved', 'inactive']);
const nullableMs = z.union([z.null(), z.coerce.number()]);
const stringMap = z.record(z.string(), z.string());

const storedRowSchema = z.object({
  id: z.string(),
  fingerprint: z.string(),
  rule_id: z.string(),
  kind: z.enum([
    'backlog_outpacing_headcount',
    'sla_risk_surge',
    'handover_pickup_p90',
    'escalation_rate_spike',
    'source_silent',
  ]),
  severity: z.enum(['info', 'warning', 'critical']),
  state: stateName,
  previous_state: z.union([stateName, z.literal('none')]),
  consecutive: z.coerce.number(),
  group_labels: stringMap,
  labels: stringMap,
  started_ms: z.coerce.number(),
  fired_ms: nullableMs,
  resolved_ms: nullableMs,
  at_ms: z.coerce.number(),
  value: z.union([z.null(), z.number()]),
  threshold: z.number(),
  summary: z.string(),
  numbers: z.string(),
});

const numbersSchema = z.record(z.string(), z.union([z.number(), z.string(), z.null()]));

/** Each alert's latest stored transition, by fingerprint. */
export async function loadAlertStates(ch: ClickHouseClient): Promise<Map<string, AlertState>> {
  const rs = await ch.query({ query: readQuery('alert-state'), format: 'JSONEachRow' });
  const out = new Map<string, AlertState>();
  for (const r of z.array(storedRowSchema).parse(await rs.json())) {
    out.set(r.fingerprint, {
      id: r.id,
      fingerprint: r.fingerprint,
      ruleId: r.rule_id,
      kind: r.kind,
      severity: r.severity,
      state: r.state,
      previousState: r.previous_state,
      consecutive: r.consecutive,
      group: r.group_labels,
      labels: r.labels,
      startedAt: r.started_ms,
      firedAt: r.fired_ms,
      resolvedAt: r.resolved_ms,
      at: r.at_ms,
      value: r.value,
      threshold: r.threshold,
      summary: r.summary,
      numbers: numbersSchema.parse(JSON.parse(r.numbers)),
    });
  }
  return out;
}

const chTimeOrNull = (ms: number | null) => (ms === null ? null : toClickHouseTime(ms));

export function alertRow(s: AlertState): Record<string, unknown> {
  return {
    id: s.id,
    fingerprint: s.fingerprint,
    rule_id: s.ruleId,
    kind: s.kind,
    severity: s.severity,
    state: s.state,
    previous_state: s.previousState,
    consecutive: s.consecutive,
    tenant: s.group.tenant ?? '',
    region: s.group.region ?? '',
    group_labels: s.group,
    labels: s.labels,
    started_at: toClickHouseTime(s.startedAt),
    fired_at: chTimeOrNull(s.firedAt),
    resolved_at: chTimeOrNull(s.resolvedAt),
    at: toClickHouseTime(s.at),
    value: s.value,
    threshold: s.threshold,
    summary: s.summary,
    numbers: JSON.stringify(s.numbers),
  };
}

/** The alerts topic's record of a transition: the notification's alert plus where it came from. */
export function transitionMessage(s: AlertState, title: string): Record<string, unknown> {
  return {
    ...notification(s, title).alert,
    title,
    previousState: s.previousState,
    consecutive: s.consecutive,
    group: s.group,
  };
}

export function startAlertEvaluator(opts: AlertEvaluatorOptions): AlertEvaluator {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'alert-evaluator' });
  let states: Map<string, AlertState> | null = null;
  const rulesById = new Map(opts.rules.map((r) => [r.id, r]));
  const title = (s: AlertState) => rulesById.get(s.ruleId)?.title ?? s.ruleId;
  const unproduced: OutgoingMessage[] = [];

  async function pass(): Promise<EvaluationResult> {
    states ??= await loadAlertStates(opts.ch);
    const known = states;
    const at = now();
    const transitions: AlertState[] = [];
    const errors: EvaluationResult['errors'] = [];
    let observed = 0;
    for (const rule of opts.rules) {
      let seen: Awaited<ReturnType<typeof observe>>;
      try {
        seen = await observe(opts.ch, rule, at, opts.rollups);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        errors.push({ ruleId: rule.id, message });
        log.error({ rule: rule.id, err }, 'alert rule evaluation failed; its alerts keep their state');
        continue;
      }
      observed += seen.length;
      const fps = new Set<string>();
      for (const obs of seen) {
        const fp = fingerprint(rule.id, obs.group);
        fps.add(fp);
        const next = step(rule, known.get(fp), obs, at);
        if (next) transitions.push(next);
      }
      // An alert whose group is no longer returned (e.g. a region emptied) has cleared.
      for (const prev of known.values()) {
        if (prev.ruleId !== rule.id || fps.has(prev.fingerprint)) continue;
        if (prev.state !== 'pending' && prev.state !== 'firing') continue;
        const next = step(rule, prev, vanished(prev), at);
        if (next) transitions.push(next);
      }
    }
    if (transitions.length > 0) {
      // ClickHouse is the record: once it holds the transitions they are remembered and notified.
      await opts.ch.insert({
        table: tables.alerts,
        format: 'JSONEachRow',
        values: transitions.map(alertRow),
      });
      for (const s of transitions) {
        known.set(s.fingerprint, s);
        if (notifies(s)) opts.notifier.notify(s, title(s));
        unproduced.push({ key: s.fingerprint, value: JSON.stringify(transitionMessage(s, title(s))) });
      }
    }
    if (opts.producer && unproduced.length > 0) {
      const batch = unproduced.splice(0, unproduced.length);
      try {
        await opts.producer.send(opts.topic, batch);
      } catch (err) {
        // Kept in order for the next pass: the topic gets every transition, late rather than never.
        unproduced.unshift(...batch);
        log.error({ err, pending: unproduced.length }, 'alert transitions not produced; retried next pass');
      }
    }
    const counts: Partial<Record<AlertStateName, number>> = {};
    for (const s of transitions) counts[s.state] = (counts[s.state] ?? 0) + 1;
    // A quiet pass is not news: one line a minute only when something changed or failed.
    log[transitions.length > 0 || errors.length > 0 ? 'info' : 'debug'](
      {
        at: new Date(at).toISOString(),
        rules: opts.rules.length,
        observed,
        transitions: counts,
        errors: errors.length,
      },
      'alerts evaluated',
    );
    return { at, observed, transitions, errors };
  }

  // The timer's passes and direct calls share one queue, so two passes never interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (): Promise<EvaluationResult> => {
    const p = queue.then(pass);
    queue = p.catch(() => undefined);
    return p;
  };
  const job = startPeriodic('alert evaluation', opts.intervalSeconds, serial, log);
  return {
    evaluateOnce: job.runOnce,
    states: () => states ?? new Map(),
    stop: job.stop,
  };
}
