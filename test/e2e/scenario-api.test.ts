import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, buildApi } from '../../api/app.js';
import { defaultAlertRules } from '../../core/alert-rules.js';
import { defaultCalendars } from '../../core/calendar.js';
import type { CanonicalEvent, FieldJobEvent, RosterEvent, TicketEvent } from '../../core/events/index.js';
import { DAY, generateOperation, HOUR, MINUTE } from '../../ingest/simulator/generate.js';
import { readKey } from '../helpers/api-keys.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// Every metric route against the simulator's story, end to end: a seeded `apac-backlog` operation
// (nine days; about 850 tickets counting those already open when it starts; three regions'
// rosters, shifts and field jobs) -> Kafka -> transforms (clock fixed at NOW) -> ClickHouse -> the
// API over HTTP with a read key. Each expected figure is computed below from the generated event
// list by a plain fold written for this test from DESIGN.md and docs/metrics.md — never by
// Baton's transforms or queries.
//
// Business time. The SLA clocks (outside `24x7`) and handover pickups are measured in business
// calendars; the test computes them itself with luxon from the calendars restated below (weekdays
// 08:00-18:00 local in Singapore, London and New York, with the public holidays of the story's
// span; the first test checks the restatement against the configured calendars, not the
// arithmetic). Coverage is read in UTC, so its hours of week need no zone. Tier escalations by
// kind and the field rates that count events rather than jobs are not checked.

const ANCHOR = Date.parse('2026-03-30T00:00:00Z'); // a Monday: the end of the story
const NOW = ANCHOR; // the transforms' clock
const FROM = ANCHOR - 9 * DAY;
const WEEK_START = ANCHOR - 7 * DAY;
const TENANT = 'story';
const REGIONS = ['AMER', 'APAC', 'EMEA'] as const;
const PAUSING = new Set(['customer', 'vendor']); // the demo policies' pauseOnHoldReasons

/** The demo calendars of the simulator's regions: weekdays 08:00-18:00 local. */
const ZONES: Record<string, string> = {
  APAC: 'Asia/Singapore',
  EMEA: 'Europe/London',
  AMER: 'America/New_York',
};
const CALENDAR_IDS: Record<string, string> = { APAC: 'apac-sgp', EMEA: 'emea-lon', AMER: 'amer-nyc' };
/**
 * The calendars' public holidays from the oldest ticket of the story to a month after its end
 * (projected due times run into April): Good Friday, and Easter Monday in London.
 */
const CALENDAR_SPAN = ['2026-02-28', '2026-04-30'] as const;
const HOLIDAYS: Record<string, readonly string[]> = {
  APAC: ['2026-04-03'],
  EMEA: ['2026-04-03', '2026-04-06'],
  AMER: [],
};

interface Policy {
  responseMs: number;
  resolutionMs: number;
  /** 24x7: business time is wall time; otherwise the owning region's calendar. */
  wall: boolean;
}
const BUSINESS_DAY = 10 * HOUR;
/** The demo SLA policies (docs/metrics.md): the most specific match wins. */
function policyOf(t: { priority: string; customer: string }): Policy {
  if (t.priority === 'critical') return { responseMs: 15 * MINUTE, resolutionMs: 4 * HOUR, wall: true };
  if (t.priority === 'high' && t.customer === 'globex')
    return { responseMs: 30 * MINUTE, resolutionMs: 4 * HOUR, wall: false };
  if (t.priority === 'high') return { responseMs: HOUR, resolutionMs: 8 * HOUR, wall: false };
  if (t.priority === 'low') return { responseMs: 8 * HOUR, resolutionMs: 5 * BUSINESS_DAY, wall: false };
  return { responseMs: 4 * HOUR, resolutionMs: 3 * BUSINESS_DAY, wall: false };
}

/** A region's working windows [08:00, 18:00) local, from the day holding `from` on, in order. */
function* workingWindows(region: string, from: number): Generator<[number, number]> {
  let day = DateTime.fromMillis(from, { zone: ZONES[region]! }).startOf('day');
  for (;;) {
    if (day.weekday <= 5 && !HOLIDAYS[region]!.includes(day.toISODate() ?? ''))
      yield [day.set({ hour: 8 }).toMillis(), day.set({ hour: 18 }).toMillis()];
    day = day.plus({ days: 1 });
  }
}

/** Business milliseconds in [a, b) in a region's calendar; `null` is 24x7 (wall time). */
function businessMs(region: string | null, a: number, b: number): number {
  if (b <= a) return 0;
  if (region === null) return b - a;
  let total = 0;
  for (const [s, e] of workingWindows(region, a)) {
    if (s >= b) break;
    total += Math.max(0, Math.min(b, e) - Math.max(a, s));
  }
  return total;
}

/** The instant at which `ms` (> 0) business milliseconds have passed since `from`. */
function addBusinessMs(region: string | null, from: number, ms: number): number {
  if (region === null) return from + ms;
  let left = ms;
  for (const [s, e] of workingWindows(region, from)) {
    const start = Math.max(s, from);
    if (e <= start) continue;
    if (left <= e - start) return start + left;
    left -= e - start;
  }
  throw new Error('unreachable');
}

const events = generateOperation(
  { seed: 1, tenant: TENANT, scenario: 'apac-backlog', anchor: ANCHOR, ticketScale: 0.3 },
  FROM,
  ANCHOR,
);

