import {
  type BusinessCalendar,
  businessMsBetween,
  type CalendarLookup,
  defaultCalendarLookup,
} from '../../core/calendar.js';
import type { TicketEvent, TicketStatus, Tier } from '../../core/events/ticket.js';
import { orderEvents } from './backlog-periods.js';
import { type Escalation, EscalationTracker } from './escalations.js';

// Per-ticket lifecycle facts (docs/metrics.md, "Handovers" and "Escalations"), recomputed from
// the whole ordered history so a late event lands where it happened. Pure: no I/O, no clock.
// Nothing here depends on the current time: a handover still waiting keeps only its start, and
// readers compute its age at their own instant.
//
// Rules:
// - Owner: the team (and its region, tier, agent) of the creation when it names a team, then of
//   each assignment. A handover is a change of owning team after the first one; a change of region,
//   tier or agent within the same team is not.
// - Pickup of a handover = the receiving team's first action after it, while it still owns the
//   ticket: an assignment of that team naming an agent; a status change to in_progress, on_hold or
//   resolved (states only someone working the ticket sets; open/new are queue states, closed and
//   cancelled are often administrative), or a resolution; a comment whose team is the receiving
//   team, or with no team by the agent it assigned. The handover's own assignment is the sender's
//   act, so an agent named in it is not a pickup. A field job dispatched for the ticket
//   (`ticket.field_dispatched`, written to the ticket's topic by the field transform) naming the
//   receiving team or no team is a pickup too.
// - A handover not picked up ends as `handed_on` (the ticket moved on first), `ended` (closed or
//   cancelled first) or stays `pending` (`until` = null): its age is the reader's now − `at`.
// - Latency is wall time and business time in the receiving region's calendar (unmapped region:
//   the lookup's fallback, else 24x7); seam idle = wall − business.

export interface OwnerSegment {
  team: string;
  region: string;
  tier: Tier | '';
  agent: string;
  from: number;
  to: number | null;
}

export type HandoverOutcome = 'picked_up' | 'pending' | 'handed_on' | 'ended';
export type PickupKind = 'agent_assigned' | 'status' | 'resolved' | 'comment' | 'dispatch';

export interface Handover {
  at: number;
  fromTeam: string;
  fromRegion: string;
  toTeam: string;
  toRegion: string;
  crossRegion: boolean;
  pingPong: boolean;
  outcome: HandoverOutcome;
  pickedAt: number | null;
  pickupKind: PickupKind | '';
  /** When the wait ended (pickup, next handover, closure); null while pending. */
  until: number | null;
  calendar: string;
  wallSeconds: number | null;
  businessSeconds: number | null;
  seamIdleSeconds: number | null;
}

export interface TicketFacts {
  tenant: string;
  ticketId: string;
  /** Number of distinct events: grows with the history. */
  version: number;
  createdAt: number;
  customer: string;
  priority: string;
  /** From the creation ('' when the source gave none): what the ticket is about. */
  category: string;
  createdRegion: string;
  firstTeam: string;
  firstRegion: string;
  team: string;
  region: string;
  tier: Tier | '';
  maxTier: Tier | '';
  respondedAt: number | null;
  responseKind: 'comment' | 'resolution' | '';
  /** First resolution (a closure of an open ticket counts as one); cancellation is not. */
  resolvedAt: number | null;
  resolvedTeam: string;
  resolvedRegion: string;
  /** The agent holding the ticket at its first resolution ('' when none was named). */
  resolvedAgent: string;
  lastResolvedAt: number | null;
  closedAt: number | null;
  cancelledAt: number | null;
  open: boolean;
  reopens: number;
  reopenedAfterResolution: boolean;
  resolvedByFirstTeam: boolean;
  segments: OwnerSegment[];
  handovers: Handover[];
  escalations: Escalation[];
}

const always: BusinessCalendar = { id: '24x7', kind: '24x7', zone: 'UTC' };
// Resolution is a pickup too, handled with the other terminal states in `finish`.
const workStates = new Set<TicketStatus>(['in_progress', 'on_hold']);
type Done = 'resolved' | 'closed' | 'cancelled';

