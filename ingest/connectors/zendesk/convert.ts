import { eventId, type TicketEvent } from '../../../core/events/index.js';
import { drop, type Outcome, ok } from '../../../core/outcome.js';
import { type Common, lifecycleType, ticketEvent } from '../shared/events.js';
import { channelOf } from '../shared/fields.js';
import type { ConvertContext } from '../shared/webhook.js';
import type { ZendeskWebhook } from './schema.js';

export const SOURCE = 'zendesk';

// Zendesk events carry ids, not names: the team is the group id, whose region comes from the
// mapping's `teams` section (keyed by group id) or `defaultRegion`; the customer is the
// organization id, else the tenant; the agent is the assignee's user id.

const text = (v: string | number | null | undefined) =>
  v === null || v === undefined || String(v).trim() === '' ? undefined : String(v).trim();

export function convertZendesk(p: ZendeskWebhook, ctx: ConvertContext): Outcome<TicketEvent[]> {
  const t = p.detail;
  const kind = p.type.slice('zen:event-type:'.length);
  const common: Common = {
    schemaVersion: 1,
    source: SOURCE,
    tenant: ctx.tenant,
    ticketId: t.id,
    receivedAt: ctx.receivedAt,
  };
  const id = (suffix: string) => eventId(SOURCE, 'ticket', t.id, `${p.id}.${suffix}`);
  const at = p.time;
  const events: TicketEvent[] = [];

  const assigned = (team: string, agent: string | undefined, occurredAt: string): Outcome<TicketEvent> => {
    const region = ctx.mapping.mapRegion(team, team);
    if (region.kind !== 'ok') return region;
    const tier = ctx.mapping.mapTier(undefined, team);
    if (tier.kind !== 'ok') return tier;
    return ok(
      ticketEvent(common, {
        type: 'ticket.assigned',
        eventId: id('assigned'),
        occurredAt,
        team,
        region: region.value,
        originalTeam: team,
        ...(tier.value ? { tier: tier.value } : {}),
        ...(agent ? { agent } : {}),
      }),
    );
  };
  const statusEvents = (
    current: string,
    previous: string | undefined,
    occurredAt: string,
  ): Outcome<TicketEvent[]> => {
    const status = ctx.mapping.mapStatus(current);
    if (status.kind !== 'ok') return status;
    const before = previous === undefined ? undefined : ctx.mapping.mapStatus(previous);
    if (before && before.kind !== 'ok') return before;
    const out: TicketEvent[] = [
      ticketEvent(common, {
        type: 'ticket.status_changed',
        eventId: id('status'),
        occurredAt,
        status: status.value.status,
        originalStatus: current,
        ...(status.value.holdReason ? { holdReason: status.value.holdReason } : {}),
      }),
    ];
    const lifecycle = lifecycleType(before?.value.status, status.value.status);
    if (lifecycle) {
      out.push(ticketEvent(common, { type: lifecycle, eventId: id(lifecycle.slice(7)), occurredAt }));
    }
    return ok(out);
  };

  switch (kind) {
    case 'ticket.created': {
      const team = t.group_id;
      const region = ctx.mapping.mapRegion(undefined, team);
      if (region.kind !== 'ok') return region;
      const priority = ctx.mapping.mapPriority(t.priority);
      if (priority.kind !== 'ok') return priority;
      const tier = ctx.mapping.mapTier(undefined, team);
      if (tier.kind !== 'ok') return tier;
      const channel = channelOf(t.via?.channel);
      events.push(
        ticketEvent(common, {
          type: 'ticket.created',
          eventId: id('created'),
          occurredAt: t.created_at,
          customer: t.organization_id ?? ctx.tenant,
          region: region.value,
          priority: priority.value,
          ...(t.priority ? { originalPriority: t.priority } : {}),
          ...(t.type ? { category: t.type.toLowerCase() } : {}),
          ...(channel ? { channel } : {}),
          ...(team ? { team } : {}),
          ...(tier.value ? { tier: tier.value } : {}),
        }),
      );
      if (team) {
        const a = assigned(team, t.assignee_id, t.created_at);
        if (a.kind !== 'ok') return a;
        events.push(a.value);
      }
      const initial = ctx.mapping.mapStatus(t.status);
      if (initial.kind !== 'ok') return initial;
      if (initial.value.status !== 'new') {
        const s = statusEvents(t.status, undefined, t.created_at);
        if (s.kind !== 'ok') return s;
        events.push(...s.value);
      }
      break;
    }
    case 'ticket.status_changed': {
      const s = statusEvents(text(p.event?.current) ?? t.status, text(p.event?.previous), at);
      if (s.kind !== 'ok') return s;
      events.push(...s.value);
      break;
    }
    case 'ticket.priority_changed': {
      const raw = text(p.event?.current) ?? t.priority;
      const priority = ctx.mapping.mapPriority(raw);
      if (priority.kind !== 'ok') return priority;
      events.push(
        ticketEvent(common, {
          type: 'ticket.priority_changed',
          eventId: id('priority'),
          occurredAt: at,
          priority: priority.value,
          ...(raw ? { originalPriority: raw } : {}),
        }),
      );
      break;
    }
    case 'ticket.group_assignment_changed':
    case 'ticket.agent_assignment_changed': {
      const byGroup = kind === 'ticket.group_assignment_changed';
      const team = byGroup ? (text(p.event?.current) ?? t.group_id) : t.group_id;
      const agent = byGroup ? t.assignee_id : text(p.event?.current);
      if (!team) return drop('the ticket has no group after this change: nothing to assign to');
      const a = assigned(team, agent, at);
      if (a.kind !== 'ok') return a;
      events.push(a.value);
      break;
    }
    default:
      return drop(`event type ${p.type} is not tracked`);
  }
  return ok(events);
}