const at = (e: CanonicalEvent) => Date.parse(e.occurredAt);
const iso = (ms: number) => new Date(ms).toISOString();
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Excel's PERCENTILE.INC: of n sorted values, p sits at rank (n − 1)·p, interpolated. */
function percentileInc(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = (s.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (rank - lo) * (s[hi]! - s[lo]!);
}

// ---- the reference: one fold per ticket, job and agent ------------------------------------------

function groupBy<E extends CanonicalEvent>(list: readonly E[], key: (e: E) => string): Map<string, E[]> {
  const m = new Map<string, E[]>();
  for (const e of list) {
    const k = key(e);
    const h = m.get(k);
    if (h) h.push(e);
    else m.set(k, [e]);
  }
  return m; // the generated list is in time order, so each history is too
}

const ticketEvents = events.filter((e): e is TicketEvent => e.type.startsWith('ticket.'));
const jobEvents = events.filter((e): e is FieldJobEvent => e.type.startsWith('job.'));
const rosterEvents = events.filter((e): e is RosterEvent => e.type.startsWith('roster.'));

interface Period {
  region: string;
  openedAt: number;
  openKind: 'created' | 'reopened' | 'moved';
  closedAt: number | null;
  closeKind: 'terminal' | 'moved' | null;
}

interface Handover {
  at: number;
  fromTeam: string;
  fromRegion: string;
  toTeam: string;
  toRegion: string;
  pingPong: boolean;
  outcome: 'picked_up' | 'handed_on' | 'ended' | 'pending';
  endedAt: number | null;
}

interface Clock {
  targetMs: number;
  consumedMs: number;
  stoppedAt: number | null;
  stopKind: 'resolved' | 'cancelled' | null;
  /** The instant the consumed time reached the target, if it did. */
  dueAt: number | null;
  breached: boolean;
  /** The owner's region when the clock stopped, or now. */
  region: string;
}
interface RefTicket {
  id: string;
  events: TicketEvent[];
  createdAt: number;
  customer: string;
  priority: string;
  category: string;
  createdRegion: string;
  team: string;
  region: string;
  open: boolean;
  periods: Period[];
  /** Open periods per owner (region and team): the timeline's segments. */
  segments: { from: number; to: number | null; region: string; team: string }[];
  handovers: Handover[];
  reopens: number;
  /** First resolution, or the closure of an open ticket with no resolution before it. */
  firstResolution: { at: number; region: string; agent: string; handoversBefore: number } | null;
  reopenedAfterResolution: boolean;
  escalated: boolean;
  functional: number;
  management: number;
  policy: Policy;
  resolution: Clock;
  response: Clock;
}

/** Dispatches of the jobs linked to each ticket: at, team. */
const dispatchesByTicket = (() => {
  const jobTicket = new Map<string, string>();
  for (const e of jobEvents) if (e.type === 'job.created' && e.ticketId) jobTicket.set(e.jobId, e.ticketId);
  const out = new Map<string, { at: number; team: string | undefined }[]>();
  for (const e of jobEvents) {
    if (e.type !== 'job.dispatched') continue;
    const ticket = jobTicket.get(e.jobId);
    if (ticket === undefined) continue;
    out.set(ticket, [...(out.get(ticket) ?? []), { at: at(e), team: e.team }]);
  }
  return out;
})();

const tierRank = (t: string | undefined) => (t === undefined ? -1 : ['L1', 'L2', 'L3'].indexOf(t));

/**
 * An SLA clock as docs/metrics.md defines it: from creation, in business time of the policy's
 * calendar (the owning region's, segment by segment, unless 24x7); paused while on hold for a
 * pausing reason; stopped by `stops`; resumed by a reopen when `resumes`. Breached when it stopped
 * (or is still running at `asOf`) after the instant its consumed time reached the target.
 */
function slaClock(
  h: readonly TicketEvent[],
  policy: Policy,
  targetMs: number,
  stops: (e: TicketEvent) => 'resolved' | 'cancelled' | null,
  resumes: boolean,
  asOf: number,
): Clock {
  const c: Clock = {
    targetMs,
    consumedMs: 0,
    stoppedAt: null,
    stopKind: null,
    dueAt: null,
    breached: false,
    region: '',
  };
  let last = at(h[0]!);
  let paused = false;
  let region = '';
  const calendar = () => (policy.wall ? null : region);
  const advance = (to: number) => {
    if (c.stoppedAt === null && !paused && to > last) {
      const ms = businessMs(calendar(), last, to);
      if (c.dueAt === null && c.consumedMs + ms >= targetMs)
        c.dueAt = addBusinessMs(calendar(), last, targetMs - c.consumedMs);
      c.consumedMs += ms;
    }
    last = Math.max(last, to);
  };
  for (const e of h) {
    advance(at(e));
    if (e.type === 'ticket.created' || e.type === 'ticket.assigned') region = e.region;
    const stop = stops(e);
    if (c.stoppedAt === null && stop) [c.stoppedAt, c.stopKind, c.region] = [at(e), stop, region];
    else if (c.stoppedAt !== null && resumes && e.type === 'ticket.reopened')
      [c.stoppedAt, c.stopKind] = [null, null];
    if (e.type === 'ticket.status_changed')
      paused = e.status === 'on_hold' && e.holdReason !== undefined && PAUSING.has(e.holdReason);
  }
  advance(asOf);
  if (c.stoppedAt === null) c.region = region;
  c.breached = c.dueAt !== null && (c.stoppedAt ?? asOf) > c.dueAt;
  return c;
}

function foldTicket(h: TicketEvent[]): RefTicket | null {
  const created = h.find((e) => e.type === 'ticket.created');
  if (created?.type !== 'ticket.created') return null;
  const t: Omit<RefTicket, 'resolution' | 'response'> = {
    id: created.ticketId,
    events: h,
    createdAt: at(created),
    customer: created.customer,
    priority: created.priority,
    category: created.category ?? '',
    createdRegion: created.region,
    team: created.team ?? '',
    region: created.region,
    open: false,
    periods: [],
    segments: [],
    handovers: [],
    reopens: 0,
    firstResolution: null,
    reopenedAfterResolution: false,
    escalated: false,
    functional: 0,
    management: 0,
    policy: policyOf(created),
  };
  const heldBy = new Set<string>(t.team ? [t.team] : []);
  let tier = tierRank(created.tier);
  let agent = '';
  let waiting: Handover | null = null;
  const dispatches = [...(dispatchesByTicket.get(t.id) ?? [])];
  const openPeriod = (when: number, kind: Period['openKind']) =>
    t.periods.push({ region: t.region, openedAt: when, openKind: kind, closedAt: null, closeKind: null });
  const closePeriod = (when: number, kind: 'terminal' | 'moved') => {
    const p = t.periods[t.periods.length - 1]!;
    p.closedAt = when;
    p.closeKind = kind;
  };
  const openSegment = (when: number) =>
    t.segments.push({ from: when, to: null, region: t.region, team: t.team });
  const closeSegment = (when: number) => {
    t.segments[t.segments.length - 1]!.to = when;
  };
  const pickup = (when: number) => {
    if (waiting) [waiting.outcome, waiting.endedAt, waiting] = ['picked_up', when, null];
  };
  for (const e of h) {
    const when = at(e);
    // A dispatch naming the receiving team (or none) before this event picks the handover up.
    while (dispatches.length > 0 && dispatches[0]!.at < when) {
      const d = dispatches.shift()!;
      if (waiting && (d.team === undefined || d.team === waiting.toTeam)) pickup(d.at);
    }
    switch (e.type) {
      case 'ticket.created':
        t.open = true;
        openPeriod(when, 'created');
        openSegment(when);
        break;
      case 'ticket.assigned': {
        if (t.team && e.team !== t.team) {
          if (waiting) [waiting.outcome, waiting.endedAt] = ['handed_on', when];
          waiting = {
            at: when,
            fromTeam: t.team,
            fromRegion: t.region,
            toTeam: e.team,
            toRegion: e.region,
            pingPong: heldBy.has(e.team),
            outcome: 'pending',
            endedAt: null,
          };
          t.handovers.push(waiting);
        } else if (waiting && e.team === waiting.toTeam && e.agent) pickup(when);
        const moved = t.open && (e.team !== t.team || e.region !== t.region);
        if (moved) closeSegment(when);
        if (e.region !== t.region && t.open) {
          closePeriod(when, 'moved');
          t.region = e.region;
          openPeriod(when, 'moved');
        }
        t.team = e.team;
        t.region = e.region;
        if (moved) openSegment(when);
        heldBy.add(e.team);
        agent = e.agent ?? '';
        if (tier >= 0 && tierRank(e.tier) > tier) t.escalated = true;
        if (e.tier) tier = tierRank(e.tier);
        break;
      }
      case 'ticket.status_changed':
        if (['in_progress', 'on_hold', 'resolved'].includes(e.status)) pickup(when);
        break;
      case 'ticket.commented':
        if (waiting && (e.team === waiting.toTeam || (e.team === undefined && e.agent && e.agent === agent)))
          pickup(when);
        break;
      case 'ticket.escalated':
        t.escalated = true;
        if (e.kind === 'functional') t.functional++;
        if (e.kind === 'management') t.management++;
        break;
      case 'ticket.reopened':
        if (!t.open) {
          t.open = true;
          t.reopens++;
          openPeriod(when, 'reopened');
          openSegment(when);
          if (t.firstResolution) t.reopenedAfterResolution = true;
        }
        break;
      case 'ticket.resolved':
      case 'ticket.closed':
      case 'ticket.cancelled':
        if (e.type === 'ticket.resolved') pickup(when);
        else if (waiting) [waiting.outcome, waiting.endedAt, waiting] = ['ended', when, null];
        if (t.open) {
          if (!t.firstResolution && e.type !== 'ticket.cancelled')
            t.firstResolution = { at: when, region: t.region, agent, handoversBefore: t.handovers.length };
          t.open = false;
          closePeriod(when, 'terminal');
          closeSegment(when);
        }
        break;
      default:
        break;
    }
  }
  for (const d of dispatches)
    if (d.at < NOW && waiting && (d.team === undefined || d.team === waiting.toTeam)) pickup(d.at);
  const terminal = (e: TicketEvent) =>
    e.type === 'ticket.resolved' || e.type === 'ticket.closed'
      ? 'resolved'
      : e.type === 'ticket.cancelled'
        ? 'cancelled'
        : null;
  const replied = (e: TicketEvent) =>
    e.type === 'ticket.commented' &&
    e.visibility === 'public' &&
    (e.team !== undefined || e.agent !== undefined)
      ? 'resolved'
      : terminal(e);
  return {
    ...t,
    resolution: slaClock(h, t.policy, t.policy.resolutionMs, terminal, true, NOW),
    response: slaClock(h, t.policy, t.policy.responseMs, replied, false, NOW),
  };
}

const tickets = [...groupBy(ticketEvents, (e) => e.ticketId).values()]
  .map(foldTicket)
  .filter((t): t is RefTicket => t !== null);
const allPeriods = tickets.flatMap((t) => t.periods);
const allHandovers = tickets.flatMap((t) => t.handovers);

/** Open tickets per region once every event before `t` has happened. */
function refBacklog(t: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of allPeriods)
    if (p.openedAt < t && (p.closedAt === null || p.closedAt >= t)) out[p.region] = (out[p.region] ?? 0) + 1;
  return out;
}

