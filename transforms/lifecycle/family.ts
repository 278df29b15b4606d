import type { TicketEvent } from '../../core/events/ticket.js';
import { tables } from '../../core/tables.js';
import { type EntityFamily, entitiesWithEventsIn, type Projection } from '../history/transform.js';
import { slaProjection } from '../sla/row.js';
import type { SlaSettings } from '../sla/settings.js';
import { computeBacklogHistory } from './backlog-periods.js';
import { parseTicketMessage } from './parse.js';
import { backlogPeriodsRow, insertTicketEvents, lastEventAt, loadTicketHistories } from './sink.js';
import { ticketFactsProjection } from './ticket-facts-row.js';

export const ticketFamily: EntityFamily<TicketEvent> = {
  name: 'ticket',
  parse: parseTicketMessage,
  entityId: (e) => e.ticketId,
  storeEvents: insertTicketEvents,
  loadHistories: loadTicketHistories,
  entitiesWithEventsBetween: entitiesWithEventsIn(tables.ticketEvents, 'ticket_id'),
};

export const backlogPeriodsProjection: Projection<TicketEvent> = {
  table: tables.ticketLifecycle,
  rowFor(history) {
    const periods = computeBacklogHistory(history);
    return periods ? { ...backlogPeriodsRow(periods), last_event_at: lastEventAt(history) } : null;
  },
};

/**
 * Every table derived per ticket from its history; each is rewritten when the history grows.
 * Business time (handover latency, SLA) follows the configured calendars and policies.
 */
export function ticketProjections(settings: SlaSettings): Projection<TicketEvent>[] {
  return [backlogPeriodsProjection, ticketFactsProjection(settings.calendars), slaProjection(settings)];
}
