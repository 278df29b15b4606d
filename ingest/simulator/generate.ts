import { DateTime } from 'luxon';
import {
  addBusinessMs,
  type BusinessCalendar,
  defaultCalendarLookup,
  nextWorkingStart,
} from '../../core/calendar.js';
import type {
  CanonicalEvent,
  FieldJobEvent,
  Priority,
  RosterEvent,
  TicketEvent,
  Tier,
} from '../../core/events/index.js';
import { eventId } from '../../core/events/index.js';
import { mixSeed, seededRandom } from '../../core/random.js';
import {
  arrivalWeight,
  categories,
  categoryWeights,
  channels,
  channelWeights,
  customerWeights,
  escalationChance,
  FIELD_SOURCE,
  fieldShare,
  followsTheSun,
  HR_SOURCE,
  priorities,
  priorityWeights,
  queueHours,
  type ScenarioName,
  type SimRegion,
  scenarioRegion,
  simCustomers,
  simRegions,
  teamOf,
  tiers,
  WFM_SOURCE,
  weeklyArrivalWeight,
  workHours,
} from './model.js';

// The simulator's pure half: (options, time range) -> canonical events. No clock, no I/O.
//
// Every entity is a function of its own key: a ticket of (seed, region, creation hour, index), a
// contractor of (seed, region, week), a shift of (agent, local date). Generating an hour again, in
// another process or another day, gives the same events with the same ids, so a restarted
// simulation only re-sends what the sinks already hold. Scenario effects are functions of time
// relative to the `anchor`, never of simulated state, for the same reason.

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** Standing staff joined long before any simulated history. */
const ROSTER_EPOCH = Date.UTC(2020, 0, 6);

export interface GeneratorOptions {
  seed: number;
  tenant: string;
  scenario?: ScenarioName;
  /** The end of the scenario's story (ms): effects build up over the 7 days before it and stay after. */
  anchor: number;
  /** Multiplies ticket arrivals (tests use a fraction; 1 = the demo's volume). */
  ticketScale?: number;
  /** Multiplies the people per team. */
  staffScale?: number;
}

type Body<E, K extends PropertyKey> = E extends unknown ? Omit<E, K> : never;
type TicketBody = Body<
  TicketEvent,
  keyof TicketEvent &
    ('eventId' | 'schemaVersion' | 'source' | 'tenant' | 'ticketId' | 'occurredAt' | 'receivedAt')
>;
type JobBody = Body<
  FieldJobEvent,
  'eventId' | 'schemaVersion' | 'source' | 'tenant' | 'jobId' | 'occurredAt' | 'receivedAt'
>;
type AgentBody = Body<
  RosterEvent,
  'eventId' | 'schemaVersion' | 'source' | 'tenant' | 'agentId' | 'occurredAt' | 'receivedAt'
>;

type Rnd = () => number;

