import type { TicketEvent } from '../../core/events/ticket.js';
import { tables } from '../../core/tables.js';
import type { EntityFamily, Projection } from '../history/transform.js';
import { computeBacklogHistory } from './backlog-periods.js';
import { parseTicketMessage } from './parse.js';
import { backlogPeriodsRow, insertTicketEvents, loadTicketHistories } from './sink.js';

export const ticketFamily: EntityFamily<TicketEvent> = {
  name: 'ticket',
  parse: parseTicketMessage,
  entityId: (e) => e.ticketId,
  storeEvents: insertTicketEvents,
  loadHistories: loadTicketHistories,
};

export const backlogPeriodsProjection: Projection<TicketEvent> = {
  table: tables.ticketLifecycle,
  rowFor(history) {
    const periods = computeBacklogHistory(history);
    return periods ? backlogPeriodsRow(periods) : null;
  },
};

/** Every table derived per ticket from its history; each is rewritten when the history grows. */
export const ticketProjections: Projection<TicketEvent>[] = [backlogPeriodsProjection];
