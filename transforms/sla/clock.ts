import {
  addBusinessMs,
  type BusinessCalendar,
  businessMsBetween,
  type CalendarLookup,
} from '../../core/calendar.js';
import type { Priority, TicketEvent } from '../../core/events/ticket.js';
import { orderEvents } from '../lifecycle/backlog-periods.js';
import { matchPolicy, type SlaPolicy } from './policy.js';

// The SLA clock of one ticket, recomputed from its whole ordered history as of an instant. Pure:
// no I/O, no current time; the caller passes `asOf` so open tickets can be re-evaluated as time
// passes. Rules (docs/metrics.md, "Business time and SLA"):
//
// - Resolution clock: starts at creation; runs in business time; pauses while the status is
//   `on_hold` with a reason listed in the policy's `pauseOnHoldReasons` (`on_hold` with another or
//   no reason keeps it running); stops at resolved / closed / cancelled (event or status); a
//   reopen (event, or a status change from a terminal to an open status) RESUMES it with the
//   business time already consumed: the target is for the ticket, not for each attempt.
// - Response clock: the same pausing, from creation to the first public comment carrying a team
//   or an agent (an agent's reply the customer sees). Moving to `in_progress` does NOT count: it
//   is invisible to the customer. A resolution or closure before any reply counts as the response
//   (the resolution notice is public). A reopen does not restart it.
// - Calendar: a fixed calendar id, or `owner`: each segment between two events is measured in the
//   calendar of the region owning the ticket during that segment.
// - Due instant: the earliest instant at which the consumed business time reaches the target.
//   The target is met when the clock stops at or before that instant; otherwise it is breached at
//   that instant (so a ticket resolved at 07:00 after a due time of 18:00 the evening before is
//   breached, even though no business time passed in between). Once breached, always breached.
// - Projected due time of an open clock: `addBusinessSeconds` from `asOf` over the remaining
//   time, in the current owner's calendar (in `owner` mode), assuming no further pause and no
//   handover. While paused it is the due time if the clock resumed now, so it moves later as the
//   pause lasts.
// - Risk from the share of the target consumed: none < 50 % <= watch < 75 % <= warning < 90 % <=
//   critical < 100 % <= breached. A stopped clock that met its target (or was cancelled) is `none`.

export type RiskLevel = 'none' | 'watch' | 'warning' | 'critical' | 'breached';
export type ClockPhase = 'running' | 'paused' | 'stopped';
export type ClockOutcome = 'pending' | 'met' | 'breached' | 'cancelled';

/** Risk of a share consumed, in percent. */
export function riskLevel(percentConsumed: number): RiskLevel {
  if (percentConsumed >= 100) return 'breached';
  if (percentConsumed >= 90) return 'critical';
  if (percentConsumed >= 75) return 'warning';
  if (percentConsumed >= 50) return 'watch';
  return 'none';
}

/** The same thresholds compared exactly on integers (no 0.9 * x rounding at the boundary). */
function riskOfMs(elapsedMs: number, targetMs: number): RiskLevel {
  const p = elapsedMs * 100;
  if (p >= targetMs * 100) return 'breached';
  if (p >= targetMs * 90) return 'critical';
  if (p >= targetMs * 75) return 'warning';
  if (p >= targetMs * 50) return 'watch';
  return 'none';
}

export interface ClockSummary {
  targetSeconds: number;
  /** Business seconds the clock ran (may exceed the target). */
  elapsedSeconds: number;
  /** Business seconds that passed while the clock was paused. */
  pausedSeconds: number;
  /** max(target - elapsed, 0). */
  remainingSeconds: number;
  /** max(elapsed - target, 0). */
  overdueSeconds: number;
  percentConsumed: number;
  /** Phase at `asOf`. */
  state: ClockPhase;
  outcome: ClockOutcome;
  risk: RiskLevel;
  /** The due instant that was missed, when breached. */
  breachedAt: number | null;
  /** Breached: the missed due instant; open: the projected due time; met/cancelled: null. */
  dueAt: number | null;
  /** When the clock last stopped, if it is stopped at `asOf`. */
  stoppedAt: number | null;
}

export interface TeamConsumption {
  team: string;
  region: string;
  calendarId: string;
  /** Resolution-clock business seconds consumed while this team owned the ticket. */
  elapsedSeconds: number;
  pausedSeconds: number;
}

export interface ClockSegment {
  from: number;
  to: number;
  team: string;
  region: string;
  calendarId: string;
  phase: ClockPhase;
  businessSeconds: number;
}

export interface SlaClock {
  tenant: string;
  ticketId: string;
  policyId: string;
  /** The policy's calendar: an id or `owner`. */
  calendar: string;
  asOf: number;
  createdAt: number;
  respondedAt: number | null;
  response: ClockSummary;
  resolution: ClockSummary;
  /** Per owning team (team '' = not yet assigned), in order of first ownership. */
  byTeam: TeamConsumption[];
  /** Resolution-clock segments between consecutive events, up to `asOf`. */
  segments: ClockSegment[];
}

export class SlaCalendarError extends Error {
  override name = 'SlaCalendarError';
}

