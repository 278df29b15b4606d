import type { TicketEvent } from '../core/events/ticket.js';
import type { EventProducer } from '../core/kafka.js';

/** Sends canonical ticket events keyed by ticket id, in chunks; resolves once Kafka acknowledged all. */
export async function emitTicketEvents(
  producer: EventProducer,
  topic: string,
  events: readonly TicketEvent[],
  chunkSize = 2_000,
): Promise<void> {
  for (let i = 0; i < events.length; i += chunkSize) {
    await producer.send(
      topic,
      events.slice(i, i + chunkSize).map((e) => ({ key: e.ticketId, value: JSON.stringify(e) })),
    );
  }
}
