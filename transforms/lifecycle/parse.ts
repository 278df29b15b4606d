import { type TicketEvent, ticketEventSchema } from '../../core/events/ticket.js';
import { eventMessageParser } from '../history/parse.js';

/** A Kafka record to a canonical ticket event, or the precise reason it is unusable. */
export const parseTicketMessage = eventMessageParser(
  ticketEventSchema,
  'ticket',
  'ticketId',
  (e: TicketEvent) => e.ticketId,
);