type StopKind = 'resolved' | 'closed' | 'cancelled';

interface Point {
  at: number;
  team: string;
  region: string;
  resolution: ClockPhase;
  resolutionStop: StopKind | null;
  response: ClockPhase;
  responseStop: StopKind | 'responded' | null;
}

const terminal: Partial<Record<string, StopKind>> = {
  resolved: 'resolved',
  closed: 'closed',
  cancelled: 'cancelled',
};

/** The ticket's state after the events at each distinct instant, from creation up to `asOf`. */
function timeline(
  events: readonly TicketEvent[],
  policy: SlaPolicy,
  asOf: number,
): { points: Point[]; created: TicketEvent; respondedAt: number | null } | null {
  const ordered = orderEvents(events).filter((e) => Date.parse(e.occurredAt) <= asOf);
  const created = ordered.find((e) => e.type === 'ticket.created');
  if (created?.type !== 'ticket.created') return null;
  const createdAt = Date.parse(created.occurredAt);

  let team: string | null = null;
  let region: string | null = null;
  let hold = false;
  let stop: StopKind | null = null;
  let responded: StopKind | 'responded' | null = null;
  let respondedAt: number | null = null;
  const points: Point[] = [];

  for (const e of ordered) {
    const at = Math.max(Date.parse(e.occurredAt), createdAt);
    switch (e.type) {
      case 'ticket.created':
        if (e !== created) break; // a second creation record changes nothing
        team ??= e.team ?? '';
        region ??= e.region;
        break;
      case 'ticket.assigned':
        team = e.team;
        region = e.region;
        break;
      case 'ticket.status_changed': {
        const kind = terminal[e.status];
        if (kind) stop ??= kind;
        else {
          stop = null;
          hold =
            e.status === 'on_hold' &&
            e.holdReason !== undefined &&
            policy.pauseOnHoldReasons.includes(e.holdReason);
        }
        break;
      }
      case 'ticket.resolved':
      case 'ticket.closed':
      case 'ticket.cancelled':
        stop ??= terminal[e.type.slice('ticket.'.length)]!;
        break;
      case 'ticket.reopened':
        stop = null;
        hold = false;
        break;
      case 'ticket.commented':
        if (
          responded === null &&
          e.visibility === 'public' &&
          (e.team !== undefined || e.agent !== undefined)
        ) {
          responded = 'responded';
          respondedAt = at;
        }
        break;
      case 'ticket.priority_changed':
      case 'ticket.escalated':
      case 'ticket.scope_changed':
      case 'ticket.field_dispatched':
        break;
    }
    if (responded === null && (stop === 'resolved' || stop === 'closed')) {
      responded = stop;
      respondedAt = at;
    }
    if (team === null || region === null) continue; // nothing known about the owner yet
    const resolution: ClockPhase = stop ? 'stopped' : hold ? 'paused' : 'running';
    const point: Point = {
      at,
      team,
      region,
      resolution,
      resolutionStop: stop,
      response: responded ? 'stopped' : resolution,
      responseStop: responded ?? (stop === 'cancelled' ? 'cancelled' : null),
    };
    const last = points[points.length - 1];
    if (last && last.at === at) points[points.length - 1] = point;
    else points.push(point);
  }
  return { points, created, respondedAt };
}

interface Evaluated {
  summary: ClockSummary;
  segments: ClockSegment[];
}

function evaluate(
  points: readonly Point[],
  which: 'resolution' | 'response',
  targetSeconds: number,
  calendarOf: (p: Point) => BusinessCalendar,
  asOf: number,
): Evaluated {
  const targetMs = targetSeconds * 1000;
  const phaseOf = (p: Point): ClockPhase => (which === 'resolution' ? p.resolution : p.response);
  /** Phase after the events at instant t. */
  const phaseAt = (t: number): ClockPhase => {
    let phase: ClockPhase = phaseOf(points[0]!);
    for (const p of points) {
      if (p.at > t) break;
      phase = phaseOf(p);
    }
    return phase;
  };

  let elapsed = 0;
  let paused = 0;
  let breachedAt: number | null = null;
  let stoppedAt: number | null = null;
  const segments: ClockSegment[] = [];

  points.forEach((p, i) => {
    const phase = phaseOf(p);
    const prev = points[i - 1];
    if (phase === 'stopped' && (!prev || phaseOf(prev) !== 'stopped')) stoppedAt = p.at;
    if (phase !== 'stopped') stoppedAt = null;
    const from = p.at;
    const to = points[i + 1]?.at ?? asOf;
    if (to <= from) return;
    const cal = calendarOf(p);
    const ms = phase === 'stopped' ? 0 : businessMsBetween(cal, from, to);
    segments.push({
      from,
      to,
      team: p.team,
      region: p.region,
      calendarId: cal.id,
      phase,
      businessSeconds: ms / 1000,
    });
    if (phase === 'paused') paused += ms;
    if (phase !== 'running') return;
    if (breachedAt === null) {
      const remaining = targetMs - elapsed;
      if (remaining <= 0) {
        // Only after a stop exactly at the due instant and a reopen: no time is left.
        breachedAt = from;
      } else if (ms >= remaining) {
        const due = addBusinessMs(cal, from, remaining);
        if (!(due === to && phaseAt(to) === 'stopped')) breachedAt = due;
      }
    }
    elapsed += ms;
  });

  const last = points[points.length - 1]!;
  const state = phaseOf(last);
  const stopKind = which === 'resolution' ? last.resolutionStop : last.responseStop;
  const outcome: ClockOutcome =
    breachedAt !== null
      ? 'breached'
      : state !== 'stopped'
        ? 'pending'
        : stopKind === 'cancelled'
          ? 'cancelled'
          : 'met';
  const remainingMs = Math.max(targetMs - elapsed, 0);
  const dueAt =
    outcome === 'breached'
      ? breachedAt
      : outcome === 'pending'
        ? addBusinessMs(calendarOf(last), asOf, remainingMs)
        : null;
  return {
    summary: {
      targetSeconds,
      elapsedSeconds: elapsed / 1000,
      pausedSeconds: paused / 1000,
      remainingSeconds: remainingMs / 1000,
      overdueSeconds: Math.max(elapsed - targetMs, 0) / 1000,
      percentConsumed: (elapsed / targetMs) * 100,
      state,
      outcome,
      risk:
        outcome === 'breached' ? 'breached' : outcome === 'pending' ? riskOfMs(elapsed, targetMs) : 'none',
      breachedAt,
      dueAt,
      stoppedAt: state === 'stopped' ? stoppedAt : null,
    },
    segments,
  };
}

