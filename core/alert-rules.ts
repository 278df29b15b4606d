import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fieldProblems } from './events/common.js';

// Alert rules: one zod-validated definition that both the alert evaluator (transforms/alerts) and
// the Grafana alert-rule provisioning (dashboards/alert-rules.ts) are built from, so an alert means
// the same thing with or without Grafana. Rules come from ALERT_RULES_FILE (a JSON array), or the
// demo set below.

const ruleId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "-" and "_", at most 63 characters');
const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a label name: letters, digits and "_"');
const filterValue = z.string().min(1).max(200);

/** What every rule has, whatever its kind. */
const common = {
  id: ruleId,
  /** Shown in notifications; the rule's id when absent. */
  title: z.string().min(1).max(150).optional(),
  severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  /** Copied onto every alert of the rule (and its Grafana rule), e.g. `team: ops`. */
  labels: z.record(labelName, z.string().max(200)).default({}),
  /** Consecutive evaluations the condition must hold before the alert fires (1 = at once). */
  forEvaluations: z.number().int().min(1).max(1_000).default(1),
  /** After a resolution, the same alert does not fire again for this long. */
  cooldownMinutes: z.number().min(0).max(10_080).default(60),
};

const scope = {
  /** Only this tenant; every tenant separately when absent. */
  tenant: filterValue.optional(),
  /** Only this region; every region when absent. */
  region: filterValue.optional(),
};

export const backlogOutpacingRuleSchema = z
  .object({
    ...common,
    kind: z.literal('backlog_outpacing_headcount'),
    params: z
      .object({
        /** The design's W: growth of backlog and of headcount over the last 7 or 28 days. */
        windowDays: z.union([z.literal(7), z.literal(28)]).default(7),
        /** Fires when backlog growth − headcount growth is above this many percentage points. */
        gapPp: z.number().min(0).max(100_000),
        /** ... and the region's backlog at the window's end is at least this ... */
        minBacklog: z.number().int().min(0).default(0),
        /**
         * ... and at its start at least this: a growth from a handful of tickets (or from before
         * the history began) is a large percentage that means little.
         */
        minStartBacklog: z.number().int().min(0).default(0),
        ...scope,
      })
      .strict(),
  })
  .strict();

export const slaRiskSurgeRuleSchema = z
  .object({
    ...common,
    kind: z.literal('sla_risk_surge'),
    params: z
      .object({
        /** Open tickets at this risk level or above count (docs/metrics.md, SLA risk). */
        minLevel: z.enum(['watch', 'warning', 'critical', 'breached']).default('critical'),
        /** Tickets predicted to breach count too, whatever their level. */
        includePredicted: z.boolean().default(true),
        /** Fires when a region has at least this many such tickets. */
        minTickets: z.number().int().min(1),
        /** History a prediction needs (sla-at-risk.sql's min_history). */
        minHistory: z.number().int().min(1).default(5),
        ...scope,
      })
      .strict(),
  })
  .strict();

export const handoverPickupRuleSchema = z
  .object({
    ...common,
    kind: z.literal('handover_pickup_p90'),
    params: z
      .object({
        /** Handovers made in the last this many hours. */
        windowHours: z
          .number()
          .int()
          .min(1)
          .max(24 * 90)
          .default(24),
        /** Fires when the p90 pickup latency of a (from → to region) pair is above this. */
        targetMinutes: z.number().positive(),
        /** Wall time, or business time of the receiving region. */
        clock: z.enum(['wall', 'business']).default('business'),
        /** ... over at least this many picked-up handovers. */
        minPickedUp: z.number().int().min(1).default(5),
        tenant: filterValue.optional(),
        /** Pairs with this region on either side. */
        region: filterValue.optional(),
      })
      .strict(),
  })
  .strict();

export const escalationSpikeRuleSchema = z
  .object({
    ...common,
    kind: z.literal('escalation_rate_spike'),
    params: z
      .object({
        /** The escalation rate of tickets resolved in the last this many days ... */
        windowDays: z.number().int().min(1).max(90).default(7),
        /** ... against the rate of the this many days before it. */
        baselineDays: z.number().int().min(1).max(365).default(28),
        /** Fires when the window's rate is more than this many percentage points above the baseline's ... */
        spikePp: z.number().positive(),
        /** ... over at least this many resolved tickets in the window. */
        minResolved: z.number().int().min(1).default(20),
        ...scope,
      })
      .strict(),
  })
  .strict();