export function computeTicketFacts(
  events: readonly TicketEvent[],
  calendars: CalendarLookup = defaultCalendarLookup,
): TicketFacts | null {
  const ordered = orderEvents(events);
  const created = ordered.find((e) => e.type === 'ticket.created');
  if (created?.type !== 'ticket.created') return null;

  const segments: OwnerSegment[] = [];
  const handovers: Handover[] = [];
  const esc = new EscalationTracker();
  const heldBy = new Set<string>();
  let owner: OwnerSegment | null = null;
  // Read through a function: TS does not see the closures below assign `owner`, and would narrow it.
  const currentOwner = (): OwnerSegment | null => owner;
  let waiting: Handover | null = null; // the latest handover, until picked up or ended
  let region = created.region;
  let priority = created.priority;
  let done: Done | null = null;
  let respondedAt: number | null = null;
  let responseKind: TicketFacts['responseKind'] = '';
  let resolvedAt: number | null = null;
  let resolvedOwner: OwnerSegment | null = null;
  let lastResolvedAt: number | null = null;
  let closedAt: number | null = null;
  let cancelledAt: number | null = null;
  let reopens = 0;
  let reopenedAfterResolution = false;
  let handoversBeforeResolution = 0;

  const endWait = (at: number, outcome: HandoverOutcome, kind: PickupKind | '' = '') => {
    const h = waiting;
    if (!h) return;
    waiting = null;
    h.outcome = outcome;
    h.until = at;
    if (outcome !== 'picked_up') return;
    const cal = calendars.forRegion(h.toRegion) ?? always;
    const business = businessMsBetween(cal, h.at, at);
    h.pickedAt = at;
    h.pickupKind = kind;
    h.calendar = cal.id;
    h.wallSeconds = (at - h.at) / 1000;
    h.businessSeconds = business / 1000;
    h.seamIdleSeconds = (at - h.at - business) / 1000;
  };
  const own = (at: number, team: string, reg: string, tier: Tier | undefined, agent: string) => {
    if (owner) owner.to = at;
    owner = { team, region: reg, tier: tier ?? owner?.tier ?? '', agent, from: at, to: null };
    segments.push(owner);
    heldBy.add(team);
  };
  /** Resolved, closed or cancelled: the first of them ends the ticket; a closure follows a resolution. */
  const finish = (at: number, kind: Done) => {
    if (done === null) {
      if (kind !== 'cancelled') {
        if (resolvedAt === null) {
          resolvedAt = at;
          resolvedOwner = owner;
          handoversBeforeResolution = handovers.length;
        }
        lastResolvedAt = at;
        if (respondedAt === null) [respondedAt, responseKind] = [at, 'resolution'];
      }
      if (kind === 'resolved') endWait(at, 'picked_up', 'resolved');
      else endWait(at, 'ended');
    } else if (!(kind === 'closed' && done === 'resolved')) return;
    done = kind;
    if (kind === 'closed') closedAt = at;
    if (kind === 'cancelled') cancelledAt = at;
  };
  const reopen = () => {
    if (done === null) return;
    reopens += 1;
    if (resolvedAt !== null) reopenedAfterResolution = true;
    done = null;
  };

  for (const e of ordered) {
    const at = Date.parse(e.occurredAt);
    switch (e.type) {
      case 'ticket.created':
        if (e !== created) break; // a second creation record changes nothing
        if (e.team !== undefined && owner === null) own(at, e.team, e.region, e.tier, '');
        esc.onTier(at, e.tier);
        break;
      case 'ticket.assigned': {
        region = e.region;
        const prev = currentOwner();
        const agent = e.agent ?? '';
        if (prev === null) own(at, e.team, e.region, e.tier, agent);
        else if (e.team !== prev.team) {
          endWait(at, 'handed_on');
          const h: Handover = {
            at,
            fromTeam: prev.team,
            fromRegion: prev.region,
            toTeam: e.team,
            toRegion: e.region,
            crossRegion: prev.region !== e.region,
            pingPong: heldBy.has(e.team),
            outcome: 'pending',
            pickedAt: null,
            pickupKind: '',
            until: null,
            calendar: '',
            wallSeconds: null,
            businessSeconds: null,
            seamIdleSeconds: null,
          };
          handovers.push(h);
          own(at, e.team, e.region, e.tier, agent);
          waiting = h;
        } else {
          if (e.agent !== undefined) endWait(at, 'picked_up', 'agent_assigned');
          if (e.region !== prev.region || (e.tier ?? prev.tier) !== prev.tier || agent !== prev.agent)
            own(at, e.team, e.region, e.tier, agent);
        }
        esc.onTier(at, e.tier);
        break;
      }
      case 'ticket.escalated':
        esc.onEscalated(at, e);
        break;
      case 'ticket.priority_changed':
        priority = e.priority;
        break;
      case 'ticket.status_changed':
        if (e.status === 'resolved' || e.status === 'closed' || e.status === 'cancelled')
          finish(at, e.status);
        else {
          reopen();
          if (workStates.has(e.status)) endWait(at, 'picked_up', 'status');
        }
        break;
      case 'ticket.resolved':
      case 'ticket.closed':
      case 'ticket.cancelled':
        finish(
          at,
          e.type === 'ticket.resolved' ? 'resolved' : e.type === 'ticket.closed' ? 'closed' : 'cancelled',
        );
        break;
      case 'ticket.reopened':
        reopen();
        break;
      case 'ticket.commented': {
        const o = currentOwner();
        if (o && (e.team === o.team || (e.team === undefined && e.agent && e.agent === o.agent)))
          endWait(at, 'picked_up', 'comment');
        if (respondedAt === null && e.visibility === 'public' && (e.team || e.agent))
          [respondedAt, responseKind] = [at, 'comment'];
        break;
      }
      case 'ticket.field_dispatched': {
        // A dispatch is the owning team's act unless it names another team (e.g. a dispatch
        // desk acting on its own).
        const o = currentOwner();
        if (o && (e.team === undefined || e.team === o.team)) endWait(at, 'picked_up', 'dispatch');
        break;
      }
      case 'ticket.scope_changed':
        break;
    }
  }

  const first = segments[0];
  const last = segments.at(-1);
  const resolved = resolvedOwner as OwnerSegment | null;
  return {
    tenant: created.tenant,
    ticketId: created.ticketId,
    version: ordered.length,
    createdAt: Date.parse(created.occurredAt),
    customer: created.customer,
    priority,
    category: created.category ?? '',
    createdRegion: created.region,
    firstTeam: first?.team ?? '',
    firstRegion: first?.region ?? created.region,
    team: last?.team ?? '',
    region,
    tier: esc.tier ?? '',
    maxTier: esc.maxTier ?? '',
    respondedAt,
    responseKind,
    resolvedAt,
    resolvedTeam: resolvedAt === null ? '' : (resolved?.team ?? ''),
    resolvedRegion: resolvedAt === null ? '' : (resolved?.region ?? created.region),
    resolvedAgent: resolvedAt === null ? '' : (resolved?.agent ?? ''),
    lastResolvedAt,
    closedAt,
    cancelledAt,
    open: done === null,
    reopens,
    reopenedAfterResolution,
    resolvedByFirstTeam: resolvedAt !== null && handoversBeforeResolution === 0,
    segments,
    handovers,
    escalations: esc.escalations,
  };
}
