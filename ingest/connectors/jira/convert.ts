import { eventId, type TicketEvent, type TicketStatus } from '../../../core/events/index.js';
import { drop, type Outcome, ok } from '../../../core/outcome.js';
import { type Common, lifecycleType, ticketEvent } from '../shared/events.js';
import type { ConvertContext } from '../shared/webhook.js';
import type { JiraChangeItem, JiraWebhook } from './schema.js';

export const SOURCE = 'jira';

// The owning team is the issue's first Component (standard field, changelog field "Component"):
// Jira has no built-in assignment group, and components are how JSM service projects route work.
// Its region comes from the mapping's `teams` section (or `defaultRegion`). The customer is the
// project key (one service project per customer), the agent the assignee's accountId.

const fieldOf = (item: JiraChangeItem) => (item.fieldId ?? item.field).toLowerCase();
const isField = (item: JiraChangeItem, ...names: string[]) => names.includes(fieldOf(item));

export function convertJira(p: JiraWebhook, ctx: ConvertContext): Outcome<TicketEvent[]> {
  const { issue } = p;
  const f = issue.fields;
  const common: Common = {
    schemaVersion: 1,
    source: SOURCE,
    tenant: ctx.tenant,
    ticketId: issue.key,
    receivedAt: ctx.receivedAt,
  };
  const created = p.webhookEvent === 'jira:issue_created';
  // Change discriminator: the changelog id, else the delivery's own timestamp.
  const change = created ? 'created' : p.changelog?.id ? `c${p.changelog.id}` : `t${p.timestamp}`;
  const id = (suffix: string) => eventId(SOURCE, 'ticket', issue.id, suffix ? `${change}.${suffix}` : change);
  const at = created ? f.created : new Date(p.timestamp).toISOString();
  const team = f.components?.[0]?.name;
  const agent = f.assignee?.accountId;
  const items = p.changelog?.items ?? [];
  const events: TicketEvent[] = [];

  if (created) {
    const region = ctx.mapping.mapRegion(undefined, team);
    if (region.kind !== 'ok') return region;
    const priority = ctx.mapping.mapPriority(f.priority?.name);
    if (priority.kind !== 'ok') return priority;
    const tier = ctx.mapping.mapTier(undefined, team);
    if (tier.kind !== 'ok') return tier;
    events.push(
      ticketEvent(common, {
        type: 'ticket.created',
        eventId: id(''),
        occurredAt: at,
        customer: f.project.key,
        region: region.value,
        priority: priority.value,
        ...(f.priority ? { originalPriority: f.priority.name } : {}),
        ...(f.issuetype ? { category: f.issuetype.name } : {}),
        ...(team ? { team } : {}),
        ...(tier.value ? { tier: tier.value } : {}),
      }),
    );
  }

  if (team && (created || items.some((i) => isField(i, 'components', 'component', 'assignee')))) {
    const region = ctx.mapping.mapRegion(team, team);
    if (region.kind !== 'ok') return region;
    const tier = ctx.mapping.mapTier(undefined, team);
    if (tier.kind !== 'ok') return tier;
    events.push(
      ticketEvent(common, {
        type: 'ticket.assigned',
        eventId: id('assigned'),
        occurredAt: at,
        team,
        region: region.value,
        originalTeam: team,
        ...(tier.value ? { tier: tier.value } : {}),
        ...(agent ? { agent } : {}),
      }),
    );
  }

  const priorityItem = items.find((i) => isField(i, 'priority'));
  if (priorityItem) {
    const priority = ctx.mapping.mapPriority(priorityItem.toString);
    if (priority.kind !== 'ok') return priority;
    events.push(
      ticketEvent(common, {
        type: 'ticket.priority_changed',
        eventId: id('priority'),
        occurredAt: at,
        priority: priority.value,
        ...(priorityItem.toString ? { originalPriority: priorityItem.toString } : {}),
      }),
    );
  }

  const statusItem = items.find((i) => isField(i, 'status'));
  const newStatusName = created
    ? f.status.name
    : statusItem
      ? (statusItem.toString ?? f.status.name)
      : undefined;
  if (newStatusName !== undefined) {
    const status = ctx.mapping.mapStatus(newStatusName);
    if (status.kind !== 'ok') return status;
    let before: TicketStatus | undefined;
    if (statusItem?.fromString) {
      const prev = ctx.mapping.mapStatus(statusItem.fromString);
      if (prev.kind !== 'ok') return prev;
      before = prev.value.status;
    }
    if (!created || status.value.status !== 'new') {
      events.push(
        ticketEvent(common, {
          type: 'ticket.status_changed',
          eventId: id('status'),
          occurredAt: at,
          status: status.value.status,
          originalStatus: newStatusName,
          ...(status.value.holdReason ? { holdReason: status.value.holdReason } : {}),
        }),
      );
      const lifecycle = lifecycleType(before, status.value.status);
      if (lifecycle) {
        events.push(
          ticketEvent(common, {
            type: lifecycle,
            eventId: id(lifecycle.slice('ticket.'.length)),
            occurredAt: at,
          }),
        );
      }
    }
  }

  if (events.length === 0) return drop('no tracked field changed (status, priority, assignee, component)');
  return ok(events);
}
