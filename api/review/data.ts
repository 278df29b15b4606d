import { z } from 'zod';
import type { ClickHouseClient } from '../../core/clickhouse.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { tables } from '../../core/tables.js';
import { type BacklogRollupParams, type RollupParams, splitParams } from '../rollups.js';
import { queryRows } from '../routes/shared.js';
import { type HeadlineKey, headlineKeys, type Target, targetSchema } from './targets.js';
import { localDay, type ReviewWeek } from './week.js';

// The weekly regional review as data: the headline figures of a week and the week before, their
// changes against each other and against the targets, the daily series behind the charts and
// the teams, customers and tickets behind the changes. Every figure comes from one read query of
// sql/queries/review-*.sql; this module only combines them. Where the request allows it
// (ReviewRollups), a part is read from the hourly rollups or the open copies instead
// (review-*-rollup.sql), with the same figures.

const OFFENDER_LIMIT = 10;

const units = ['count', 'fte', 'ratio', 'percent', 'seconds', 'tickets_per_fte'] as const;
type Unit = (typeof units)[number];

const nullableNumber = z.number().nullable();

export const headlineSchema = z.object({
  key: z.enum(headlineKeys),
  label: z.string(),
  unit: z.enum(units).describe('ratio = a fraction (0.05 = 5 %); percent = already in %'),
  better: z.enum(['lower', 'higher']).nullable().describe('Which direction is an improvement'),
  current: nullableNumber,
  previous: nullableNumber,
  delta: nullableNumber.describe('current - previous, in the figure’s unit'),
  deltaPct: nullableNumber.describe('Relative change in %, null when previous is 0 or missing'),
  target: targetSchema.nullable(),
  onTarget: z.boolean().nullable(),
  basis: z
    .object({ current: z.string().nullable(), previous: z.string().nullable() })
    .describe('What a rate or percentile was computed over, e.g. "3 of 12 resolved"'),
  note: z.string().nullable(),
});
export type Headline = z.infer<typeof headlineSchema>;

const daySchema = z.object({
  week: z.enum(['current', 'previous']),
  date: z.string().describe('Local date in the region’s zone'),
  weekday: z.string(),
  start: z.string(),
  end: z.string(),
  backlog: z.number().int().describe('At the day’s end'),
  inflow: z.number().int(),
  outflow: z.number().int(),
  headcount: z.number().describe('FTE at the day’s end'),
  load: nullableNumber.describe('backlog / headcount at the day’s end, null when headcount is 0'),
});

const pairSchema = z.object({
  week: z.enum(['current', 'previous']),
  fromRegion: z.string(),
  toRegion: z.string(),
  handovers: z.number().int(),
  pickedUp: z.number().int(),
  wallP50Seconds: nullableNumber,
  wallP90Seconds: nullableNumber,
  businessP50Seconds: nullableNumber,
  businessP90Seconds: nullableNumber,
});

const slaPrioritySchema = z.object({
  week: z.enum(['current', 'previous']),
  priority: z.string(),
  resolved: z.number().int(),
  breached: z.number().int(),
  breachRate: nullableNumber,
  breachesInWeek: z.number().int(),
});

const weekSchema = z.object({ label: z.string(), start: z.string(), end: z.string() });

