import { z } from 'zod';
import { type RollupReader, rollupParams } from '../../api/rollups.js';
import type {
  AlertRule,
  backlogOutpacingRuleSchema,
  escalationSpikeRuleSchema,
  handoverPickupRuleSchema,
  slaRiskSurgeRuleSchema,
  sourceSilentRuleSchema,
} from '../../core/alert-rules.js';
import { type ClickHouseClient, toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import type { Observation } from './lifecycle.js';

// Each rule kind: which read query it runs (the same sql/queries files as the API and dashboards,
// so an alert and a chart never disagree) and the pure decision on each returned row.

type Rule<S extends z.ZodType> = z.infer<S>;
type BacklogRule = Rule<typeof backlogOutpacingRuleSchema>;
type SlaRule = Rule<typeof slaRiskSurgeRuleSchema>;
type HandoverRule = Rule<typeof handoverPickupRuleSchema>;
type EscalationRule = Rule<typeof escalationSpikeRuleSchema>;
type SilentRule = Rule<typeof sourceSilentRuleSchema>;

const num = z.coerce.number();
const nullableNum = z.union([z.null(), z.coerce.number()]);
const chTimeToIso = (s: string) => `${s.replace(' ', 'T')}Z`;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const pct = (n: number | null) => (n === null ? 'n/a' : `${n >= 0 ? '+' : ''}${round(n, 1)} %`);
const where = (g: Record<string, string>) =>
  g.tenant ? `${g.region ?? g.source} (tenant ${g.tenant})` : g.region;

// ---- backlog outpacing headcount ------------------------------------------------------------------

export const backlogRowSchema = z.object({
  region: z.string(),
  window_start: z.string(),
  window_end: z.string(),
  backlog_start: num,
  backlog_end: num,
  backlog_growth_pct: num,
  headcount_start: num,
  headcount_end: num,
  headcount_growth_pct: nullableNum,
  gap_pp: nullableNum,
});
export type BacklogRow = z.infer<typeof backlogRowSchema>;

export function decideBacklog(rule: BacklogRule, tenant: string, r: BacklogRow): Observation {
  const p = rule.params;
  const active =
    r.gap_pp !== null &&
    r.gap_pp > p.gapPp &&
    r.backlog_end >= p.minBacklog &&
    r.backlog_start >= p.minStartBacklog;
  const group = { tenant, region: r.region };
  return {
    group,
    active,
    value: r.gap_pp,
    threshold: p.gapPp,
    numbers: {
      window_days: p.windowDays,
      window_start: chTimeToIso(r.window_start),
      window_end: chTimeToIso(r.window_end),
      backlog_start: r.backlog_start,
      backlog_end: r.backlog_end,
      backlog_growth_pct: r.backlog_growth_pct,
      headcount_start: r.headcount_start,
      headcount_end: r.headcount_end,
      headcount_growth_pct: r.headcount_growth_pct,
      gap_pp: r.gap_pp,
      min_backlog: p.minBacklog,
      min_start_backlog: p.minStartBacklog,
    },
    summary:
      `${where(group)}: backlog ${pct(r.backlog_growth_pct)} (${r.backlog_start} → ${r.backlog_end}) against ` +
      `headcount ${pct(r.headcount_growth_pct)} (${r.headcount_start} → ${r.headcount_end}) over ${p.windowDays} days: ` +
      `gap ${r.gap_pp === null ? 'n/a' : `${round(r.gap_pp, 1)} pp`} (threshold ${p.gapPp} pp)`,
  };
}

// ---- SLA risk surge --------------------------------------------------------------------------------

export const slaRowSchema = z.object({
  tenant: z.string(),
  region: z.string(),
  risk: z.string(),
  predicted_breach: num,
});
export type SlaRow = z.infer<typeof slaRowSchema>;

const riskRank = ['none', 'watch', 'warning', 'critical', 'breached'];

/** The at-risk tickets of one tenant and region, counted. */
export const slaRiskGroupSchema = z.object({
  tenant: z.string(),
  region: z.string(),
  level: num,
  /** Below the level but predicted to breach. */
  predicted: num,
});
export type SlaRiskGroup = z.infer<typeof slaRiskGroupSchema>;

/** Groups the at-risk tickets by tenant and region; every group with a ticket gets an observation. */
export function decideSlaRisk(rule: SlaRule, rows: SlaRow[]): Observation[] {
  const min = riskRank.indexOf(rule.params.minLevel);
  const groups = new Map<string, SlaRiskGroup>();
  for (const r of rows) {
    const key = `${r.tenant}\n${r.region}`;
    const g = groups.get(key) ?? { tenant: r.tenant, region: r.region, level: 0, predicted: 0 };
    if (riskRank.indexOf(r.risk) >= min) g.level++;
    else if (r.predicted_breach === 1) g.predicted++;
    groups.set(key, g);
  }
  return decideSlaRiskGroups(rule, [...groups.values()]);
}

/** decideSlaRisk over tickets already counted per tenant and region (by ClickHouse). */
export function decideSlaRiskGroups(rule: SlaRule, groups: readonly SlaRiskGroup[]): Observation[] {
  const p = rule.params;
  return groups.map((counted) => {
    const g = { ...counted, predicted: p.includePredicted ? counted.predicted : 0 };
    const count = g.level + g.predicted;
    const group = { tenant: g.tenant, region: g.region };
    return {
      group,
      active: count >= p.minTickets,
      value: count,
      threshold: p.minTickets,
      numbers: {
        at_risk_tickets: count,
        at_or_above_level: g.level,
        predicted_breach_only: g.predicted,
        min_level: p.minLevel,
        min_tickets: p.minTickets,
      },
      summary: `${where(group)}: ${count} open tickets at ${p.minLevel} risk or worse${p.includePredicted ? ' or predicted to breach' : ''} (threshold ${p.minTickets})`,
    };
  });
}

// ---- handover pickup p90 ---------------------------------------------------------------------------

export const handoverRowSchema = z.object({
  from_region: z.string(),
  to_region: z.string(),
  handovers: num,
  picked_up: num,
  wall_p90_seconds: nullableNum,
  business_p90_seconds: nullableNum,
  pending: num,
});
export type HandoverRow = z.infer<typeof handoverRowSchema>;

export function decideHandover(rule: HandoverRule, tenant: string, r: HandoverRow): Observation {
  const p = rule.params;
  const p90 = p.clock === 'wall' ? r.wall_p90_seconds : r.business_p90_seconds;
  const target = p.targetMinutes * 60;
  const group = { tenant, from_region: r.from_region, region: r.to_region };
  return {
    group,
    active: p90 !== null && r.picked_up >= p.minPickedUp && p90 > target,
    value: p90,
    threshold: target,
    numbers: {
      window_hours: p.windowHours,
      clock: p.clock,
      handovers: r.handovers,
      picked_up: r.picked_up,
      pending: r.pending,
      p90_seconds: p90,
      target_seconds: target,
    },
    summary: `${tenant ? `tenant ${tenant}: ` : ''}handovers ${r.from_region} → ${r.to_region}: p90 pickup ${p90 === null ? 'n/a' : `${round(p90 / 60, 1)} min`} (${p.clock} time, ${r.picked_up} picked up) against a target of ${p.targetMinutes} min`,
  };
}

// ---- escalation-rate spike -------------------------------------------------------------------------

export const escalationRowSchema = z.object({
  region: z.string(),
  resolved: num,
  escalated_tickets: num,
  escalation_rate: num,
});
export type EscalationRow = z.infer<typeof escalationRowSchema>;

export function decideEscalation(
  rule: EscalationRule,
  tenant: string,
  current: EscalationRow,
  baseline: EscalationRow | undefined,
): Observation {
  const p = rule.params;
  const rate = 100 * current.escalation_rate;
  const base = baseline ? 100 * baseline.escalation_rate : null;
  const spike = base === null ? null : rate - base;
  const group = { tenant, region: current.region };
  return {
    group,
    active: spike !== null && current.resolved >= p.minResolved && spike > p.spikePp,
    value: spike,
    threshold: p.spikePp,
    numbers: {
      window_days: p.windowDays,
      baseline_days: p.baselineDays,
      resolved: current.resolved,
      escalated: current.escalated_tickets,
      rate_pct: round(rate, 4),
      baseline_resolved: baseline?.resolved ?? 0,
      baseline_escalated: baseline?.escalated_tickets ?? 0,
      baseline_rate_pct: base === null ? null : round(base, 4),
      spike_pp: spike === null ? null : round(spike, 4),
    },
    summary: `${where(group)}: escalation rate ${round(rate, 1)} % of ${current.resolved} resolved in ${p.windowDays} days against ${base === null ? 'no baseline' : `${round(base, 1)} % before`} (threshold +${p.spikePp} pp)`,
  };
}

// ---- source gone silent ----------------------------------------------------------------------------

export const sourceRowSchema = z.object({
  tenant: z.string(),
  source: z.string(),
  last_received_at: z.string(),
});
export type SourceRow = z.infer<typeof sourceRowSchema>;

export function decideSilent(rule: SilentRule, r: SourceRow, now: number): Observation {
  const p = rule.params;
  const last = Date.parse(chTimeToIso(r.last_received_at));
  const silentSeconds = Math.max(0, (now - last) / 1000);
  const group = { tenant: r.tenant, source: r.source };
  return {
    group,
    active: silentSeconds > p.silentMinutes * 60,
    value: silentSeconds,
    threshold: p.silentMinutes * 60,
    numbers: {
      last_event_received_at: new Date(last).toISOString(),
      silent_seconds: round(silentSeconds, 3),
      silent_minutes_threshold: p.silentMinutes,
    },
    summary: `source ${r.source} (tenant ${r.tenant}): no event for ${round(silentSeconds / 60, 1)} min (threshold ${p.silentMinutes} min)`,
  };
}

// ---- running them ------------------------------------------------------------------------------------

async function rows<T>(
  ch: ClickHouseClient,
  name: string,
  params: Record<string, unknown>,
  schema: z.ZodType<T>,
): Promise<T[]> {
  const rs = await ch.query({ query: readQuery(name), query_params: params, format: 'JSONEachRow' });
  return z.array(schema).parse(await rs.json());
}

const tenantRow = z.object({ tenant: z.string() });

/**
 * Every observation of one rule at `now`. Per-region metrics are read once per tenant. With
 * `rollups`, backlog against headcount is read as the API reads it (backlog-vs-headcount-rollup.sql
 * when the region rollups are usable: the same answer, without scanning the window's periods).
 */
export async function observe(
  ch: ClickHouseClient,
  rule: AlertRule,
  now: number,
  rollups?: RollupReader,
): Promise<Observation[]> {
  const at = toClickHouseTime(now);
  const tenants = async (only: string | undefined) =>
    only !== undefined ? [only] : (await rows(ch, 'alert-tenants', {}, tenantRow)).map((t) => t.tenant);
  switch (rule.kind) {
    case 'backlog_outpacing_headcount': {
      const out: Observation[] = [];
      const watermarks = rollups ? await rollups.watermarks() : null;
      for (const tenant of await tenants(rule.params.tenant)) {
        const params = { tenant, region: rule.params.region ?? '', at, window_days: rule.params.windowDays };
        const wm = rollupParams(watermarks, { tenant }, { now });
        const got = wm
          ? await rows(
              ch,
              'backlog-vs-headcount-rollup',
              { ...params, ...wm, team: '', source: tables.backlogRegionHourly },
              backlogRowSchema,
            )
          : await rows(ch, 'backlog-vs-headcount', { ...params, team: '' }, backlogRowSchema);
        out.push(...got.map((r) => decideBacklog(rule, tenant, r)));
      }
      return out;
    }
    case 'sla_risk_surge': {
      // Counted inside ClickHouse: every open ticket may be at risk, and a row each would make the
      // evaluator's memory grow with the backlog.
      const rs = await ch.query({
        query: `SELECT tenant, region,
                       countIf(indexOf(['none', 'watch', 'warning', 'critical', 'breached'], risk) - 1 >= {level_rank:Int32}) AS level,
                       countIf(indexOf(['none', 'watch', 'warning', 'critical', 'breached'], risk) - 1 < {level_rank:Int32}
                               AND predicted_breach = 1) AS predicted
                FROM (${readQuery('sla-at-risk')})
                GROUP BY tenant, region
                ORDER BY tenant, region`,
        query_params: {
          tenant: rule.params.tenant ?? '',
          region: rule.params.region ?? '',
          team: '',
          priority: '',
          // Predicted breaches can sit at any level, so read every open ticket when they count.
          min_level: rule.params.includePredicted ? 'none' : rule.params.minLevel,
          min_history: rule.params.minHistory,
          as_of: at,
          level_rank: riskRank.indexOf(rule.params.minLevel),
        },
        format: 'JSONEachRow',
      });
      return decideSlaRiskGroups(rule, z.array(slaRiskGroupSchema).parse(await rs.json()));
    }
    case 'handover_pickup_p90': {
      const out: Observation[] = [];
      const from = toClickHouseTime(now - rule.params.windowHours * 3_600_000);
      for (const tenant of await tenants(rule.params.tenant)) {
        const got = await rows(
          ch,
          'handovers',
          { tenant, region: rule.params.region ?? '', from, to: at, as_of: at },
          handoverRowSchema,
        );
        out.push(...got.map((r) => decideHandover(rule, tenant, r)));
      }
      return out;
    }
    case 'escalation_rate_spike': {
      const out: Observation[] = [];
      const p = rule.params;
      const windowStart = now - p.windowDays * 86_400_000;
      const baselineStart = windowStart - p.baselineDays * 86_400_000;
      for (const tenant of await tenants(p.tenant)) {
        const read = (from: number, to: number) =>
          rows(
            ch,
            'escalations',
            { tenant, region: p.region ?? '', from: toClickHouseTime(from), to: toClickHouseTime(to) },
            escalationRowSchema,
          );
        const current = await read(windowStart, now);
        const baseline = new Map((await read(baselineStart, windowStart)).map((r) => [r.region, r]));
        out.push(...current.map((r) => decideEscalation(rule, tenant, r, baseline.get(r.region))));
      }
      return out;
    }
    case 'source_silent': {
      const got = await rows(
        ch,
        'alert-source-last-seen',
        {
          tenant: rule.params.tenant ?? '',
          source: rule.params.source ?? '',
          since: toClickHouseTime(now - rule.params.lookbackHours * 3_600_000),
          at,
          tickets: rule.params.families.includes('ticket') ? 1 : 0,
          field_jobs: rule.params.families.includes('field_job') ? 1 : 0,
          roster: rule.params.families.includes('roster') ? 1 : 0,
        },
        sourceRowSchema,
      );
      return got.map((r) => decideSilent(rule, r, now));
    }
  }
}