/** Periods opened by a creation or reopen in [from, to), per region. */
function refInflow(from: number, to: number, region?: string): number {
  return allPeriods.filter(
    (p) =>
      p.openKind !== 'moved' &&
      p.openedAt >= from &&
      p.openedAt < to &&
      (region === undefined || p.region === region),
  ).length;
}
function refOutflow(from: number, to: number, region?: string): number {
  return allPeriods.filter(
    (p) =>
      p.closeKind === 'terminal' &&
      p.closedAt !== null &&
      p.closedAt >= from &&
      p.closedAt < to &&
      (region === undefined || p.region === region),
  ).length;
}

/** FTE per region of the people whose latest join or leave before `t` was a join. */
function refHeadcount(t: number): Record<string, number> {
  const members = new Map<string, { region: string; fte: number } | null>();
  for (const e of rosterEvents) {
    if (at(e) >= t) continue;
    if (e.type === 'roster.member_joined') members.set(e.agentId, { region: e.region, fte: e.fte });
    if (e.type === 'roster.member_left') members.set(e.agentId, null);
  }
  const out: Record<string, number> = {};
  for (const m of members.values()) if (m) out[m.region] = (out[m.region] ?? 0) + m.fte;
  return out;
}

interface RefJob {
  region: string;
  status: 'open' | 'completed' | 'cancelled';
  completedAt: number | null;
  fixed: boolean;
  visits: number;
  revisitRequests: number;
  dispatchLatency: number | null;
  arrival: number | null;
  involvedParts: boolean;
  lateParts: boolean;
}

function foldJob(h: FieldJobEvent[]): RefJob | null {
  const created = h.find((e) => e.type === 'job.created');
  if (created?.type !== 'job.created') return null;
  const j: RefJob = {
    region: created.region,
    status: 'open',
    completedAt: null,
    fixed: false,
    visits: 0,
    revisitRequests: 0,
    dispatchLatency: null,
    arrival: null,
    involvedParts: false,
    lateParts: false,
  };
  let firstDispatch: number | null = null;
  let newVisit = true;
  for (const e of h) {
    if (j.status === 'cancelled') break;
    switch (e.type) {
      case 'job.dispatched':
        firstDispatch ??= at(e);
        newVisit = true;
        if (j.status === 'completed') j.status = 'open';
        break;
      case 'job.en_route':
        newVisit = true;
        break;
      case 'job.on_site':
        if (firstDispatch !== null && j.arrival === null) j.arrival = (at(e) - firstDispatch) / 1000;
        if (newVisit) j.visits++;
        newVisit = false;
        if (j.status === 'completed') j.status = 'open';
        break;
      case 'job.revisit_required':
        j.revisitRequests++;
        newVisit = true;
        if (j.status === 'completed') j.status = 'open';
        break;
      case 'job.completed':
        [j.status, j.completedAt, j.fixed] = ['completed', at(e), e.fixed];
        newVisit = true;
        break;
      case 'job.cancelled':
        j.status = 'cancelled';
        break;
      case 'job.parts_requested':
      case 'job.parts_faulty':
        j.involvedParts = true;
        break;
      case 'job.parts_arrived':
        j.involvedParts = true;
        if (e.late) j.lateParts = true;
        break;
      default:
        break;
    }
  }
  if (firstDispatch !== null) j.dispatchLatency = (firstDispatch - Date.parse(created.occurredAt)) / 1000;
  return j;
}