export const reviewSchema = z.object({
  tenant: z.string().nullable(),
  region: z.string().nullable().describe('null = all regions'),
  timeZone: z
    .string()
    .describe('The zone of the region’s business calendar; weeks start at its Monday 00:00'),
  week: weekSchema,
  previousWeek: weekSchema,
  complete: z.boolean().describe('false while the week is still running'),
  generatedAt: z.string(),
  headline: z.array(headlineSchema),
  days: z.array(daySchema),
  handoverPairs: z.array(pairSchema),
  slaByPriority: z.array(slaPrioritySchema),
  slaRiskNow: z.object({
    asOf: z.string().nullable(),
    openTickets: z.number().int(),
    watch: z.number().int(),
    warning: z.number().int(),
    critical: z.number().int(),
    breached: z.number().int(),
    atRisk: z.number().int(),
  }),
  offenders: z.object({
    teamsByBacklogGrowth: z.array(
      z.object({
        team: z.string(),
        backlogStart: z.number().int(),
        backlogEnd: z.number().int(),
        growth: z.number().int(),
        inflow: z.number().int(),
        outflow: z.number().int(),
      }),
    ),
    teamsBySlowestPickup: z.array(
      z.object({
        team: z.string(),
        received: z.number().int(),
        pickedUp: z.number().int(),
        businessP50Seconds: nullableNumber,
        businessP90Seconds: nullableNumber,
        pendingAtEnd: z.number().int(),
      }),
    ),
    customersByBreaches: z.array(
      z.object({
        customer: z.string(),
        breaches: z.number().int(),
        resolved: z.number().int(),
        resolvedBreached: z.number().int(),
        openBreachedNow: z.number().int(),
      }),
    ),
    oldestPendingHandovers: z.array(
      z.object({
        tenant: z.string(),
        ticketId: z.string(),
        customer: z.string(),
        priority: z.string(),
        fromTeam: z.string(),
        fromRegion: z.string(),
        toTeam: z.string(),
        toRegion: z.string(),
        handedOverAt: z.string(),
        ageSeconds: z.number(),
      }),
    ),
    oldestTickets: z.array(
      z.object({
        tenant: z.string(),
        ticketId: z.string(),
        customer: z.string(),
        team: z.string(),
        priority: z.string(),
        createdAt: z.string(),
        ageSeconds: z.number(),
      }),
    ),
  }),
});
export type Review = z.infer<typeof reviewSchema>;

// ---- rows as the queries return them ------------------------------------------------------

const n = z.coerce.number();
const nn = z.coerce.number().nullable();
const flowRow = z.object({ idx: n, backlog: n, inflow: n, outflow: n });
const headcountRow = z.object({ idx: n, headcount: n, members: n });
const handoverRow = z.object({
  week: n,
  handovers: n,
  received_count: n,
  sent_count: n,
  cross_region_count: n,
  ping_pong_count: n,
  picked_up: n,
  wall_p50_seconds: nn,
  wall_p90_seconds: nn,
  business_p50_seconds: nn,
  business_p90_seconds: nn,
  pending_at_end: n,
  pending_oldest_age_seconds: nn,
});
const pairRow = z.object({
  week: n,
  from_region: z.string(),
  to_region: z.string(),
  handover_count: n,
  picked_up: n,
  wall_p50_seconds: nn,
  wall_p90_seconds: nn,
  business_p50_seconds: nn,
  business_p90_seconds: nn,
});
const resolutionRow = z.object({
  week: n,
  resolved: n,
  escalated_tickets: n,
  reopened_tickets: n,
  first_team_tickets: n,
});
const slaRow = z.object({ week: n, priority: z.string(), resolved: n, breached: n, breaches_in_week: n });
const riskRow = z.object({
  open_tickets: n,
  watch: n,
  warning: n,
  critical: n,
  breached: n,
  at_risk: n,
  as_of: z.string().nullable(),
});
const fieldRow = z.object({ week: n, jobs: n, first_time_fix_jobs: n, revisited_jobs: n });
const teamBacklogRow = z.object({
  team: z.string(),
  backlog_start: n,
  backlog_end: n,
  growth: n,
  inflow: n,
  outflow: n,
});
const teamHandoverRow = z.object({
  team: z.string(),
  received: n,
  picked_up: n,
  business_p50_seconds: nn,
  business_p90_seconds: nn,
  pending_at_end: n,
});
const customerRow = z.object({
  customer: z.string(),
  breaches: n,
  resolved: n,
  resolved_breached: n,
  open_breached_now: n,
});
const pendingHandoverRow = z.object({
  tenant: z.string(),
  ticket_id: z.string(),
  customer: z.string(),
  priority: z.string(),
  from_team: z.string(),
  from_region: z.string(),
  to_team: z.string(),
  to_region: z.string(),
  handed_over_at: z.string(),
  age_seconds: n,
});
const oldestRow = z.object({
  tenant: z.string(),
  ticket_id: z.string(),
  customer: z.string(),
  team: z.string(),
  priority: z.string(),
  created: z.string(),
  age_seconds: n,
});

