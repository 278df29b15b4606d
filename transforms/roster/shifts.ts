import { toClickHouseTime } from '../../core/clickhouse.js';
import type { RosterEvent } from '../../core/events/roster.js';
import { tables } from '../../core/tables.js';
import type { Projection } from '../history/transform.js';

// An agent's shifts (who is present, where, when) from the agent's whole roster history, for the
// coverage gap (docs/metrics.md, "Coverage gap"). Shifts of one region that overlap or touch are
// merged: a shift reported twice, or by two sources, or split at midnight, is one stretch of
// presence, so an agent never counts twice in the same instant. Shifts in different regions are
// kept apart (each region's coverage counts the agent while there). A shift whose end is not
// after its start is ignored (nobody was there).

export interface Shift {
  region: string;
  /** The team of the earliest shift of a merged stretch ('' when none was named). */
  team: string;
  start: number;
  end: number;
}

export interface AgentShifts {
  tenant: string;
  agentId: string;
  /** Number of distinct events of the agent (all roster events): grows with the history. */
  version: number;
  shifts: Shift[];
}

/** Merged shifts of one agent, ordered by region then start; null when the history has none. */
export function computeShifts(events: readonly RosterEvent[]): AgentShifts | null {
  const unique = new Map<string, RosterEvent>();
  for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const raw: Shift[] = [];
  for (const e of unique.values()) {
    if (e.type !== 'roster.shift') continue;
    const start = Date.parse(e.start);
    const end = Date.parse(e.end);
    if (end > start) raw.push({ region: e.region, team: e.team ?? '', start, end });
  }
  const first = unique.values().next().value;
  if (!first || raw.length === 0) return null;
  raw.sort(
    (a, b) =>
      (a.region < b.region ? -1 : a.region > b.region ? 1 : 0) ||
      a.start - b.start ||
      a.end - b.end ||
      (a.team < b.team ? -1 : a.team > b.team ? 1 : 0),
  );
  const shifts: Shift[] = [];
  for (const s of raw) {
    const last = shifts.at(-1);
    if (last && last.region === s.region && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else shifts.push({ ...s });
  }
  return { tenant: first.tenant, agentId: first.agentId, version: unique.size, shifts };
}

/** The agent_shifts row of an agent (sql/migrations/0010_coverage_staleness_specialists.sql). */
export function shiftsRow(a: AgentShifts): Record<string, unknown> {
  return {
    tenant: a.tenant,
    agent_id: a.agentId,
    version: a.version,
    s_region: a.shifts.map((s) => s.region),
    s_team: a.shifts.map((s) => s.team),
    s_start: a.shifts.map((s) => toClickHouseTime(s.start)),
    s_end: a.shifts.map((s) => toClickHouseTime(s.end)),
  };
}

export const shiftsProjection: Projection<RosterEvent> = {
  table: tables.agentShifts,
  rowFor(history) {
    const shifts = computeShifts(history);
    return shifts ? shiftsRow(shifts) : null;
  },
};
