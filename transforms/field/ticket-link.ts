import { createHash } from 'node:crypto';
import { eventId, SCHEMA_VERSION } from '../../core/events/common.js';
import type { FieldJobEvent } from '../../core/events/field-job.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import type { EventProducer } from '../../core/kafka.js';

// Dispatch as a handover pickup. The ticket's facts are computed from the ticket's own history, so
// a dispatch of a job linked to the ticket has to become part of that history: for every
// `job.dispatched` of a job whose creation names a ticket, the field transform writes a
// `ticket.field_dispatched` to the ticket topic (keyed by the ticket, like every ticket event).
//
// Exactly once in effect: the ticket event's id and content are derived only from the job's
// events, so writing it again (a redone batch after a crash, a later event of the same job)
// produces the same event, which the lifecycle transform and ticket_events collapse on its id.
// The write is acknowledged (acks=all) before the field batch's offsets are committed, so a crash
// in between redoes the batch and writes it again; nothing is lost. A dispatch that arrives before
// its job's creation is written once the creation (and so the ticket link) arrives.

const CHUNK = 2_000;
const digest = (s: string) => createHash('sha256').update(s).digest('hex');

/** The ticket events a job's history implies: one per dispatch, once the job is linked to a ticket. */
export function ticketDispatchEvents(history: readonly FieldJobEvent[]): TicketEvent[] {
  const created = history.find((e) => e.type === 'job.created');
  if (created?.type !== 'job.created' || created.ticketId === undefined) return [];
  const ticketId = created.ticketId;
  const seen = new Set<string>();
  const out: TicketEvent[] = [];
  for (const e of history) {
    if (e.type !== 'job.dispatched' || seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    const id = eventId('baton-field', 'ticket', ticketId, `dispatch-${digest(e.eventId).slice(0, 32)}`);
    out.push({
      // Ticket ids may be long: the id is capped like every identifier (200), hashed when needed.
      eventId: id.length <= 200 ? id : `baton-field:ticket:${digest(id)}`,
      schemaVersion: SCHEMA_VERSION,
      source: 'baton-field',
      tenant: e.tenant,
      ticketId,
      occurredAt: e.occurredAt,
      receivedAt: e.receivedAt,
      type: 'ticket.field_dispatched',
      jobId: e.jobId,
      engineer: e.engineer,
      ...(e.team === undefined ? {} : { team: e.team }),
    });
  }
  return out;
}

/**
 * After a field batch is stored: writes the ticket events of the jobs the batch linked or
 * dispatched (a batch with only, say, an arrival on site changes none of them).
 */
export function linkDispatchesToTickets(
  producer: EventProducer,
  ticketTopic: string,
): (histories: readonly (readonly FieldJobEvent[])[], events: readonly FieldJobEvent[]) => Promise<void> {
  return async (histories, events) => {
    const jobs = new Set(
      events
        .filter((e) => e.type === 'job.created' || e.type === 'job.dispatched')
        .map((e) => `${e.tenant}\u0000${e.jobId}`),
    );
    const messages: { key: string; value: string }[] = [];
    for (const history of histories) {
      const first = history[0];
      if (!first || !jobs.has(`${first.tenant}\u0000${first.jobId}`)) continue;
      for (const t of ticketDispatchEvents(history))
        messages.push({ key: t.ticketId, value: JSON.stringify(t) });
    }
    // In chunks, like the ingest sink, so one write stays well under the broker's request limit.
    for (let i = 0; i < messages.length; i += CHUNK)
      await producer.send(ticketTopic, messages.slice(i, i + CHUNK));
  };
}