/**
 * The SLA clock of one ticket under `policy`, as of `asOf` (events after it are ignored).
 * Returns null until the ticket's creation event is known. Throws SlaCalendarError when the
 * policy's calendar (or, in `owner` mode, an owning region's calendar) is not in the lookup.
 */
export function computeSlaClock(
  events: readonly TicketEvent[],
  policy: SlaPolicy,
  calendars: CalendarLookup,
  asOf: number,
): SlaClock | null {
  const t = timeline(events, policy, asOf);
  if (!t || t.points.length === 0) return null;

  const calendarOf = (p: Point): BusinessCalendar => {
    const cal = policy.calendar === 'owner' ? calendars.forRegion(p.region) : calendars.byId(policy.calendar);
    if (!cal)
      throw new SlaCalendarError(
        policy.calendar === 'owner'
          ? `SLA policy ${policy.id}: no calendar for region ${p.region}`
          : `SLA policy ${policy.id}: unknown calendar ${policy.calendar}`,
      );
    return cal;
  };

  const resolution = evaluate(t.points, 'resolution', policy.resolutionTargetSeconds, calendarOf, asOf);
  const response = evaluate(t.points, 'response', policy.responseTargetSeconds, calendarOf, asOf);

  const byTeam = new Map<string, TeamConsumption>();
  for (const s of resolution.segments) {
    const key = `${s.team}\u0000${s.region}`;
    let entry = byTeam.get(key);
    if (!entry) {
      entry = {
        team: s.team,
        region: s.region,
        calendarId: s.calendarId,
        elapsedSeconds: 0,
        pausedSeconds: 0,
      };
      byTeam.set(key, entry);
    }
    if (s.phase === 'running') entry.elapsedSeconds += s.businessSeconds;
    if (s.phase === 'paused') entry.pausedSeconds += s.businessSeconds;
  }

  return {
    tenant: t.created.tenant,
    ticketId: t.created.ticketId,
    policyId: policy.id,
    calendar: policy.calendar,
    asOf,
    createdAt: Date.parse(t.created.occurredAt),
    respondedAt: t.respondedAt,
    response: response.summary,
    resolution: resolution.summary,
    byTeam: [...byTeam.values()],
    segments: resolution.segments,
  };
}

/** The ticket's customer and current priority (latest priority change up to `asOf`). */
export function ticketAttributes(
  events: readonly TicketEvent[],
  asOf: number,
): { tenant: string; customer: string; priority: Priority } | null {
  let attrs: { tenant: string; customer: string; priority: Priority } | null = null;
  let priority: Priority | null = null;
  for (const e of orderEvents(events)) {
    if (Date.parse(e.occurredAt) > asOf) break;
    if (e.type === 'ticket.created' && !attrs)
      attrs = { tenant: e.tenant, customer: e.customer, priority: e.priority };
    if (e.type === 'ticket.priority_changed') priority = e.priority;
  }
  return attrs && { ...attrs, priority: priority ?? attrs.priority };
}

/**
 * Matches the most specific policy on the ticket's current attributes (a priority change
 * re-targets the whole clock; consumed time is kept) and computes its clock.
 */
export function slaForTicket(
  events: readonly TicketEvent[],
  policies: readonly SlaPolicy[],
  calendars: CalendarLookup,
  asOf: number,
): SlaClock | null {
  const attrs = ticketAttributes(events, asOf);
  if (!attrs) return null;
  const policy = matchPolicy(policies, attrs);
  return policy ? computeSlaClock(events, policy, calendars, asOf) : null;
}