// ---- assembly -----------------------------------------------------------------------------

const iso = (ms: number) => new Date(ms).toISOString();
const isoFromClickHouse = (s: string) => `${s.replace(' ', 'T')}Z`;
const weekName = (w: number) => (w === 1 ? 'current' : 'previous');

interface Figure {
  value: number | null;
  basis?: string | null;
}

interface Definition {
  key: HeadlineKey;
  label: string;
  unit: Unit;
  better: 'lower' | 'higher' | null;
  note?: string;
}

const definitions: Definition[] = [
  { key: 'backlogEnd', label: 'Backlog at week end', unit: 'count', better: 'lower' },
  { key: 'inflow', label: 'Inflow (created + reopened)', unit: 'count', better: null },
  { key: 'outflow', label: 'Outflow (resolved, closed, cancelled)', unit: 'count', better: 'higher' },
  {
    key: 'backlogGrowthPct',
    label: 'Backlog growth over the week',
    unit: 'percent',
    better: 'lower',
    note: '(B(end) − B(start)) / max(B(start), 1)',
  },
  { key: 'headcountFte', label: 'Headcount at week end (FTE)', unit: 'fte', better: null },
  { key: 'loadPerFte', label: 'Load (backlog per FTE)', unit: 'tickets_per_fte', better: 'lower' },
  { key: 'handovers', label: 'Handovers (in or out)', unit: 'count', better: 'lower' },
  { key: 'pickupWallP50Seconds', label: 'Pickup latency p50 (wall)', unit: 'seconds', better: 'lower' },
  { key: 'pickupWallP90Seconds', label: 'Pickup latency p90 (wall)', unit: 'seconds', better: 'lower' },
  {
    key: 'pickupBusinessP50Seconds',
    label: 'Pickup latency p50 (business)',
    unit: 'seconds',
    better: 'lower',
  },
  {
    key: 'pickupBusinessP90Seconds',
    label: 'Pickup latency p90 (business)',
    unit: 'seconds',
    better: 'lower',
  },
  { key: 'pendingHandovers', label: 'Handovers pending at week end', unit: 'count', better: 'lower' },
  { key: 'escalationRate', label: 'Escalation rate', unit: 'ratio', better: 'lower' },
  { key: 'reopenRate', label: 'Reopen rate', unit: 'ratio', better: 'lower' },
  { key: 'slaBreachRate', label: 'SLA breach rate (resolution)', unit: 'ratio', better: 'lower' },
  {
    key: 'slaAtRisk',
    label: 'Open tickets at SLA risk now',
    unit: 'count',
    better: 'lower',
    note: 'warning or critical at the latest evaluation; a snapshot, not kept per week',
  },
  { key: 'firstTimeFixRate', label: 'Field first-time-fix rate', unit: 'ratio', better: 'higher' },
];

