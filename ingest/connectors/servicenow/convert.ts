import { eventId, type TicketEvent } from '../../../core/events/index.js';
import type { NormalisedStatus } from '../../../core/mapping.js';
import { drop, type Outcome, ok } from '../../../core/outcome.js';
import { type Common, lifecycleType, ticketEvent } from '../shared/events.js';
import { channelOf } from '../shared/fields.js';
import type { ConvertContext } from '../shared/webhook.js';
import type { IncidentSnapshot, ServiceNowWebhook } from './schema.js';

export const SOURCE = 'servicenow';

// Incident `hold_reason` choice values (Awaiting Caller / Problem / Vendor / Change).
const holdReasonCodes: Record<string, NormalisedStatus['holdReason']> = {
  '1': 'customer',
  '3': 'other',
  '4': 'vendor',
  '5': 'change',
};

const stateOf = (r: IncidentSnapshot) => r.state ?? r.incident_state;

function statusOf(r: IncidentSnapshot, ctx: ConvertContext): Outcome<NormalisedStatus> {
  const status = ctx.mapping.mapStatus(stateOf(r));
  if (status.kind !== 'ok' || status.value.status !== 'on_hold' || r.hold_reason === undefined) return status;
  const byCode = holdReasonCodes[r.hold_reason];
  if (byCode) return ok({ status: 'on_hold', holdReason: byCode });
  const byName = ctx.mapping.mapStatus(r.hold_reason);
  return ok({ status: 'on_hold', holdReason: byName.kind === 'ok' ? byName.value.holdReason : 'other' });
}

/** The owning team's region: the team's own (mapping `teams`), else the incident's location. */
function teamRegion(team: string, r: IncidentSnapshot, ctx: ConvertContext): Outcome<string> {
  const own = ctx.mapping.mapRegion(team, team);
  return own.kind === 'ok' ? own : ctx.mapping.mapRegion(r.location, team);
}

/**
 * One business-rule delivery → canonical ticket events, from the difference between `current` and
 * `previous` (an insert is a difference from nothing). Ids are `sys_id` + `sys_mod_count`, so a
 * re-sent delivery yields the same ids.
 */
export function convertServiceNow(p: ServiceNowWebhook, ctx: ConvertContext): Outcome<TicketEvent[]> {
  const cur = p.current;
  const prev = p.operation === 'insert' ? null : (p.previous ?? null);
  const common: Common = {
    schemaVersion: 1,
    source: SOURCE,
    tenant: ctx.tenant,
    ticketId: cur.number,
    receivedAt: ctx.receivedAt,
  };
  const id = (change: string) => eventId(SOURCE, 'ticket', cur.sys_id, change);
  const mod = String(cur.sys_mod_count);
  const at = cur.sys_updated_on;
  const events: TicketEvent[] = [];
  const team = cur.assignment_group;

  const status = statusOf(cur, ctx);
  if (status.kind !== 'ok') return status;
  const prevStatus = prev ? statusOf(prev, ctx) : null;
  if (prevStatus && prevStatus.kind !== 'ok') return prevStatus;

  if (!prev) {
    const region = ctx.mapping.mapRegion(cur.location, team);
    if (region.kind !== 'ok') return region;
    const priority = ctx.mapping.mapPriority(cur.priority);
    if (priority.kind !== 'ok') return priority;
    const tier = ctx.mapping.mapTier(undefined, team);
    if (tier.kind !== 'ok') return tier;
    events.push(
      ticketEvent(common, {
        type: 'ticket.created',
        eventId: id('created'),
        occurredAt: cur.opened_at ?? at,
        customer: cur.company ?? ctx.tenant,
        region: region.value,
        priority: priority.value,
        ...(cur.priority !== undefined ? { originalPriority: cur.priority } : {}),
        ...(cur.location !== undefined ? { originalRegion: cur.location } : {}),
        ...(cur.category !== undefined ? { category: cur.category } : {}),
        ...(channelOf(cur.contact_type) ? { channel: channelOf(cur.contact_type) } : {}),
        ...(team !== undefined ? { team } : {}),
        ...(tier.value ? { tier: tier.value } : {}),
      }),
    );
  }

  const assignmentChanged = !prev || prev.assignment_group !== team || prev.assigned_to !== cur.assigned_to;
  if (team !== undefined && assignmentChanged) {
    const region = teamRegion(team, cur, ctx);
    if (region.kind !== 'ok') return region;
    const tier = ctx.mapping.mapTier(undefined, team);
    if (tier.kind !== 'ok') return tier;
    events.push(
      ticketEvent(common, {
        type: 'ticket.assigned',
        eventId: id(prev ? `${mod}.assigned` : 'created.assigned'),
        occurredAt: prev ? at : (cur.opened_at ?? at),
        team,
        region: region.value,
        originalTeam: team,
        ...(tier.value ? { tier: tier.value } : {}),
        ...(cur.assigned_to !== undefined ? { agent: cur.assigned_to } : {}),
      }),
    );
  }

  if (prev && prev.priority !== cur.priority) {
    const priority = ctx.mapping.mapPriority(cur.priority);
    if (priority.kind !== 'ok') return priority;
    events.push(
      ticketEvent(common, {
        type: 'ticket.priority_changed',
        eventId: id(`${mod}.priority`),
        occurredAt: at,
        priority: priority.value,
        ...(cur.priority !== undefined ? { originalPriority: cur.priority } : {}),
      }),
    );
  }

  const before = prevStatus?.value;
  const changed = prev
    ? stateOf(prev) !== stateOf(cur) || before?.holdReason !== status.value.holdReason
    : status.value.status !== 'new';
  if (changed) {
    const original = stateOf(cur);
    events.push(
      ticketEvent(common, {
        type: 'ticket.status_changed',
        eventId: id(prev ? `${mod}.status` : 'created.status'),
        occurredAt: at,
        status: status.value.status,
        ...(original !== undefined ? { originalStatus: original } : {}),
        ...(status.value.holdReason ? { holdReason: status.value.holdReason } : {}),
      }),
    );
    const lifecycle = lifecycleType(before?.status, status.value.status);
    if (lifecycle) {
      const when =
        lifecycle === 'ticket.resolved'
          ? cur.resolved_at
          : lifecycle === 'ticket.closed'
            ? cur.closed_at
            : undefined;
      events.push(
        ticketEvent(common, {
          type: lifecycle,
          eventId: id(`${prev ? mod : 'created'}.${lifecycle.slice('ticket.'.length)}`),
          occurredAt: when ?? at,
        }),
      );
    }
  }

  if (events.length === 0) return drop('no tracked field changed (state, priority, assignment)');
  return ok(events);
}
