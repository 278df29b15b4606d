import { fieldProblems, type TicketEvent, ticketEventSchema } from '../../core/events/ticket.js';
import type { IncomingMessage } from '../../core/kafka.js';
import { dlq, type Outcome, ok } from '../../core/outcome.js';

/** A Kafka record to a canonical ticket event, or the precise reason it is unusable. */
export function parseTicketMessage(message: IncomingMessage): Outcome<TicketEvent> {
  if (!message.value || message.value.length === 0) return dlq('empty record');
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return dlq(`invalid JSON: ${(err as Error).message}`);
  }
  const parsed = ticketEventSchema.safeParse(json);
  if (!parsed.success) return dlq('not a canonical ticket event v1', fieldProblems(parsed.error));
  if (message.key !== null && message.key !== parsed.data.ticketId) {
    return dlq(
      `record key ${JSON.stringify(message.key)} is not the ticketId ${JSON.stringify(parsed.data.ticketId)}`,
    );
  }
  return ok(parsed.data);
}
