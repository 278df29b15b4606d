import type { RosterEvent } from '../../core/events/roster.js';

// The periods during which an agent was a member of a team, derived from the agent's whole roster
// history. Recomputing from the full history (rather than patching state) places late and
// out-of-order joins and leaves where they happened.

export interface Membership {
  team: string;
  region: string;
  role: string;
  fte: number;
}

export interface MembershipPeriod extends Membership {
  from: number;
  /** null while the membership lasts. */
  to: number | null;
}

export interface AgentMembership {
  tenant: string;
  agentId: string;
  /** Number of distinct events the periods were computed from: grows with the history. */
  version: number;
  periods: MembershipPeriod[];
}

// At the same millisecond a leave applies before a join, so "left team A, joined team B" at one
// instant is a move, and a leave + re-join at one instant leaves the agent active.
const typeOrder: Record<RosterEvent['type'], number> = {
  'roster.member_left': 0,
  'roster.member_joined': 1,
  'roster.shift': 2,
};

function orderEvents(events: readonly RosterEvent[]): RosterEvent[] {
  const unique = new Map<string, RosterEvent>();
  for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  return [...unique.values()].sort(
    (a, b) =>
      Date.parse(a.occurredAt) - Date.parse(b.occurredAt) ||
      typeOrder[a.type] - typeOrder[b.type] ||
      (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0),
  );
}

const sameMembership = (a: Membership, b: Membership) =>
  a.team === b.team && a.region === b.region && a.role === b.role && a.fte === b.fte;

/**
 * Membership periods of one agent. A join while not a member opens a period; a join that changes
 * team, region, role or FTE while a member is a move (close + open at that instant); a join that
 * changes nothing is a repeat and ignored; a leave closes the open period (a leave while not a
 * member changes nothing). Shifts do not change membership. Returns null until a join arrived.
 */
export function computeMembership(events: readonly RosterEvent[]): AgentMembership | null {
  const ordered = orderEvents(events);
  const periods: MembershipPeriod[] = [];
  let current: MembershipPeriod | null = null;

  for (const e of ordered) {
    const at = Date.parse(e.occurredAt);
    if (e.type === 'roster.member_joined') {
      const next: Membership = { team: e.team, region: e.region, role: e.role, fte: e.fte };
      if (current && sameMembership(current, next)) continue;
      if (current) current.to = at;
      current = { ...next, from: at, to: null };
      periods.push(current);
    } else if (e.type === 'roster.member_left' && current) {
      current.to = at;
      current = null;
    }
  }

  const first = ordered[0];
  if (!first || periods.length === 0) return null;
  return { tenant: first.tenant, agentId: first.agentId, version: ordered.length, periods };
}
