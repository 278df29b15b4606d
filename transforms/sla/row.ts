import { toClickHouseTime } from '../../core/clickhouse.js';
import type { Priority, TicketEvent } from '../../core/events/ticket.js';
import { tables } from '../../core/tables.js';
import type { Projection } from '../history/transform.js';
import { orderEvents } from '../lifecycle/backlog-periods.js';
import { lastEventAt } from '../lifecycle/sink.js';
import { type ClockSummary, type RiskLevel, type SlaClock, slaForTicket } from './clock.js';
import type { SlaSettings } from './settings.js';
import { computeUpdateClock, type UpdateClock } from './update.js';

// The ticket_sla row of one ticket as of an instant (sql/migrations/0007_ticket_sla.sql).

export const riskLevels: readonly RiskLevel[] = ['none', 'watch', 'warning', 'critical', 'breached'];

export function riskRank(level: RiskLevel): number {
  return riskLevels.indexOf(level);
}

const TWO_POW_32 = 2n ** 32n;

/**
 * ReplacingMergeTree version: the history length in the high 32 bits, the evaluation instant (whole
 * seconds) in the low 32. A longer history always wins, whatever instant either row was computed
 * at; for the same history the later evaluation wins. Seconds fit 32 bits until 2106. As a
 * decimal string: the value exceeds 2^53 and must not pass through a JS number.
 */
export function slaVersion(eventCount: number, asOfMs: number): string {
  if (!Number.isInteger(eventCount) || eventCount < 0 || eventCount >= 2 ** 32)
    throw new RangeError(`event count ${eventCount} does not fit 32 bits`);
  const seconds = Math.floor(asOfMs / 1000);
  if (seconds < 0 || seconds >= 2 ** 32) throw new RangeError(`as-of ${asOfMs} does not fit 32 bits`);
  return (BigInt(eventCount) * TWO_POW_32 + BigInt(seconds)).toString();
}

/** Current owner (team '' until assigned) of the ticket as of `asOf`. */
function ownerAt(ordered: readonly TicketEvent[], asOf: number): { team: string; region: string } {
  let team = '';
  let region = '';
  for (const e of ordered) {
    if (Date.parse(e.occurredAt) > asOf) break;
    if (e.type === 'ticket.created') [team, region] = [e.team ?? team, e.region];
    if (e.type === 'ticket.assigned') [team, region] = [e.team, e.region];
  }
  return { team, region };
}

const time = (ms: number | null) => (ms === null ? null : toClickHouseTime(ms));

function clockColumns(prefix: 'res' | 'resp', c: ClockSummary): Record<string, unknown> {
  return {
    [`${prefix}_target_seconds`]: c.targetSeconds,
    [`${prefix}_elapsed_seconds`]: c.elapsedSeconds,
    [`${prefix}_paused_seconds`]: c.pausedSeconds,
    [`${prefix}_remaining_seconds`]: c.remainingSeconds,
    [`${prefix}_percent`]: c.percentConsumed,
    [`${prefix}_state`]: c.state,
    [`${prefix}_outcome`]: c.outcome,
    [`${prefix}_risk`]: c.risk,
    [`${prefix}_due_at`]: time(c.dueAt),
    [`${prefix}_breached_at`]: time(c.breachedAt),
  };
}

/**
 * The ticket's own risk and due time: the resolution clock always counts (a breached resolution
 * stays breached); the response clock only while it still runs, because once answered (in time or
 * late) there is nothing left to act on. Due = the earliest due time of the clocks that count.
 */
function ticketRisk(clock: SlaClock): { risk: RiskLevel; dueAt: number | null } {
  const counting = [clock.resolution];
  if (clock.response.state !== 'stopped') counting.push(clock.response);
  let risk: RiskLevel = 'none';
  let dueAt: number | null = null;
  for (const c of counting) {
    if (riskRank(c.risk) > riskRank(risk)) risk = c.risk;
    if (c.dueAt !== null && (dueAt === null || c.dueAt < dueAt)) dueAt = c.dueAt;
  }
  return { risk, dueAt };
}

function updateClockOf(
  history: readonly TicketEvent[],
  clock: SlaClock,
  settings: SlaSettings,
  priority: Priority,
  region: string,
  asOf: number,
): UpdateClock | null {
  const policy = settings.policies.find((p) => p.id === clock.policyId);
  if (!policy) return null;
  const current =
    policy.calendar === 'owner'
      ? settings.calendars.forRegion(region)
      : settings.calendars.byId(policy.calendar);
  if (!current) return null; // the SLA clock itself would have failed on this calendar
  return computeUpdateClock(history, clock, policy, priority, settings.calendars, current, asOf);
}

/** The ticket_sla row of a history as of `asOf`, or null until its creation is known. */
export function slaRow(
  history: readonly TicketEvent[],
  settings: SlaSettings,
  asOf: number,
): Record<string, unknown> | null {
  const clock = slaForTicket(history, settings.policies, settings.calendars, asOf);
  if (!clock) return null;
  const ordered = orderEvents(history);
  const created = ordered.find((e) => e.type === 'ticket.created');
  if (created?.type !== 'ticket.created') return null;
  let priority = created.priority;
  for (const e of ordered)
    if (e.type === 'ticket.priority_changed' && Date.parse(e.occurredAt) <= asOf) priority = e.priority;
  const owner = ownerAt(ordered, asOf);
  const { risk, dueAt } = ticketRisk(clock);
  const update = updateClockOf(history, clock, settings, priority, owner.region, asOf);
  const res = clock.resolution;
  return {
    tenant: clock.tenant,
    ticket_id: clock.ticketId,
    version: slaVersion(ordered.length, asOf),
    event_count: ordered.length,
    as_of: toClickHouseTime(asOf),
    last_event_at: lastEventAt(history),
    policy_id: clock.policyId,
    calendar: clock.calendar,
    customer: created.customer,
    region: owner.region,
    team: owner.team,
    priority,
    created_at: toClickHouseTime(clock.createdAt),
    responded_at: time(clock.respondedAt),
    last_update_at: time(update?.lastUpdateAt ?? null),
    last_update_kind: update?.lastUpdateKind ?? '',
    update_interval_seconds: update === null ? 0 : Math.round(update.intervalSeconds),
    update_due_at: time(update?.dueAt ?? null),
    risk,
    risk_rank: riskRank(risk),
    due_at: time(dueAt),
    stopped: res.state === 'stopped' ? 1 : 0,
    met: res.outcome === 'met' ? 1 : 0,
    breached: res.outcome === 'breached' ? 1 : 0,
    breached_at: time(res.breachedAt),
    ...clockColumns('res', res),
    res_stopped_at: time(res.stoppedAt),
    ...clockColumns('resp', clock.response),
    team_name: clock.byTeam.map((t) => t.team),
    team_region: clock.byTeam.map((t) => t.region),
    team_elapsed_seconds: clock.byTeam.map((t) => t.elapsedSeconds),
    team_paused_seconds: clock.byTeam.map((t) => t.pausedSeconds),
  };
}

/** The SLA projection: appended to the ticket projections with the start-up settings. */
export function slaProjection(settings: SlaSettings): Projection<TicketEvent> {
  return {
    table: tables.ticketSla,
    rowFor: (history, ctx) => slaRow(history, settings, ctx.now),
  };
}