const jobs = [...groupBy(jobEvents, (e) => e.jobId).values()]
  .map(foldJob)
  .filter((j): j is RefJob => j !== null);

// ---- the pipeline and the API --------------------------------------------------------------------

const clock = { now: NOW };
let pipeline: TestPipeline;
let api: Api;
let base = '';
let headers: Record<string, string> = {};

async function scalars(query: string): Promise<number[]> {
  const rs = await pipeline.ch.query({ query, format: 'JSONEachRow' });
  const rows = await rs.json<Record<string, string | number>>();
  return Object.values(rows[0] ?? {}).map(Number);
}

beforeAll(async () => {
  pipeline = await startPipeline('e2e_scen_api', {
    now: () => clock.now,
    // The test drives the alert evaluations itself.
    overrides: { ALERT_EVALUATION_INTERVAL_SECONDS: 86_400 },
  });
  await pipeline.sink.emit(events);
  // The field transform adds a ticket.field_dispatched to a ticket's history for each dispatch of
  // a job linked to it: every ticket-derived row counts those too.
  const dispatches = sum([...dispatchesByTicket.values()].map((d) => d.length));
  const want = [
    ticketEvents.length + dispatches,
    jobEvents.length,
    rosterEvents.length,
    ticketEvents.length + dispatches,
    ticketEvents.length + dispatches,
    ticketEvents.length + dispatches,
    jobEvents.length,
  ];
  const got = await eventually(
    () =>
      scalars(
        `SELECT (SELECT uniqExact(event_id) FROM ticket_events) AS t,
                (SELECT uniqExact(event_id) FROM field_job_events) AS j,
                (SELECT uniqExact(event_id) FROM roster_events) AS r,
                (SELECT sum(version) FROM ticket_lifecycle FINAL) AS lifecycle,
                (SELECT sum(version) FROM ticket_facts FINAL) AS facts,
                (SELECT sum(event_count) FROM ticket_sla FINAL) AS sla,
                (SELECT sum(version) FROM field_job_facts FINAL) AS field`,
      ),
    (v) => JSON.stringify(v) === JSON.stringify(want),
    300_000,
    1_000,
  );
  expect(got).toEqual(want);
  const key = readKey(pipeline.config);
  headers = key.headers;
  api = await buildApi({ config: key.config, ch: pipeline.ch, logger: pipeline.logger });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const addr = api.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('the API has no port');
  base = `http://127.0.0.1:${addr.port}`;
}, 360_000);

afterAll(async () => {
  await api?.close();
  await pipeline?.close();
});

// The parts of each response the tests read (the API validates its own answers against its schemas).
type Nullable = number | null;
interface BacklogBody {
  series: {
    region: string;
    points: { start: string; end: string; backlog: number; inflow: number; outflow: number }[];
  }[];
}
interface VsHeadcountBody {
  windowStart: string;
  regions: {
    region: string;
    backlogStart: number;
    backlogEnd: number;
    headcountStart: number;
    headcountEnd: number;
    backlogGrowthPct: number;
    headcountGrowthPct: Nullable;
    gapPp: Nullable;
    loadEnd: Nullable;
  }[];
}
interface HandoversBody {
  totals: { handovers: number; pending: number };
  pairs: {
    fromRegion: string;
    toRegion: string;
    crossRegion: boolean;
    handovers: number;
    pingPong: number;
    pickedUp: number;
    handedOn: number;
    ended: number;
    pending: number;
    pickupWallP50Seconds: Nullable;
    pickupWallP90Seconds: Nullable;
    pickupBusinessP50Seconds: Nullable;
    pickupBusinessP90Seconds: Nullable;
    seamIdleSeconds: number;
    pickupWallSeconds: number;
  }[];
}
interface EscalationsBody {
  periods: {
    start: string;
    end: string;
    resolved: number;
    escalatedTickets: number;
    reopenedTickets: number;
    firstTeamTickets: number;
    escalationsByKind: { tier: number; functional: number; management: number };
  }[];
}
interface SlaOutcomes {
  resolved: number;
  met: number;
  breached: number;
  responseBreached: number;
}
interface SlaBody {
  totals: SlaOutcomes;
  byRegionPriority: (SlaOutcomes & { region: string; priority: string })[];
}
interface AtRiskBody {
  total: number;
  tickets: {
    ticketId: string;
    region: string;
    team: string;
    priority: string;
    risk: string;
    dueAt: string | null;
    state: string;
    percentConsumed: number;
    remainingSeconds: number;
    evaluatedAt: string;
  }[];
}
interface FieldBody {
  regions: {
    region: string;
    jobs: number;
    firstTimeFixRate: number;
    dispatchLatencyP50Seconds: Nullable;
    dispatchLatencyP90Seconds: Nullable;
    arrivalP50Seconds: Nullable;
    arrivalP90Seconds: Nullable;
    jobsWithParts: number;
    latePartsRate: Nullable;
  }[];
}
interface CoverageBody {
  regions: {
    region: string;
    timeZone: string;
    hours: { hourOfWeek: number; hours: number; inflow: number; avgOnShift: number }[];
  }[];
}
interface SpecialistRow {
  region: string;
  category: string;
  resolutions: number;
  attributed: number;
  agents: number;
  topAgent: string | null;
  topAgentResolutions: number;
  topAgentShare: Nullable;
  flagged: boolean;
}
interface TimelineBody {
  ticket: Record<string, unknown>;
  events: { at: string; eventId: string; type: string; source: string }[];
  segments: { from: string; to: string | null; region: string; team: string }[];
  handovers: {
    at: string;
    fromTeam: string;
    toTeam: string;
    pingPong: boolean;
    outcome: string;
    pickedUpAt: string | null;
    endedAt: string | null;
    wallSeconds: Nullable;
    businessSeconds: Nullable;
  }[];
  sla: {
    resolution: { elapsedSeconds: number; outcome: string; breachedAt: string | null };
    response: { outcome: string };
  } | null;
}
interface ReviewBody {
  week: { start: string; end: string };
  previousWeek: { start: string };
  headline: { key: string; current: Nullable; previous: Nullable }[];
}
interface AlertsBody {
  alerts: {
    rule: string;
    state: string;
    tenant: string;
    region: string;
    firedAt: string | null;
    transitions: number;
    firingNumbers: Record<string, number | string | null> | null;
  }[];
}