function weighted<T>(rnd: Rnd, items: readonly T[], weights: readonly number[]): T {
  let r = rnd() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

const between = (rnd: Rnd, lo: number, hi: number) => lo + rnd() * (hi - lo);
/** Whole minutes, so timestamps read naturally. */
const minutes = (rnd: Rnd, lo: number, hi: number) => Math.round(between(rnd, lo, hi)) * MINUTE;

/** Log-normal multiplier with median 1 from a quantile (logistic approximation of the normal). */
function logNormal(u: number, sigma: number): number {
  const q = Math.min(0.98, Math.max(0.02, u));
  return Math.exp(sigma * 0.5513 * Math.log(q / (1 - q)));
}

const iso = (ms: number) => new Date(ms).toISOString();

// ---- scenario curves ----------------------------------------------------------------------------

interface Curves {
  /** Ticket arrival multiplier of a region at a time. */
  arrivals(region: string, at: number): number;
  /** How much longer work takes because the team is stretched (1 = normal). */
  stretch(region: string, at: number): number;
  /** Is the scenario acting at this time (in the week before the anchor and after it)? */
  active(at: number): boolean;
}

function curves(opts: GeneratorOptions): Curves {
  const scenario = opts.scenario ?? 'none';
  const start = opts.anchor - 7 * DAY;
  // The surge builds over two days, then holds: the last week's arrivals are ~40 % above the
  // week before, while the joiners add ~5 % headcount.
  const ramp = (at: number) => Math.min(1, Math.max(0, (at - start) / (2 * DAY)));
  const hit = (region: string) => scenario === 'apac-backlog' && region === scenarioRegion[scenario];
  const arrivals = (region: string, at: number) => (hit(region) ? 1 + 0.45 * ramp(at) : 1);
  return {
    arrivals,
    // More work per person: hands-on time stretches with arrivals per head (queues faster).
    stretch: (region, at) => (hit(region) ? arrivals(region, at) / (1 + 0.05 * ramp(at)) : 1),
    active: (at) => scenario !== 'none' && at >= start,
  };
}

// ---- staff ----------------------------------------------------------------------------------------

export interface SimAgent {
  agentId: string;
  region: string;
  team: string;
  tier: Tier;
  city: number;
  fte: number;
  joinedAt: number;
  leftAt: number | null;
}

const roleOf: Record<Tier, string> = { L1: 'service desk analyst', L2: 'support engineer', L3: 'specialist' };

function staffCount(opts: GeneratorOptions, n: number): number {
  return Math.max(1, Math.round(n * (opts.staffScale ?? 1)));
}

function agentIdOf(region: SimRegion, tier: Tier, city: number, index: number): string {
  return `${teamOf(region.name, tier)}-${region.cities[city]!.code}-${String(index + 1).padStart(2, '0')}`;
}

/** Standing staff: joined at the roster epoch, never leave; every seventh person is half-time. */
export function standingStaff(opts: GeneratorOptions): SimAgent[] {
  const out: SimAgent[] = [];
  for (const region of simRegions) {
    for (const tier of tiers) {
      for (const city of [0, 1]) {
        const n = staffCount(opts, region.staff[tier][city]!);
        for (let i = 0; i < n; i++) {
          out.push({
            agentId: agentIdOf(region, tier, city, i),
            region: region.name,
            team: teamOf(region.name, tier),
            tier,
            city,
            fte: i % 7 === 6 ? 0.5 : 1,
            joinedAt: ROSTER_EPOCH,
            leftAt: null,
          });
        }
      }
    }
  }
  return out;
}

/** A region's contractor of an (epoch) week, if any: L1, joins that week, stays three to eight weeks. */
function contractor(opts: GeneratorOptions, regionIndex: number, week: number): SimAgent | null {
  const rnd = seededRandom(mixSeed(opts.seed, 0xc0, regionIndex, week));
  if (rnd() >= 0.35) return null;
  const region = simRegions[regionIndex]!;
  const city = rnd() < 0.5 ? 0 : 1;
  const joinedAt = week * WEEK + Math.floor(rnd() * 7 * 24) * HOUR;
  return {
    agentId: `${teamOf(region.name, 'L1')}-${region.cities[city]!.code}-c${week}`,
    region: region.name,
    team: teamOf(region.name, 'L1'),
    tier: 'L1',
    city,
    fte: 1,
    joinedAt,
    leftAt: joinedAt + Math.floor(between(rnd, 21, 56)) * DAY,
  };
}

/** `apac-backlog`: permanent joiners (~5 % of the region's FTE) spread over the last week. */
function scenarioJoiners(opts: GeneratorOptions): SimAgent[] {
  if (opts.scenario !== 'apac-backlog') return [];
  const regionName = scenarioRegion['apac-backlog'];
  const region = simRegions.find((r) => r.name === regionName)!;
  const fte = standingStaff(opts)
    .filter((a) => a.region === regionName)
    .reduce((s, a) => s + a.fte, 0);
  const k = Math.max(1, Math.round(0.05 * fte));
  return Array.from({ length: k }, (_, i) => ({
    agentId: `${teamOf(region.name, 'L1')}-${region.cities[i % 2]!.code}-n${i + 1}`,
    region: region.name,
    team: teamOf(region.name, 'L1'),
    tier: 'L1' as Tier,
    city: i % 2,
    fte: 1,
    joinedAt: Math.floor((opts.anchor - 7 * DAY + ((i + 0.5) / k) * 7 * DAY) / HOUR) * HOUR,
    leftAt: null,
  }));
}

/** Contractors and joiners whose membership touches [from, to). */
function movingStaff(opts: GeneratorOptions, from: number, to: number): SimAgent[] {
  const out: SimAgent[] = [];
  for (let w = Math.floor(from / WEEK) - 9; w <= Math.floor(to / WEEK); w++) {
    simRegions.forEach((_, i) => {
      const c = contractor(opts, i, w);
      if (c && c.joinedAt < to && (c.leftAt === null || c.leftAt > from)) out.push(c);
    });
  }
  for (const j of scenarioJoiners(opts)) if (j.joinedAt < to) out.push(j);
  return out;
}

function agentEvents(opts: GeneratorOptions, a: SimAgent): RosterEvent[] {
  const ev = (at: number, change: string, body: AgentBody): RosterEvent => ({
    eventId: eventId(HR_SOURCE, 'agent', a.agentId, change),
    schemaVersion: 1,
    source: HR_SOURCE,
    tenant: opts.tenant,
    agentId: a.agentId,
    occurredAt: iso(at),
    receivedAt: iso(at),
    ...body,
  });
  const out = [
    ev(a.joinedAt, 'joined', {
      type: 'roster.member_joined',
      team: a.team,
      region: a.region,
      role: roleOf[a.tier],
      tier: a.tier,
      fte: a.fte,
    }),
  ];
  if (a.leftAt !== null) out.push(ev(a.leftAt, 'left', { type: 'roster.member_left' }));
  return out;
}

/** Shifts starting in the hour at `hourStart`: 08:00 local on weekdays, 9 h (half-timers 4 h). */
function shiftsStarting(
  opts: GeneratorOptions,
  staff: readonly SimAgent[],
  hourStart: number,
): RosterEvent[] {
  const out: RosterEvent[] = [];
  for (const region of simRegions) {
    region.cities.forEach((city, ci) => {
      const local = DateTime.fromMillis(hourStart, { zone: city.zone });
      if (local.hour !== 8 || local.minute !== 0 || local.weekday > 5) return;
      const date = local.toISODate()!;
      for (const a of staff) {
        if (a.region !== region.name || a.city !== ci) continue;
        if (a.joinedAt > hourStart || (a.leftAt !== null && a.leftAt <= hourStart)) continue;
        out.push({
          eventId: eventId(WFM_SOURCE, 'agent', a.agentId, `shift-${date}`),
          schemaVersion: 1,
          source: WFM_SOURCE,
          tenant: opts.tenant,
          agentId: a.agentId,
          occurredAt: iso(hourStart),
          receivedAt: iso(hourStart),
          type: 'roster.shift',
          region: a.region,
          team: a.team,
          start: iso(hourStart),
          end: iso(hourStart + (a.fte < 1 ? 4 : 9) * HOUR),
        });
      }
    });
  }
  return out;
}

// ---- tickets and field jobs ------------------------------------------------------------------------

function regionCalendar(region: string): BusinessCalendar {
  return defaultCalendarLookup.forRegion(region)!;
}

/** End of the working day under way at `ms` (the demo calendars work 08:00-18:00 local). */
function endOfWorkingDay(cal: BusinessCalendar, ms: number): number {
  const zone = cal.kind === '24x7' ? 'UTC' : cal.zone;
  return DateTime.fromMillis(ms, { zone }).set({ hour: 18, minute: 0, second: 0, millisecond: 0 }).toMillis();
}

const regionByName = new Map(simRegions.map((r) => [r.name, r]));

function pickAgent(opts: GeneratorOptions, rnd: Rnd, region: SimRegion, tier: Tier): string {
  const [a, b] = region.staff[tier];
  const city = rnd() * (a + b) < a ? 0 : 1;
  const n = staffCount(opts, region.staff[tier][city]!);
  return agentIdOf(region, tier, city, Math.floor(rnd() * n));
}

interface TicketContext {
  opts: GeneratorOptions;
  curves: Curves;
}

/** Every event of one ticket (and of its field job), created in the hour at `hourStart`. */
function ticketLife(
  ctx: TicketContext,
  regionIndex: number,
  hourIndex: number,
  n: number,
  quantile: number,
): CanonicalEvent[] {
  const { opts, curves: cv } = ctx;
  const region = simRegions[regionIndex]!;
  const rnd = seededRandom(mixSeed(opts.seed, hourIndex, regionIndex, n));
  const source = region.ticketSource;
  const ticketId = `${region.name}-${hourIndex}-${n}`;
  const out: CanonicalEvent[] = [];
  let seq = 0;
  const tk = (at: number, body: TicketBody) =>
    out.push({
      eventId: eventId(source, 'ticket', ticketId, String(seq++)),
      schemaVersion: 1,
      source,
      tenant: opts.tenant,
      ticketId,
      occurredAt: iso(at),
      receivedAt: iso(at),
      ...body,
    });

  const t0 = hourIndex * HOUR + Math.floor(rnd() * HOUR);
  const priority = weighted(rnd, priorities, priorityWeights);
  const customer = weighted(rnd, simCustomers, customerWeights);
  const category = weighted(rnd, categories, categoryWeights);
  const channel = weighted(rnd, channels, channelWeights);
  const city = region.cities[rnd() < 0.6 ? 0 : 1]!;
  const site = `${customer}-${city.code}`;
  const cal = regionCalendar(region.name);
  const s = cv.stretch(region.name, t0);
  tk(t0, { type: 'ticket.created', customer, region: region.name, priority, site, category, channel });

  // The desk assigns an analyst: at once for critical tickets, else when the desk is staffed.
  const urgent = priority === 'critical';
  const assignAt = (urgent ? t0 : nextWorkingStart(cal, t0)) + minutes(rnd, 2, 20);
  let team = teamOf(region.name, 'L1');
  let agent = pickAgent(opts, rnd, region, 'L1');
  tk(assignAt, { type: 'ticket.assigned', team, region: region.name, tier: 'L1', agent });

  const responseMinutes: Record<typeof priority, [number, number]> = {
    critical: [5, 20],
    high: [10, 60],
    medium: [20, 180],
    low: [30, 300],
  };
  const [rlo, rhi] = responseMinutes[priority];
  const responseDelay = minutes(rnd, rlo, rhi) * s;
  const respondAt = urgent ? assignAt + responseDelay : addBusinessMs(cal, assignAt, responseDelay);
  tk(respondAt, { type: 'ticket.commented', visibility: 'public', team, agent });
  tk(respondAt, { type: 'ticket.status_changed', status: 'in_progress' });

  if (rnd() < 0.03) {
    tk(respondAt + minutes(rnd, 60, 480), { type: 'ticket.cancelled' });
    return out;
  }
  if (urgent && rnd() < 0.2) {
    tk(respondAt + minutes(rnd, 30, 120), { type: 'ticket.escalated', kind: 'management' });
  }

  let cur = respondAt;
  if (rnd() < 0.22) {
    const holdAt = cur + minutes(rnd, 10, 60);
    const reason = rnd() < 0.65 ? 'customer' : 'vendor';
    const resumeAt =
      holdAt + Math.round(reason === 'customer' ? between(rnd, 4, 60) : between(rnd, 8, 96)) * HOUR;
    tk(holdAt, { type: 'ticket.status_changed', status: 'on_hold', holdReason: reason });
    tk(resumeAt, { type: 'ticket.status_changed', status: 'in_progress' });
    cur = resumeAt;
  }
  // Waiting in the queue grows faster than the arrivals per head (a queue near capacity).
  const queueMs = queueHours[priority] * s * s * logNormal(rnd(), 0.8) * HOUR;
  if (queueMs > 0) cur = addBusinessMs(cal, cur, Math.round(queueMs));

  // The job's events follow the ticket's in the output (each keeps its own sequence).
  const jobEvents: CanonicalEvent[] = [];
  let jobDone: number | null = null;
  if (rnd() < fieldShare[category]) {
    jobDone = fieldJob(
      ctx,
      region,
      ticketId,
      {
        createdAt: respondAt + minutes(rnd, 30, 120),
        customer,
        site,
        priority,
        seed: mixSeed(opts.seed, hourIndex, regionIndex, n, 0xf1e1d),
        onScopeChange: (at) =>
          tk(at, { type: 'ticket.scope_changed', description: 'more devices affected on site' }),
      },
      jobEvents,
    );
  }

  const totalMs = workHours[priority] * s * logNormal(quantile, 0.7) * HOUR;
  const toL2 = rnd() < escalationChance[priority];
  const toL3 = toL2 && rnd() < 0.25;
  const shares = toL3 ? [0.25, 0.35, 0.4] : toL2 ? [0.3, 0.7] : [1];
  let owner = region;
  let hops = 0;
  for (let phase = 0; phase < shares.length; phase++) {
    if (phase > 0) {
      const tier = tiers[phase]!;
      tk(cur, { type: 'ticket.escalated', kind: 'tier', toTier: tier });
      team = teamOf(owner.name, tier);
      tk(cur, { type: 'ticket.assigned', team, region: owner.name, tier });
      const pickup = addBusinessMs(regionCalendar(owner.name), cur, minutes(rnd, 15, 120) * s);
      agent = pickAgent(opts, rnd, owner, tier);
      tk(pickup, { type: 'ticket.assigned', team, region: owner.name, tier, agent });
      cur = pickup;
    }
    let remaining = Math.round(totalMs * shares[phase]!);
    for (;;) {
      const ownCal = regionCalendar(owner.name);
      cur = nextWorkingStart(ownCal, cur);
      const done = addBusinessMs(ownCal, cur, remaining);
      const dayEnd = endOfWorkingDay(ownCal, cur);
      if (done <= dayEnd || !followsTheSun.has(priority) || hops >= 2) {
        cur = done;
        break;
      }
      // Follow the sun: what is left goes to the same tier of the next region at the day's end.
      remaining -= dayEnd - cur;
      const handAt = Math.max(cur, dayEnd - minutes(rnd, 0, 15));
      const next = regionByName.get(owner.next)!;
      const tier = tiers[phase]!;
      team = teamOf(next.name, tier);
      tk(handAt, { type: 'ticket.commented', visibility: 'internal', team: teamOf(owner.name, tier), agent });
      tk(handAt, { type: 'ticket.assigned', team, region: next.name, tier });
      const stalled =
        opts.scenario === 'seam-stall' && owner.name === 'EMEA' && next.name === 'AMER' && cv.active(handAt);
      const wait = stalled ? minutes(rnd, 240, 840) : minutes(rnd, 5, 45);
      const pickup = nextWorkingStart(regionCalendar(next.name), handAt) + wait;
      agent = pickAgent(opts, rnd, next, tier);
      tk(pickup, { type: 'ticket.assigned', team, region: next.name, tier, agent });
      owner = next;
      cur = pickup;
      hops++;
    }
  }

  let resolvedAt = cur;
  if (jobDone !== null) resolvedAt = Math.max(resolvedAt, jobDone + minutes(rnd, 20, 90));
  tk(resolvedAt, { type: 'ticket.commented', visibility: 'public', team, agent });
  tk(resolvedAt, { type: 'ticket.resolved' });
  if (rnd() < 0.06) {
    const reopenAt = resolvedAt + minutes(rnd, 120, 48 * 60);
    tk(reopenAt, { type: 'ticket.reopened' });
    resolvedAt = addBusinessMs(regionCalendar(owner.name), reopenAt, minutes(rnd, 60, 720));
    tk(resolvedAt, { type: 'ticket.resolved' });
  }
  tk(resolvedAt + 72 * HOUR, { type: 'ticket.closed' });
  return [...out, ...jobEvents];
}

interface JobPlan {
  createdAt: number;
  customer: string;
  site: string;
  priority: Priority;
  seed: number;
  onScopeChange(at: number): void;
}

const accessReasons = [
  'badge not ready at reception',
  'site contact unavailable',
  'change window not approved',
];

/** A field job for a ticket; returns when it was completed for good. */
function fieldJob(
  ctx: TicketContext,
  region: SimRegion,
  ticketId: string,
  plan: JobPlan,
  out: CanonicalEvent[],
): number {
  const { opts, curves: cv } = ctx;
  const rnd = seededRandom(plan.seed);
  const jobId = `JOB-${ticketId}`;
  const cal = regionCalendar(region.name);
  let seq = 0;
  const jb = (at: number, body: JobBody) =>
    out.push({
      eventId: eventId(FIELD_SOURCE, 'job', jobId, String(seq++)),
      schemaVersion: 1,
      source: FIELD_SOURCE,
      tenant: opts.tenant,
      jobId,
      occurredAt: iso(at),
      receivedAt: iso(at),
      ...body,
    });
  const engineer = () =>
    `fe-${region.name.toLowerCase()}-${String(1 + Math.floor(rnd() * 12)).padStart(2, '0')}`;
  const fieldTeam = `${region.name.toLowerCase()}-field`;
  const travel = () => minutes(rnd, region.travelMinutes[0], region.travelMinutes[1]);

  const created = plan.createdAt;
  const plannedStart = nextWorkingStart(cal, created + Math.round(between(rnd, 2, 30)) * HOUR);
  const plannedEnd = plannedStart + minutes(rnd, 120, 240);
  jb(created, {
    type: 'job.created',
    ticketId,
    customer: plan.customer,
    site: plan.site,
    region: region.name,
    priority: plan.priority,
    plannedStart: iso(plannedStart),
    plannedEnd: iso(plannedEnd),
  });
  let dispatchAt = Math.max(created + 10 * MINUTE, plannedStart - minutes(rnd, 30, 90));
  const parts = rnd() < 0.35;
  const part = parts ? ['PSU', 'switch module', 'disk', 'fan tray', 'line card'][Math.floor(rnd() * 5)]! : '';
  if (parts) {
    jb(created + 5 * MINUTE, { type: 'job.parts_requested', part });
    const late = rnd() < 0.18;
    const arrival = late
      ? plannedStart + Math.round(between(rnd, 4, 30)) * HOUR
      : Math.max(created + 30 * MINUTE, plannedStart - Math.round(between(rnd, 1, 12)) * HOUR);
    jb(arrival, { type: 'job.parts_arrived', part, late });
    if (late) dispatchAt = nextWorkingStart(cal, arrival + 30 * MINUTE);
  }
  const visit = (at: number) => {
    jb(at, { type: 'job.dispatched', engineer: engineer(), team: fieldTeam });
    const arrive = at + minutes(rnd, 5, 20) + travel();
    jb(at + 5 * MINUTE, { type: 'job.en_route' });
    let onSite = arrive;
    if (rnd() < 0.12) {
      jb(arrive, {
        type: 'job.access_delayed',
        reason: accessReasons[Math.floor(rnd() * accessReasons.length)]!,
      });
      onSite = arrive + minutes(rnd, 15, 150);
      jb(onSite, { type: 'job.access_granted' });
    }
    jb(onSite, { type: 'job.on_site' });
    return onSite;
  };

  const onSite = visit(dispatchAt);
  if (rnd() < 0.07) {
    jb(onSite + 30 * MINUTE, { type: 'job.scope_changed', description: 'more devices affected' });
    plan.onScopeChange(onSite + 30 * MINUTE);
  }
  const faultyChance =
    opts.scenario === 'faulty-parts' && region.name === scenarioRegion['faulty-parts'] && cv.active(created)
      ? 0.6
      : 0.06;
  let doneAt: number;
  const revisit = (failedAt: number, readyAt: number, reason: string) => {
    jb(failedAt, { type: 'job.completed', fixed: false });
    jb(failedAt + MINUTE, { type: 'job.revisit_required', reason });
    const second = visit(nextWorkingStart(cal, readyAt));
    return second + minutes(rnd, 60, 180);
  };
  if (parts && rnd() < faultyChance) {
    jb(onSite + 20 * MINUTE, { type: 'job.parts_faulty', part });
    const replacement = onSite + Math.round(between(rnd, 24, 72)) * HOUR;
    jb(replacement, { type: 'job.parts_arrived', part, late: false });
    doneAt = revisit(onSite + 45 * MINUTE, replacement + 30 * MINUTE, 'part faulty on arrival');
  } else if (rnd() < 0.08) {
    const failed = onSite + minutes(rnd, 60, 180);
    doneAt = revisit(failed, failed + Math.round(between(rnd, 16, 48)) * HOUR, 'fault persists');
  } else {
    doneAt = onSite + minutes(rnd, 60, 240);
  }
  jb(doneAt, { type: 'job.completed', fixed: true });
  return doneAt;
}

/** Tickets per hour for a region: the hour-of-week profile in the region's primary city. */
function meanArrivals(opts: GeneratorOptions, cv: Curves, region: SimRegion, hourStart: number): number {
  const local = DateTime.fromMillis(hourStart, { zone: region.cities[0].zone });
  const weight = arrivalWeight(local.hour, local.weekday > 5);
  const perWeek = region.ticketsPerDay * 7 * (opts.ticketScale ?? 1);
  return (perWeek * weight * cv.arrivals(region.name, hourStart)) / weeklyArrivalWeight;
}

/** Golden-ratio sequence: handling-time quantiles spread evenly over any run of tickets. */
function quasiQuantile(seed: number, regionIndex: number, hourIndex: number, n: number): number {
  const phase = seededRandom(mixSeed(seed, 0x9e37, regionIndex))();
  const k = hourIndex * 64 + n;
  const x = phase + k * 0.6180339887498949;
  return x - Math.floor(x);
}

/** Tickets created in the hour at `hourStart`, each with every event of its life (and field job). */
function ticketsOfHour(opts: GeneratorOptions, cv: Curves, hourStart: number): CanonicalEvent[][] {
  const hourIndex = Math.floor(hourStart / HOUR);
  const out: CanonicalEvent[][] = [];
  simRegions.forEach((region, regionIndex) => {
    const rnd = seededRandom(mixSeed(opts.seed, hourIndex, regionIndex, 0xa771));
    const mean = meanArrivals(opts, cv, region, hourStart);
    // Rounded rather than Poisson: the hour-of-week profile already varies the load, and a
    // steady operation should not show backlog swings that are only sampling noise.
    const count = Math.floor(mean) + (rnd() < mean - Math.floor(mean) ? 1 : 0);
    for (let n = 0; n < count; n++) {
      const q = quasiQuantile(opts.seed, regionIndex, hourIndex, n);
      out.push(ticketLife({ opts, curves: cv }, regionIndex, hourIndex, n, q));
    }
  });
  return out;
}

// ---- the generator ---------------------------------------------------------------------------------

export interface OriginatingOptions {
  /**
   * Also what is already there at `from`: the people on the roster and the tickets created up to
   * three weeks earlier that still have something happening at or after `from` (whole histories),
   * so a simulation starts from a steady operation rather than an empty desk.
   */
  standing: boolean;
}

const STANDING_TICKET_DAYS = 21;

/**
 * Every event of the entities that begin in [from, to) (hour-aligned): tickets created, shifts
 * starting, people joining; with `standing`, the people already there at `from` too. Events can
 * lie after `to` (a ticket created now is resolved later): the runner holds them until due.
 */
export function eventsOriginating(
  opts: GeneratorOptions,
  from: number,
  to: number,
  { standing }: OriginatingOptions,
): CanonicalEvent[] {
  const cv = curves(opts);
  const start = Math.floor(from / HOUR) * HOUR;
  const end = Math.ceil(to / HOUR) * HOUR;
  const standingStaffList = standingStaff(opts);
  const moving = movingStaff(opts, start, end);
  const out: CanonicalEvent[] = [];
  if (standing) {
    for (const a of standingStaffList) out.push(...agentEvents(opts, a));
    for (const a of moving) if (a.joinedAt < start) out.push(...agentEvents(opts, a));
    for (let h = start - STANDING_TICKET_DAYS * DAY; h < start; h += HOUR) {
      for (const life of ticketsOfHour(opts, cv, h)) {
        if (life.some((e) => Date.parse(e.occurredAt) >= start)) out.push(...life);
      }
    }
  }
  const everyone = [...standingStaffList, ...moving];
  for (let h = start; h < end; h += HOUR) {
    for (const a of moving) if (a.joinedAt >= h && a.joinedAt < h + HOUR) out.push(...agentEvents(opts, a));
    out.push(...shiftsStarting(opts, everyone, h));
    for (const life of ticketsOfHour(opts, cv, h)) out.push(...life);
  }
  return silence(opts, out);
}

/** `silent-source`: AMER's service desk stops sending two days before the anchor. */
function silence(opts: GeneratorOptions, events: CanonicalEvent[]): CanonicalEvent[] {
  if (opts.scenario !== 'silent-source') return events;
  const region = simRegions.find((r) => r.name === scenarioRegion['silent-source'])!;
  const from = opts.anchor - 2 * DAY;
  return events.filter((e) => e.source !== region.ticketSource || Date.parse(e.occurredAt) < from);
}

/** Time order; events at the same instant keep the order in which their entity produced them. */
export function byTime(events: readonly CanonicalEvent[]): CanonicalEvent[] {
  return events
    .map((e, i) => ({ e, i, at: Date.parse(e.occurredAt) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.e);
}

/**
 * The operation as it would have been observed at `to`: the roster, then everything that
 * happened in [from, to) to the entities that began in it, in time order. Deterministic: the same
 * options and range give the same events, byte for byte.
 */
export function generateOperation(opts: GeneratorOptions, from: number, to: number): CanonicalEvent[] {
  const all = eventsOriginating(opts, from, to, { standing: true });
  return byTime(all.filter((e) => Date.parse(e.occurredAt) < to));
}