function onTarget(value: number | null, target: Target | undefined): boolean | null {
  if (value === null || target === undefined) return null;
  if (target.min !== undefined && value < target.min) return false;
  if (target.max !== undefined && value > target.max) return false;
  return true;
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** What a review may read besides the per-ticket tables (api/rollups.ts). */
export interface ReviewRollups {
  /**
   * The watermarks when the rollups are current: then the hour-based parts read the hourly
   * rollups plus the recent edge (an hour a local midnight falls inside item by item), and the
   * open copies may be read (they are kept current by the same job).
   */
  hourly: RollupParams | null;
  /**
   * The backlog rollup's watermarks when the current week can be read from it (per team: the
   * region rollups have no team), else null.
   */
  teamBacklog: BacklogRollupParams | null;
}

export interface ReviewRequest {
  tenant: string | undefined;
  region: string | undefined;
  timeZone: string;
  week: ReviewWeek;
  previous: ReviewWeek;
  targets: Partial<Record<HeadlineKey, Target>>;
  nowMs: number;
  rollups?: ReviewRollups;
}

/** The parts of a review, each read by one query (handoversPending: the pending at each week's end). */
export const reviewParts = [
  'flow',
  'headcount',
  'handovers',
  'handoversPending',
  'handoverPairs',
  'resolutions',
  'sla',
  'slaRisk',
  'field',
  'teamBacklog',
  'teamHandovers',
  'customers',
  'pendingHandovers',
  'oldestTickets',
] as const;
export type ReviewPart = (typeof reviewParts)[number];
/**
 * Where a part was read from: the rollups or open copies, the per-ticket tables (live), or the
 * roster (headcount: memberships, as many rows as staff changes, not tickets).
 */
export type ReviewSource = 'rollup' | 'live' | 'roster';
export type ReviewSources = Record<ReviewPart, ReviewSource>;

const pendingCountRow = z.object({ idx: n, pending: n });

export async function buildReview(ch: ClickHouseClient, req: ReviewRequest): Promise<Review> {
  return (await buildReviewWithSources(ch, req)).review;
}

/** The review and, per part, whether it was read from the rollups / open copies or live. */
export async function buildReviewWithSources(
  ch: ClickHouseClient,
  req: ReviewRequest,
): Promise<{ review: Review; sources: ReviewSources }> {
  const { week, previous } = req;
  // 15 local midnights: the previous week's Monday to the current week's next Monday.
  const bounds = [...previous.days, ...week.days.slice(1)];
  const weeks = [previous.days[0]!, week.days[0]!, week.days[7]!];
  const scope = { tenant: req.tenant ?? '', region: req.region ?? '' };
  const chBounds = bounds.map((b) => toClickHouseTime(b));
  const chWeeks = weeks.map((b) => toClickHouseTime(b));
  const current = { from: toClickHouseTime(weeks[1]!), to: toClickHouseTime(weeks[2]!) };
  const limit = OFFENDER_LIMIT;

  const hourly = req.rollups?.hourly ?? null;
  // The open copies hold the tickets open now: the SLA risk snapshot (always of now) reads them,
  // and while the week is running (its end is after now) so do the parts taken at its end
  // (pending handovers, oldest tickets): what stands then is what stands now.
  const openCopies = hourly !== null;
  const open = openCopies && weeks[2]! > req.nowMs;
  const teamBacklogWm = req.rollups?.teamBacklog ?? null;
  const sources = Object.fromEntries(reviewParts.map((p) => [p, 'live'])) as ReviewSources;
  sources.headcount = 'roster';
  /** The rollup query of a part when `use`, else its live query; notes which one answered. */
  const pick = (part: ReviewPart, use: boolean, live: string): string => {
    if (!use) return live;
    sources[part] = 'rollup';
    return `${live}-rollup`;
  };
  // The hours a local midnight falls inside (a zone 30 or 45 minutes off UTC): the rollup queries
  // read them item by item (section split). The daily series splits at every midnight, the weekly
  // parts only at the weeks' bounds.
  const daySplit = splitParams(bounds.map((b) => new Date(b)));
  const weekSplit = splitParams(weeks.map((b) => new Date(b)));
  /** A part read by its rollup query with `rollupParams` when `use`, else by its live query. */
  const read = <S extends z.ZodType>(
    part: ReviewPart,
    use: boolean,
    live: string,
    params: Record<string, unknown>,
    rollupParams: object,
    row: S,
    split = weekSplit,
  ) =>
    use
      ? queryRows(ch, pick(part, true, live), { ...params, ...rollupParams, ...split.params }, row, {
          omit: split.omit,
        })
      : queryRows(ch, live, params, row);
  const wm = hourly ?? {};
  // At a past week's end, the lists of tickets then: the open copy for the tickets untouched since,
  // the newest rows of those with an event since (review-*-past.sql). Only while the open copies
  // are current, as for the SLA risk snapshot.
  const pastEnd = openCopies && !open;
  if (pastEnd) {
    sources.pendingHandovers = 'rollup';
    sources.oldestTickets = 'rollup';
  }
  /** The open copy of a table for a part when the open copies may answer, else the table. */
  const fromOpen = (
    part: ReviewPart,
    table: string,
    openCopy: string,
    use: boolean = open,
  ): { source: string } => {
    if (!use) return { source: table };
    sources[part] = 'rollup';
    return { source: openCopy };
  };

  const [
    flow,
    staff,
    handoverWeeks,
    pendingAtEnd,
    pairs,
    resolutions,
    sla,
    risk,
    field,
    teamBacklog,
    teamHandovers,
    customers,
    pending,
    oldest,
  ] = await Promise.all([
    read('flow', hourly !== null, 'review-flow', { ...scope, bounds: chBounds }, wm, flowRow, daySplit),
    queryRows(ch, 'review-headcount', { ...scope, bounds: chBounds }, headcountRow),
    read('handovers', hourly !== null, 'review-handovers', { ...scope, weeks: chWeeks }, wm, handoverRow),
    hourly === null
      ? Promise.resolve(null)
      : read(
          'handoversPending',
          true,
          'review-pending-at-end',
          { ...scope, ends: [chWeeks[1], chWeeks[2]] },
          hourly,
          pendingCountRow,
        ),
    read(
      'handoverPairs',
      hourly !== null,
      'review-handover-pairs',
      { ...scope, weeks: chWeeks },
      wm,
      pairRow,
    ),
    read(
      'resolutions',
      hourly !== null,
      'review-resolutions',
      { ...scope, weeks: chWeeks },
      wm,
      resolutionRow,
    ),
    read('sla', hourly !== null, 'review-sla', { ...scope, weeks: chWeeks }, wm, slaRow),
    queryRows(
      ch,
      'review-sla-at-risk',
      {
        ...scope,
        ...fromOpen('slaRisk', tables.ticketSla, tables.ticketSlaOpen, openCopies),
      },
      riskRow,
    ),
    read('field', hourly !== null, 'review-field', { ...scope, weeks: chWeeks }, wm, fieldRow),
    read(
      'teamBacklog',
      teamBacklogWm !== null,
      'review-team-backlog',
      { ...scope, ...current, limit },
      teamBacklogWm ?? {},
      teamBacklogRow,
    ),
    read(
      'teamHandovers',
      hourly !== null,
      'review-team-handovers',
      { ...scope, ...current, limit },
      wm,
      teamHandoverRow,
    ),
    read(
      'customers',
      hourly !== null,
      'review-customer-breaches',
      { ...scope, ...current, limit },
      wm,
      customerRow,
    ),
    pastEnd
      ? queryRows(
          ch,
          'review-pending-handovers-past',
          { ...scope, at: current.to, limit },
          pendingHandoverRow,
        )
      : queryRows(
          ch,
          'review-pending-handovers',
          {
            ...scope,
            at: current.to,
            limit,
            ...fromOpen('pendingHandovers', tables.ticketFacts, tables.ticketFactsOpen),
          },
          pendingHandoverRow,
        ),
    queryRows(
      ch,
      pastEnd ? 'review-oldest-tickets-past' : pick('oldestTickets', open, 'review-oldest-tickets'),
      { ...scope, at: current.to, limit },
      oldestRow,
    ),
  ]);
  // The rollups have no pending handovers at an instant: those of each week's end are read apart.
  const handovers = handoverWeeks.map((r) =>
    pendingAtEnd === null
      ? r
      : { ...r, pending_at_end: pendingAtEnd.find((p) => p.idx === r.week)?.pending ?? 0 },
  );

  // Instants and days without a row have nothing in them: 0.
  const flowAt = (i: number) => flow.find((r) => r.idx === i) ?? { backlog: 0, inflow: 0, outflow: 0 };
  const fteAt = (i: number) => staff.find((r) => r.idx === i)?.headcount ?? 0;
  const days: Review['days'] = [];
  for (let i = 1; i < bounds.length; i++) {
    const f = flowAt(i);
    const h = fteAt(i);
    const local = localDay(bounds[i - 1]!, req.timeZone);
    days.push({
      week: i <= 7 ? 'previous' : 'current',
      date: local.date,
      weekday: local.weekday,
      start: iso(bounds[i - 1]!),
      end: iso(bounds[i]!),
      backlog: f.backlog,
      inflow: f.inflow,
      outflow: f.outflow,
      headcount: h,
      load: h > 0 ? f.backlog / h : null,
    });
  }

  // Week w (0 previous, 1 current) starts at bound 7w and ends at bound 7w + 7.
  const figures = (w: 0 | 1): Record<HeadlineKey, Figure> => {
    const startIdx = 7 * w;
    const endIdx = startIdx + 7;
    const bStart = flowAt(startIdx).backlog;
    const bEnd = flowAt(endIdx).backlog;
    const weekDays = days.slice(startIdx, endIdx);
    const hEnd = fteAt(endIdx);
    const ho = handovers.find((r) => r.week === w);
    const res = resolutions.find((r) => r.week === w);
    const slaWeek = sla.filter((r) => r.week === w);
    const resolved = slaWeek.reduce((s, r) => s + r.resolved, 0);
    const breached = slaWeek.reduce((s, r) => s + r.breached, 0);
    const jobs = field.find((r) => r.week === w);
    const picked = ho ? `${ho.picked_up} picked up of ${ho.received_count} received` : null;
    const of = (num: number | undefined, den: number | undefined, what: string) =>
      den === undefined ? `0 ${what}` : `${num ?? 0} of ${den} ${what}`;
    return {
      backlogEnd: { value: bEnd, basis: `${bStart} at the week’s start` },
      inflow: { value: weekDays.reduce((s, d) => s + d.inflow, 0) },
      outflow: { value: weekDays.reduce((s, d) => s + d.outflow, 0) },
      backlogGrowthPct: {
        value: (100 * (bEnd - bStart)) / Math.max(bStart, 1),
        basis: `${bStart} → ${bEnd}`,
      },
      headcountFte: { value: hEnd },
      loadPerFte: { value: hEnd > 0 ? bEnd / hEnd : null, basis: `${bEnd} / ${hEnd} FTE` },
      handovers: {
        value: ho?.handovers ?? 0,
        basis: ho
          ? `${ho.received_count} received, ${ho.sent_count} sent, ${ho.cross_region_count} cross-region`
          : null,
      },
      pickupWallP50Seconds: { value: ho?.wall_p50_seconds ?? null, basis: picked },
      pickupWallP90Seconds: { value: ho?.wall_p90_seconds ?? null, basis: picked },
      pickupBusinessP50Seconds: { value: ho?.business_p50_seconds ?? null, basis: picked },
      pickupBusinessP90Seconds: { value: ho?.business_p90_seconds ?? null, basis: picked },
      pendingHandovers: { value: ho?.pending_at_end ?? 0 },
      escalationRate: {
        value: res ? ratio(res.escalated_tickets, res.resolved) : null,
        basis: of(res?.escalated_tickets, res?.resolved, 'resolved'),
      },
      reopenRate: {
        value: res ? ratio(res.reopened_tickets, res.resolved) : null,
        basis: of(res?.reopened_tickets, res?.resolved, 'resolved'),
      },
      slaBreachRate: { value: ratio(breached, resolved), basis: `${breached} of ${resolved} resolved` },
      slaAtRisk: { value: w === 1 ? (risk[0]?.at_risk ?? 0) : null, basis: null },
      firstTimeFixRate: {
        value: jobs ? ratio(jobs.first_time_fix_jobs, jobs.jobs) : null,
        basis: of(jobs?.first_time_fix_jobs, jobs?.jobs, 'completed jobs'),
      },
    };
  };
  const cur = figures(1);
  const prev = figures(0);
  const headline: Headline[] = definitions.map((d) => {
    const c = cur[d.key].value;
    const p = prev[d.key].value;
    const target = req.targets[d.key];
    return {
      key: d.key,
      label: d.label,
      unit: d.unit,
      better: d.better,
      current: c,
      previous: p,
      delta: c === null || p === null ? null : c - p,
      deltaPct: c === null || p === null || p === 0 ? null : (100 * (c - p)) / Math.abs(p),
      target: target ?? null,
      onTarget: onTarget(c, target),
      basis: { current: cur[d.key].basis ?? null, previous: prev[d.key].basis ?? null },
      note: d.note ?? null,
    };
  });

  const r0 = risk[0];
  const review: Review = {
    tenant: req.tenant ?? null,
    region: req.region ?? null,
    timeZone: req.timeZone,
    week: { label: week.label, start: iso(week.days[0]!), end: iso(week.days[7]!) },
    previousWeek: { label: previous.label, start: iso(previous.days[0]!), end: iso(previous.days[7]!) },
    complete: week.days[7]! <= req.nowMs,
    generatedAt: iso(req.nowMs),
    headline,
    days,
    handoverPairs: pairs.map((r) => ({
      week: weekName(r.week),
      fromRegion: r.from_region,
      toRegion: r.to_region,
      handovers: r.handover_count,
      pickedUp: r.picked_up,
      wallP50Seconds: r.wall_p50_seconds,
      wallP90Seconds: r.wall_p90_seconds,
      businessP50Seconds: r.business_p50_seconds,
      businessP90Seconds: r.business_p90_seconds,
    })),
    slaByPriority: sla.map((r) => ({
      week: weekName(r.week),
      priority: r.priority,
      resolved: r.resolved,
      breached: r.breached,
      breachRate: ratio(r.breached, r.resolved),
      breachesInWeek: r.breaches_in_week,
    })),
    slaRiskNow: {
      asOf: r0?.as_of ? isoFromClickHouse(r0.as_of) : null,
      openTickets: r0?.open_tickets ?? 0,
      watch: r0?.watch ?? 0,
      warning: r0?.warning ?? 0,
      critical: r0?.critical ?? 0,
      breached: r0?.breached ?? 0,
      atRisk: r0?.at_risk ?? 0,
    },
    offenders: {
      teamsByBacklogGrowth: teamBacklog.map((r) => ({
        team: r.team,
        backlogStart: r.backlog_start,
        backlogEnd: r.backlog_end,
        growth: r.growth,
        inflow: r.inflow,
        outflow: r.outflow,
      })),
      teamsBySlowestPickup: teamHandovers.map((r) => ({
        team: r.team,
        received: r.received,
        pickedUp: r.picked_up,
        businessP50Seconds: r.business_p50_seconds,
        businessP90Seconds: r.business_p90_seconds,
        pendingAtEnd: r.pending_at_end,
      })),
      customersByBreaches: customers.map((r) => ({
        customer: r.customer,
        breaches: r.breaches,
        resolved: r.resolved,
        resolvedBreached: r.resolved_breached,
        openBreachedNow: r.open_breached_now,
      })),
      oldestPendingHandovers: pending.map((r) => ({
        tenant: r.tenant,
        ticketId: r.ticket_id,
        customer: r.customer,
        priority: r.priority,
        fromTeam: r.from_team,
        fromRegion: r.from_region,
        toTeam: r.to_team,
        toRegion: r.to_region,
        handedOverAt: isoFromClickHouse(r.handed_over_at),
        ageSeconds: r.age_seconds,
      })),
      oldestTickets: oldest.map((r) => ({
        tenant: r.tenant,
        ticketId: r.ticket_id,
        customer: r.customer,
        team: r.team,
        priority: r.priority,
        createdAt: isoFromClickHouse(r.created),
        ageSeconds: r.age_seconds,
      })),
    },
  };
  return { review, sources };
}