async function get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
  const qs = new URLSearchParams({ tenant: TENANT, ...query }).toString();
  const res = await fetch(`${base}${path}?${qs}`, { headers });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as T;
}

const WEEK = { from: iso(WEEK_START), to: iso(ANCHOR) };
const inWeek = (ms: number | null | undefined) => ms != null && ms >= WEEK_START && ms < ANCHOR;
const firstResolvedInWeek = () => tickets.filter((t) => inWeek(t.firstResolution?.at));
const completedInWeek = () => jobs.filter((j) => j.status === 'completed' && inWeek(j.completedAt));
const firstTimeFix = (j: RefJob) => j.fixed && j.revisitRequests === 0 && j.visits <= 1;
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

type Cell = number | string | boolean | null;
/**
 * Expected figures, numbers to within half a unit of the `digits`-th decimal: the API rounds some
 * figures (percentages to 4 decimals, durations to milliseconds) and sums in another order.
 */
function near(values: readonly Cell[], digits = 2): unknown[] {
  return values.map((v) => (typeof v === 'number' ? expect.closeTo(v, digits) : v));
}
/** The figures read from a response, as a row to compare with `near`. */
const plain = (values: readonly Cell[]): Cell[] => [...values];

describe('the metric routes against the simulator’s story', () => {
  it('the story: hundreds of tickets, three staffed regions, field jobs; the calendars are the ones restated here', () => {
    expect(tickets.length).toBeGreaterThan(300);
    expect(tickets.length).toBeLessThan(1_000);
    expect(jobs.length).toBeGreaterThan(20);
    for (const r of REGIONS) expect(refHeadcount(ANCHOR)[r]).toBeGreaterThan(30);
    expect(Math.min(...tickets.map((t) => t.createdAt))).toBeGreaterThanOrEqual(Date.parse(CALENDAR_SPAN[0]));
    const day: [string, string][] = [['08:00', '18:00']];
    for (const region of REGIONS) {
      const cal = defaultCalendars.find((c) => c.id === CALENDAR_IDS[region]);
      expect(cal).toMatchObject({
        kind: 'weekly',
        zone: ZONES[region],
        weekly: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] },
      });
      const holidays = cal?.kind === 'weekly' ? cal.holidays : [];
      expect(holidays.filter((d) => d >= CALENDAR_SPAN[0] && d <= CALENDAR_SPAN[1])).toEqual(
        HOLIDAYS[region],
      );
    }
  });

  it('GET /v1/metrics/backlog: daily backlog, inflow and outflow per region', async () => {
    const body = await get<BacklogBody>('/v1/metrics/backlog', { ...WEEK, interval: 'day' });
    const want = REGIONS.map((region) => ({
      region,
      points: Array.from({ length: 7 }, (_, i) => {
        const [s, e] = [WEEK_START + i * DAY, WEEK_START + (i + 1) * DAY];
        return {
          start: iso(s),
          end: iso(e),
          backlog: refBacklog(e)[region] ?? 0,
          inflow: refInflow(s, e, region),
          outflow: refOutflow(s, e, region),
        };
      }),
    }));
    expect([...body.series].sort((a, b) => a.region.localeCompare(b.region))).toEqual(want);
  });

  it('GET /v1/metrics/backlog-vs-headcount: B and H at both ends of 7 days, growth, load and gap', async () => {
    const body = await get<VsHeadcountBody>('/v1/metrics/backlog-vs-headcount', {
      at: iso(ANCHOR),
      window: '7',
    });
    const [b0, b1] = [refBacklog(WEEK_START), refBacklog(ANCHOR)];
    const [h0, h1] = [refHeadcount(WEEK_START), refHeadcount(ANCHOR)];
    expect(body.windowStart).toBe(iso(WEEK_START));
    const want = REGIONS.map((region) => {
      const [bs, be, hs, he] = [b0[region] ?? 0, b1[region] ?? 0, h0[region]!, h1[region]!];
      const growth = (100 * (be - bs)) / Math.max(bs, 1);
      const hGrowth = (100 * (he - hs)) / hs;
      return near([region, bs, be, hs, he, growth, hGrowth, growth - hGrowth, be / he]);
    });
    const got = body.regions.map((r) =>
      plain([
        r.region,
        r.backlogStart,
        r.backlogEnd,
        r.headcountStart,
        r.headcountEnd,
        r.backlogGrowthPct,
        r.headcountGrowthPct,
        r.gapPp,
        r.loadEnd,
      ]),
    );
    expect(got).toEqual(want);
  });

  it('GET /v1/metrics/handovers: per region pair, counts, how each wait ended, pickup percentiles in wall and business time, seam idle, pending', async () => {
    const body = await get<HandoversBody>('/v1/metrics/handovers', { ...WEEK, asOf: iso(NOW) });
    const pairOf = (h: Handover) => `${h.fromRegion}->${h.toRegion}`;
    const pendingAt = (h: Handover) => h.at <= NOW && (h.endedAt === null || h.endedAt > NOW);
    const keys = [...new Set(allHandovers.filter((h) => inWeek(h.at) || pendingAt(h)).map(pairOf))].sort();
    const want = keys.map((k) => {
      const [from, to] = k.split('->') as [string, string];
      const hs = allHandovers.filter((h) => pairOf(h) === k && inWeek(h.at));
      const picked = hs.filter((h) => h.outcome === 'picked_up');
      const wall = picked.map((h) => (h.endedAt! - h.at) / 1000);
      const business = picked.map((h) => businessMs(to, h.at, h.endedAt!) / 1000);
      return near([
        from,
        to,
        from !== to,
        hs.length,
        hs.filter((h) => h.pingPong).length,
        picked.length,
        hs.filter((h) => h.outcome === 'handed_on').length,
        hs.filter((h) => h.outcome === 'ended').length,
        allHandovers.filter((h) => pairOf(h) === k && pendingAt(h)).length,
        percentileInc(wall, 0.5),
        percentileInc(wall, 0.9),
        percentileInc(business, 0.5),
        percentileInc(business, 0.9),
        sum(wall),
        sum(wall) - sum(business),
      ]);
    });
    const got = body.pairs.map((p) =>
      plain([
        p.fromRegion,
        p.toRegion,
        p.crossRegion,
        p.handovers,
        p.pingPong,
        p.pickedUp,
        p.handedOn,
        p.ended,
        p.pending,
        p.pickupWallP50Seconds,
        p.pickupWallP90Seconds,
        p.pickupBusinessP50Seconds,
        p.pickupBusinessP90Seconds,
        p.pickupWallSeconds,
        p.seamIdleSeconds,
      ]),
    );
    expect(got).toEqual(want);
    expect(body.totals.handovers).toBe(allHandovers.filter((h) => inWeek(h.at)).length);
    // Follow-the-sun, escalations within a region, and some seam idle: the figures are not trivial.
    for (const pair of ['APAC->EMEA', 'EMEA->AMER', 'AMER->APAC', 'APAC->APAC']) expect(keys).toContain(pair);
    expect(sum(body.pairs.map((p) => p.seamIdleSeconds))).toBeGreaterThan(0);
  });

  it('GET /v1/metrics/escalations: the week’s first resolutions, escalated, reopened, by the first team, explicit escalations by kind', async () => {
    const resolved = firstResolvedInWeek();
    const figures = (ts: RefTicket[]) => [
      ts.length,
      ts.filter((t) => t.escalated).length,
      ts.filter((t) => t.reopenedAfterResolution).length,
      ts.filter((t) => t.firstResolution!.handoversBefore === 0).length,
      sum(ts.map((t) => t.functional)),
      sum(ts.map((t) => t.management)),
    ];
    const got = (b: EscalationsBody) =>
      b.periods.map((p) => [
        p.start,
        p.end,
        p.resolved,
        p.escalatedTickets,
        p.reopenedTickets,
        p.firstTeamTickets,
        p.escalationsByKind.functional,
        p.escalationsByKind.management,
      ]);
    const all = await get<EscalationsBody>('/v1/metrics/escalations', {
      ...WEEK,
      interval: 'week',
      tz: 'UTC',
    });
    expect(got(all)).toEqual([[WEEK.from, WEEK.to, ...figures(resolved)]]);
    // Per region: the owner at the first resolution.
    for (const region of REGIONS) {
      const body = await get<EscalationsBody>('/v1/metrics/escalations', {
        ...WEEK,
        interval: 'week',
        tz: 'UTC',
        region,
      });
      const mine = resolved.filter((t) => t.firstResolution!.region === region);
      expect([region, ...got(body)]).toEqual([region, [WEEK.from, WEEK.to, ...figures(mine)]]);
    }
    expect(resolved.filter((t) => t.escalated).length).toBeGreaterThan(0);
  });

  it('GET /v1/metrics/sla: per region and priority, the clocks that stopped met or breached in the week', async () => {
    // Stopped in the week; a cancelled ticket counts only if it had breached (once breached, always breached).
    const counted = tickets.filter(
      (t) =>
        inWeek(t.resolution.stoppedAt) && (t.resolution.stopKind === 'resolved' || t.resolution.breached),
    );
    const groups = new Map<string, RefTicket[]>();
    for (const t of counted) {
      const k = `${t.resolution.region}/${t.priority}`;
      groups.set(k, [...(groups.get(k) ?? []), t]);
    }
    const outcomes = (ts: RefTicket[]) => {
      const breached = ts.filter((t) => t.resolution.breached).length;
      return [ts.length, ts.length - breached, breached, ts.filter((t) => t.response.breached).length];
    };
    const want = [...groups.keys()].sort().map((k) => [k, ...outcomes(groups.get(k)!)]);
    const body = await get<SlaBody>('/v1/metrics/sla', WEEK);
    const got = body.byRegionPriority
      .map((r) => [`${r.region}/${r.priority}`, r.resolved, r.met, r.breached, r.responseBreached])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(got).toEqual(want);
    expect([
      body.totals.resolved,
      body.totals.met,
      body.totals.breached,
      body.totals.responseBreached,
    ]).toEqual(outcomes(counted));
    expect(counted.some((t) => t.resolution.breached)).toBe(true);
    expect(counted.some((t) => !t.resolution.breached && !t.policy.wall)).toBe(true);
  });

  it('GET /v1/sla/at-risk: every open ticket at minLevel none, with % consumed, remaining, risk and due time', async () => {
    const body = await get<AtRiskBody>('/v1/sla/at-risk', { minLevel: 'none', limit: '500', asOf: iso(NOW) });
    const open = tickets.filter((t) => t.open);
    expect(open.length).toBeLessThanOrEqual(500);
    expect(body.total).toBe(open.length);
    const level = (consumed: number, target: number) => {
      const f = consumed / target;
      return f >= 1
        ? 'breached'
        : f >= 0.9
          ? 'critical'
          : f >= 0.75
            ? 'warning'
            : f >= 0.5
              ? 'watch'
              : 'none';
    };
    const rank = ['none', 'watch', 'warning', 'critical', 'breached'];
    /** When a clock's target runs out: its breach instant, or projected from now in the owner's calendar. */
    const due = (t: RefTicket, c: Clock) =>
      c.dueAt ?? addBusinessMs(t.policy.wall ? null : t.region, NOW, c.targetMs - c.consumedMs);
    const want = open
      .map((t) => {
        const r = t.resolution;
        const answered = t.response.stoppedAt !== null;
        const risks = [level(r.consumedMs, r.targetMs)];
        const dues = [due(t, r)];
        if (!answered) {
          risks.push(level(t.response.consumedMs, t.response.targetMs));
          dues.push(due(t, t.response));
        }
        return near([
          t.id,
          t.region,
          t.team,
          t.priority,
          (100 * r.consumedMs) / r.targetMs,
          Math.max(0, r.targetMs - r.consumedMs) / 1000,
          risks.sort((a, b) => rank.indexOf(b) - rank.indexOf(a))[0]!,
          iso(Math.min(...dues)),
          iso(NOW),
        ]);
      })
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    const got = body.tickets
      .map((t) =>
        plain([
          t.ticketId,
          t.region,
          t.team,
          t.priority,
          t.percentConsumed,
          t.remainingSeconds,
          t.risk,
          t.dueAt,
          t.evaluatedAt,
        ]),
      )
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(got).toEqual(want);
    expect(new Set(got.map((r) => r[6])).size).toBeGreaterThan(2); // several risk levels among them
    // Every projection stays inside the span whose holidays the test knows.
    for (const r of got) expect(String(r[7]) < CALENDAR_SPAN[1]).toBe(true);
  });

  it('GET /v1/metrics/field: jobs completed in the week per region, first-time fixes, dispatch and arrival percentiles, parts', async () => {
    const body = await get<FieldBody>('/v1/metrics/field', WEEK);
    const want = REGIONS.map((region) => {
      const done = completedInWeek().filter((j) => j.region === region);
      const withParts = done.filter((j) => j.involvedParts);
      const latency = done.flatMap((j) => (j.dispatchLatency === null ? [] : [j.dispatchLatency]));
      const arrival = done.flatMap((j) => (j.arrival === null ? [] : [j.arrival]));
      return near([
        region,
        done.length,
        done.filter(firstTimeFix).length,
        percentileInc(latency, 0.5),
        percentileInc(latency, 0.9),
        percentileInc(arrival, 0.5),
        percentileInc(arrival, 0.9),
        withParts.length,
        withParts.length === 0 ? null : withParts.filter((j) => j.lateParts).length / withParts.length,
      ]);
    });
    const got = body.regions.map((r) =>
      plain([
        r.region,
        r.jobs,
        Math.round(r.firstTimeFixRate * r.jobs),
        r.dispatchLatencyP50Seconds,
        r.dispatchLatencyP90Seconds,
        r.arrivalP50Seconds,
        r.arrivalP90Seconds,
        r.jobsWithParts,
        r.latePartsRate,
      ]),
    );
    expect(got).toEqual(want);
  });

  it('GET /v1/metrics/coverage (tz=UTC): inflow per region and hour of week, and people on shift', async () => {
    const body = await get<CoverageBody>('/v1/metrics/coverage', { ...WEEK, tz: 'UTC' });
    const hourOfWeek = (ms: number) => ((new Date(ms).getUTCDay() + 6) % 7) * 24 + new Date(ms).getUTCHours();
    // Shifts per agent and region, overlapping or touching ones merged: one presence.
    const shifts = new Map<string, [number, number][]>();
    for (const e of rosterEvents) {
      if (e.type !== 'roster.shift') continue;
      const k = `${e.agentId}\n${e.region}`;
      shifts.set(k, [...(shifts.get(k) ?? []), [Date.parse(e.start), Date.parse(e.end)]]);
    }
    const onShift: Record<string, number> = {};
    for (const [k, list] of shifts) {
      const region = k.split('\n')[1]!;
      const merged: [number, number][] = [];
      for (const s of [...list].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
        if (s[1] <= s[0]) continue;
        const last = merged[merged.length - 1];
        if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
        else merged.push([s[0], s[1]]);
      }
      for (let h = WEEK_START; h < ANCHOR; h += HOUR) {
        const ms = sum(merged.map(([s, e]) => Math.max(0, Math.min(e, h + HOUR) - Math.max(s, h))));
        const key = `${region} ${hourOfWeek(h)}`;
        onShift[key] = (onShift[key] ?? 0) + ms / HOUR;
      }
    }
    for (const region of REGIONS) {
      const r = body.regions.find((x) => x.region === region);
      expect(r?.timeZone, region).toBe('UTC');
      const inflow = new Map<number, number>();
      for (const p of allPeriods)
        if (p.region === region && p.openKind !== 'moved' && inWeek(p.openedAt))
          inflow.set(hourOfWeek(p.openedAt), (inflow.get(hourOfWeek(p.openedAt)) ?? 0) + 1);
      const want = Array.from({ length: 168 }, (_, h) =>
        near([h, 1, inflow.get(h) ?? 0, onShift[`${region} ${h}`] ?? 0], 4),
      );
      expect(r?.hours.map((x) => plain([x.hourOfWeek, x.hours, x.inflow, x.avgOnShift]))).toEqual(want);
      expect(sum([...inflow.values()])).toBe(refInflow(WEEK_START, ANCHOR, region));
    }
  });

  it('GET /v1/metrics/specialists: the week’s first resolutions per region and category, the busiest agent', async () => {
    const body = await get<{ rows: SpecialistRow[] }>('/v1/metrics/specialists', WEEK);
    const groups = new Map<string, { region: string; category: string; agents: string[] }>();
    for (const t of firstResolvedInWeek()) {
      const r = t.firstResolution!;
      const k = `${r.region}/${t.category}`;
      const g = groups.get(k) ?? { region: r.region, category: t.category, agents: [] };
      g.agents.push(r.agent);
      groups.set(k, g);
    }
    const want: SpecialistRow[] = [...groups.values()].map((g) => {
      const counts = new Map<string, number>();
      for (const a of g.agents) if (a) counts.set(a, (counts.get(a) ?? 0) + 1);
      const attributed = sum([...counts.values()]);
      const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
      const share = top ? top[1] / attributed : null;
      return {
        region: g.region,
        category: g.category,
        resolutions: g.agents.length,
        attributed,
        agents: counts.size,
        topAgent: top?.[0] ?? null,
        topAgentResolutions: top?.[1] ?? 0,
        topAgentShare: share,
        flagged: share !== null && (share > 0.5 || counts.size < 2),
      };
    });
    const key = (x: SpecialistRow) => `${x.region}/${x.category}`;
    const norm = (rows: SpecialistRow[]) =>
      [...rows]
        .sort((a, b) => key(a).localeCompare(key(b)))
        .map((r) => ({
          ...r,
          topAgentShare: r.topAgentShare === null ? null : Number(r.topAgentShare.toFixed(6)),
        }));
    expect(norm(body.rows)).toEqual(norm(want));
    expect(want.filter((r) => r.attributed > 0).length).toBeGreaterThan(REGIONS.length);
  });

  it('GET /v1/tickets/{id}/timeline: a handed-over, a reopened and an open ticket, event by event, with its SLA', async () => {
    const handedOver = tickets.find(
      (t) => !t.open && t.handovers.some((h) => h.fromRegion !== h.toRegion && h.outcome === 'picked_up'),
    );
    const reopened = tickets.find((t) => t.reopens > 0);
    const openCritical = tickets.find((t) => t.open && t.priority === 'critical');
    const openBusiness = tickets.find((t) => t.open && t.handovers.length > 0 && !t.policy.wall);
    for (const t of [handedOver, reopened, openCritical, openBusiness]) {
      if (!t) throw new Error('the story lacks a ticket of a kind this test reads');
      const body = await get<TimelineBody>(`/v1/tickets/${encodeURIComponent(t.id)}/timeline`);
      const firstResolved = t.events.find((e) => e.type === 'ticket.resolved');
      expect(body.ticket, t.id).toMatchObject({
        tenant: TENANT,
        ticketId: t.id,
        createdAt: iso(t.createdAt),
        customer: t.customer,
        priority: t.priority,
        createdRegion: t.createdRegion,
        team: t.team,
        region: t.region,
        open: t.open,
        resolvedAt: firstResolved?.occurredAt ?? null,
        reopens: t.reopens,
        handovers: t.handovers.length,
        crossRegionHandovers: t.handovers.filter((h) => h.fromRegion !== h.toRegion).length,
        pingPongHandovers: t.handovers.filter((h) => h.pingPong).length,
      });
      // The source's events (the pipeline's own, e.g. dispatches, aside), in time order.
      const byTimeThenId = (a: string[], b: string[]) =>
        a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!);
      expect(
        body.events
          .filter((e) => e.source.startsWith('sim-'))
          .map((e) => [e.at, e.eventId, e.type])
          .sort(byTimeThenId),
      ).toEqual(t.events.map((e) => [e.occurredAt, e.eventId, e.type]).sort(byTimeThenId));
      expect(
        body.handovers.map((h) =>
          plain([
            h.at,
            h.fromTeam,
            h.toTeam,
            h.pingPong,
            h.outcome,
            h.pickedUpAt,
            h.wallSeconds,
            h.businessSeconds,
          ]),
        ),
      ).toEqual(
        t.handovers.map((h) => {
          const picked = h.outcome === 'picked_up' ? h.endedAt : null;
          return near([
            iso(h.at),
            h.fromTeam,
            h.toTeam,
            h.pingPong,
            h.outcome,
            isoOrNull(picked),
            picked === null ? null : (picked - h.at) / 1000,
            picked === null ? null : businessMs(h.toRegion, h.at, picked) / 1000,
          ]);
        }),
      );
      expect(body.segments.map((s) => [s.from, s.to, s.region, s.team])).toEqual(
        t.segments.map((p) => [iso(p.from), isoOrNull(p.to), p.region, p.team]),
      );
      const outcome = (c: Clock) =>
        c.breached
          ? 'breached'
          : c.stopKind === 'cancelled'
            ? 'cancelled'
            : c.stoppedAt === null
              ? 'pending'
              : 'met';
      expect(
        plain([
          body.sla?.resolution.elapsedSeconds ?? null,
          body.sla?.resolution.outcome ?? null,
          body.sla?.response.outcome ?? null,
        ]),
      ).toEqual(near([t.resolution.consumedMs / 1000, outcome(t.resolution), outcome(t.response)]));
    }
  });

  it('GET /v1/reviews/weekly (all regions, UTC week 2026-W13): the headline figures', async () => {
    const body = await get<ReviewBody>('/v1/reviews/weekly', { week: '2026-W13' });
    expect([body.week.start, body.week.end, body.previousWeek.start]).toEqual([
      WEEK.from,
      WEEK.to,
      iso(WEEK_START - 7 * DAY),
    ]);
    const total = (m: Record<string, number>) => sum(Object.values(m));
    const [b0, b1] = [total(refBacklog(WEEK_START)), total(refBacklog(ANCHOR))];
    const hc = total(refHeadcount(ANCHOR));
    const resolved = firstResolvedInWeek();
    const done = completedInWeek();
    const slaStopped = tickets.filter(
      (t) =>
        inWeek(t.resolution.stoppedAt) && (t.resolution.stopKind === 'resolved' || t.resolution.breached),
    );
    const received = allHandovers.filter((h) => inWeek(h.at) && h.outcome === 'picked_up');
    const wall = received.map((h) => (h.endedAt! - h.at) / 1000);
    const business = received.map((h) => businessMs(h.toRegion, h.at, h.endedAt!) / 1000);
    const want: Record<string, Nullable> = {
      backlogEnd: b1,
      inflow: refInflow(WEEK_START, ANCHOR),
      outflow: refOutflow(WEEK_START, ANCHOR),
      backlogGrowthPct: (100 * (b1 - b0)) / Math.max(b0, 1),
      headcountFte: hc,
      loadPerFte: b1 / hc,
      handovers: allHandovers.filter((h) => inWeek(h.at)).length,
      pickupWallP50Seconds: percentileInc(wall, 0.5),
      pickupWallP90Seconds: percentileInc(wall, 0.9),
      pickupBusinessP50Seconds: percentileInc(business, 0.5),
      pickupBusinessP90Seconds: percentileInc(business, 0.9),
      pendingHandovers: allHandovers.filter(
        (h) => h.at < ANCHOR && (h.endedAt === null || h.endedAt >= ANCHOR),
      ).length,
      escalationRate: resolved.filter((t) => t.escalated).length / resolved.length,
      reopenRate: resolved.filter((t) => t.reopenedAfterResolution).length / resolved.length,
      slaBreachRate: slaStopped.filter((t) => t.resolution.breached).length / slaStopped.length,
      firstTimeFixRate: done.filter(firstTimeFix).length / done.length,
    };
    const got = Object.fromEntries(body.headline.filter((x) => x.key in want).map((x) => [x.key, x.current]));
    expect(got).toEqual(Object.fromEntries(Object.entries(want).map(([k, v]) => [k, near([v])[0]])));
    expect(body.headline.find((x) => x.key === 'backlogEnd')?.previous).toBe(b0);
  });

  it('GET /v1/alerts: after the evaluations the rule needs, APAC’s backlog-outpacing-headcount alert fires with the replay’s figures', async () => {
    // Last: it moves the transforms' clock past NOW.
    const rule = defaultAlertRules.find((r) => r.id === 'backlog-outpacing-headcount-7d');
    if (rule?.kind !== 'backlog_outpacing_headcount') throw new Error('the default rule set changed');
    const alerting = pipeline.transforms.alerts;
    if (!alerting) throw new Error('the transforms started without the alert evaluator');
    let firedAt = NOW;
    for (let i = 1; i <= rule.forEvaluations; i++) {
      clock.now = NOW + i * MINUTE;
      firedAt = clock.now;
      expect((await alerting.evaluator.evaluateOnce()).errors).toEqual([]);
    }
    const body = await get<AlertsBody>('/v1/alerts', { rule: rule.id });
    const start = firedAt - 7 * DAY;
    const [b0, b1] = [refBacklog(start).APAC!, refBacklog(firedAt).APAC!];
    const [h0, h1] = [refHeadcount(start).APAC!, refHeadcount(firedAt).APAC!];
    const growth = (100 * (b1 - b0)) / Math.max(b0, 1);
    const hGrowth = (100 * (h1 - h0)) / h0;
    expect(body.alerts.map((a) => [a.rule, a.state, a.tenant, a.region, a.firedAt, a.transitions])).toEqual([
      [rule.id, 'firing', TENANT, 'APAC', iso(firedAt), rule.forEvaluations],
    ]);
    const n = body.alerts[0]!.firingNumbers ?? {};
    expect(
      plain([
        n.window_start ?? null,
        n.window_end ?? null,
        n.backlog_start ?? null,
        n.backlog_end ?? null,
        n.headcount_start ?? null,
        n.headcount_end ?? null,
        n.backlog_growth_pct ?? null,
        n.headcount_growth_pct ?? null,
        n.gap_pp ?? null,
      ]),
    ).toEqual(near([iso(start), iso(firedAt), b0, b1, h0, h1, growth, hGrowth, growth - hGrowth]));
    expect(growth - hGrowth).toBeGreaterThan(rule.params.gapPp);
  });
});