export const sourceSilentRuleSchema = z
  .object({
    ...common,
    kind: z.literal('source_silent'),
    params: z
      .object({
        /** Fires when a source that sent events has sent none for this long. */
        silentMinutes: z.number().positive(),
        /**
         * Event families whose sources are watched. Roster feeds are left out by default: HR
         * systems send in bursts (a daily sync), so their silence means little.
         */
        families: z
          .array(z.enum(['ticket', 'field_job', 'roster']))
          .min(1)
          .default(['ticket', 'field_job']),
        /** Sources not heard from for longer than this are taken as retired and ignored. */
        lookbackHours: z.number().positive().default(168),
        /** Only this source (e.g. `servicenow`); every source when absent. */
        source: filterValue.optional(),
        tenant: filterValue.optional(),
      })
      .strict(),
  })
  .strict();

export const alertRuleSchema = z.discriminatedUnion('kind', [
  backlogOutpacingRuleSchema,
  slaRiskSurgeRuleSchema,
  handoverPickupRuleSchema,
  escalationSpikeRuleSchema,
  sourceSilentRuleSchema,
]);

export const alertRuleSetSchema = z.array(alertRuleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.id))
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id ${r.id}` });
    seen.add(r.id);
  });
});

export type AlertRule = z.infer<typeof alertRuleSchema>;
export type AlertRuleKind = AlertRule['kind'];
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

/**
 * The demo set: the alert operations heads asked for by name (a region's backlog growing faster
 * than its headcount) plus one of each other kind. Thresholds are set so that the simulator's
 * scenarios fire (`apac-backlog`: APAC's 7-day gap runs 50–85 pp; `silent-source`: a ticket source
 * stops for two days) while its steady operation, whose regional sources pause for up to ~37 hours
 * over a weekend and whose backlogs swing up to ~30 % week on week, does not. Tune them to your
 * operation: the design's example gap of 25 pp is already a strong signal in a real one.
 */
export const defaultAlertRuleInputs: AlertRuleInput[] = [
  {
    id: 'backlog-outpacing-headcount-7d',
    title: 'Backlog growing faster than headcount (7 days)',
    kind: 'backlog_outpacing_headcount',
    severity: 'critical',
    labels: { team: 'operations' },
    forEvaluations: 3,
    cooldownMinutes: 240,
    params: { windowDays: 7, gapPp: 40, minBacklog: 50, minStartBacklog: 50 },
  },
  {
    id: 'backlog-outpacing-headcount-28d',
    title: 'Backlog growing faster than headcount (28 days)',
    kind: 'backlog_outpacing_headcount',
    severity: 'warning',
    labels: { team: 'operations' },
    forEvaluations: 3,
    cooldownMinutes: 720,
    params: { windowDays: 28, gapPp: 50, minBacklog: 50, minStartBacklog: 50 },
  },
  {
    id: 'sla-risk-surge',
    title: 'Many tickets about to breach their SLA',
    kind: 'sla_risk_surge',
    severity: 'critical',
    labels: { team: 'service-desk' },
    forEvaluations: 2,
    cooldownMinutes: 60,
    params: { minLevel: 'critical', includePredicted: true, minTickets: 60 },
  },
  {
    id: 'handover-pickup-slow',
    title: 'Handovers wait too long to be picked up',
    kind: 'handover_pickup_p90',
    severity: 'warning',
    labels: { team: 'service-desk' },
    forEvaluations: 2,
    cooldownMinutes: 120,
    params: { windowHours: 24, targetMinutes: 120, clock: 'business', minPickedUp: 10 },
  },
  {
    id: 'escalation-rate-spike',
    title: 'Escalation rate spiking',
    kind: 'escalation_rate_spike',
    severity: 'warning',
    labels: { team: 'service-desk' },
    forEvaluations: 2,
    cooldownMinutes: 240,
    params: { windowDays: 7, baselineDays: 28, spikePp: 10, minResolved: 20 },
  },
  {
    id: 'source-silent',
    title: 'A source stopped sending events',
    kind: 'source_silent',
    severity: 'critical',
    labels: { team: 'platform' },
    forEvaluations: 1,
    cooldownMinutes: 30,
    params: { silentMinutes: 2_400, families: ['ticket'], lookbackHours: 168 },
  },
];

export const defaultAlertRules: AlertRule[] = alertRuleSetSchema.parse(defaultAlertRuleInputs);

export class AlertRulesError extends Error {
  override readonly name = 'AlertRulesError';
}

/** Parses a rule set, naming every bad field (`[2].params.gapPp: ...`). */
export function parseAlertRules(json: unknown, origin = 'alert rules'): AlertRule[] {
  const parsed = alertRuleSetSchema.safeParse(json);
  if (!parsed.success) {
    const lines = fieldProblems(parsed.error).map((p) => `  ${p.path || '(root)'}: ${p.message}`);
    throw new AlertRulesError(`${origin} are not valid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The rules of ALERT_RULES_FILE, or the demo set. */
export function loadAlertRules(file: string | undefined): AlertRule[] {
  if (!file) return defaultAlertRules;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AlertRulesError(`alert rules file ${file}: ${(err as Error).message}`);
  }
  return parseAlertRules(json, `alert rules in ${file}`);
}
