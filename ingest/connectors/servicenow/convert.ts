import type { TicketEvent } from '../../../core/events/index.js';
import { drop, type Outcome, ok } from '../../../core/outcome.js';
import type { ConvertContext } from '../shared/webhook.js';
import { type TicketSnapshot, ticketChangeEvents } from '../snapshot-diff.js';
import { type Choice, type IncidentState, incidentSnapshot, noChoice } from './incident.js';
import type { IncidentSnapshot, ServiceNowWebhook } from './schema.js';

export const SOURCE = 'servicenow';

const choice = (value: string | undefined): Choice =>
  value === undefined ? noChoice : { value, display: '' };

/** A business rule's `current` / `previous` as the normaliser the Table API poller shares takes it. */
function incidentState(r: IncidentSnapshot, atCreation: boolean): IncidentState {
  return {
    sysId: r.sys_id,
    number: r.number,
    modCount: String(r.sys_mod_count),
    updatedAt: r.sys_updated_on,
    openedAt: r.opened_at,
    createdOn: r.sys_created_on,
    resolvedAt: r.resolved_at,
    closedAt: r.closed_at,
    state: choice(r.state),
    incidentState: choice(r.incident_state),
    holdReason: choice(r.hold_reason),
    priority: choice(r.priority),
    category: choice(r.category),
    contactType: r.contact_type,
    assignmentGroup: r.assignment_group,
    assignedTo: r.assigned_to,
    company: r.company,
    location: r.location,
    atCreation,
  };
}

/**
 * One business-rule delivery → canonical ticket events, from the difference between `current` and
 * `previous` (an insert is a difference from nothing), by the same snapshot diff the Table API
 * poller uses: ticketId is the `number`, ids are `sys_id` + `sys_mod_count` (`created…` for an
 * insert), so a re-sent delivery — or the poller seeing the same change — yields the same events.
 */
export function convertServiceNow(p: ServiceNowWebhook, ctx: ConvertContext): Outcome<TicketEvent[]> {
  const insert = p.operation === 'insert' || !p.previous;
  const current = incidentSnapshot(incidentState(p.current, insert), ctx.mapping, ctx.tenant);
  if (current.kind !== 'ok') return current;
  let previous: TicketSnapshot | undefined;
  if (!insert && p.previous) {
    const before = incidentSnapshot(incidentState(p.previous, false), ctx.mapping, ctx.tenant);
    if (before.kind !== 'ok') return { ...before, reason: `previous: ${before.reason}` };
    previous = before.value;
  }
  const events = ticketChangeEvents(previous, current.value, {
    source: SOURCE,
    tenant: ctx.tenant,
    receivedAt: ctx.receivedAt,
  });
  if (events.kind !== 'ok') return events;
  if (events.value.length === 0) return drop('no tracked field changed (state, priority, assignment)');
  return ok(events.value);
}
