import {
  addBusinessMs,
  type BusinessCalendar,
  businessMsBetween,
  type CalendarLookup,
} from '../../core/calendar.js';
import type { Priority, TicketEvent, TicketStatus } from '../../core/events/ticket.js';
import { orderEvents } from '../lifecycle/backlog-periods.js';
import { SlaCalendarError, type SlaClock } from './clock.js';
import { type SlaPolicy, updateIntervalMs } from './policy.js';

// The update clock of an open ticket (docs/metrics.md, "Update staleness"): how long since the
// customer last saw progress, against the policy's update interval in business time. Pure.
//
// - A **public update** is what the customer sees: the creation (the acknowledgement), a reopen
//   (the interval starts again: the customer has just asked for more), a change of status to a
//   different status (portals show the status), or a public comment carrying a team or an agent
//   (the provider's reply). Internal comments, assignments, priority changes and escalations are
//   invisible to the customer and do not count.
// - The interval runs exactly where the resolution clock runs: in the policy's calendar (in
//   `owner` mode, each segment in the owning region's calendar), paused while on hold for a
//   pausing reason (the ticket waits on someone else; no update is owed), stopped once resolved,
//   closed or cancelled.
// - **Due** = the earliest instant at which the business time since the last update reaches the
//   interval; projected from `asOf` in the current calendar while the clock runs, null while it
//   is paused or stopped. Nothing changes between two events, so the due instant computed at any
//   `asOf` after the last event is the same: a reader comparing it with its own now is exact
//   without a sweep. **Stale** at t = due < t (an update exactly at the due instant is in time).

export type UpdateKind = 'created' | 'reopened' | 'status' | 'comment';

export interface UpdateClock {
  lastUpdateAt: number;
  lastUpdateKind: UpdateKind;
  intervalSeconds: number;
  dueAt: number | null;
}

/** The last public update of a history, up to `asOf`; null before the creation is known. */
export function lastPublicUpdate(
  events: readonly TicketEvent[],
  asOf: number,
): { at: number; kind: UpdateKind } | null {
  let last: { at: number; kind: UpdateKind } | null = null;
  let status: TicketStatus | null = null;
  let createdAt: number | null = null;
  for (const e of orderEvents(events)) {
    const raw = Date.parse(e.occurredAt);
    if (raw > asOf) break;
    // Clocks of different sources may put an event before the creation: it counts from creation.
    const at = createdAt === null ? raw : Math.max(raw, createdAt);
    switch (e.type) {
      case 'ticket.created':
        if (createdAt === null) {
          createdAt = raw;
          last = { at: raw, kind: 'created' };
        }
        break;
      case 'ticket.reopened':
        last = { at, kind: 'reopened' };
        break;
      case 'ticket.status_changed':
        if (e.status !== status) last = { at, kind: 'status' };
        status = e.status;
        break;
      case 'ticket.commented':
        if (e.visibility === 'public' && (e.team !== undefined || e.agent !== undefined))
          last = { at, kind: 'comment' };
        break;
      default:
        break;
    }
  }
  return createdAt === null ? null : last;
}

/**
 * The update clock of a ticket, given its SLA clock at `asOf` (whose resolution segments say
 * where business time ran) and the calendar that applies at `asOf`.
 */
export function computeUpdateClock(
  events: readonly TicketEvent[],
  clock: SlaClock,
  policy: SlaPolicy,
  priority: Priority,
  calendars: CalendarLookup,
  currentCalendar: BusinessCalendar,
  asOf: number,
): UpdateClock | null {
  const update = lastPublicUpdate(events, asOf);
  if (!update) return null;
  const intervalMs = updateIntervalMs(policy, priority);
  const result: UpdateClock = {
    lastUpdateAt: update.at,
    lastUpdateKind: update.kind,
    intervalSeconds: intervalMs / 1000,
    dueAt: null,
  };
  let remaining = intervalMs;
  for (const s of clock.segments) {
    if (s.to <= update.at || s.phase !== 'running') continue;
    const cal = calendars.byId(s.calendarId);
    if (!cal) throw new SlaCalendarError(`SLA policy ${policy.id}: unknown calendar ${s.calendarId}`);
    const from = Math.max(s.from, update.at);
    const ms = businessMsBetween(cal, from, s.to);
    if (ms >= remaining) {
      result.dueAt = addBusinessMs(cal, from, remaining);
      return result;
    }
    remaining -= ms;
  }
  if (clock.resolution.state === 'running')
    result.dueAt = addBusinessMs(currentCalendar, Math.max(asOf, update.at), remaining);
  return result;
}
