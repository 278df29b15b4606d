import type { ClickHouseClient } from '../../core/clickhouse.js';
import { type DeadLetter, deadLetter } from '../../core/dead-letter.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import type { EventProducer, PartitionBatch } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { computeBacklogHistory, type TicketBacklogHistory } from './backlog-periods.js';
import { parseTicketMessage } from './parse.js';
import { insertBacklogHistories, insertTicketEvents, loadTicketHistories } from './sink.js';

export interface LifecycleTransformOptions {
  ch: ClickHouseClient;
  deadLetters: EventProducer;
  deadLetterTopic: string;
  logger: Logger;
  /** Ticket histories kept in memory; a miss reloads the history from ClickHouse. */
  cacheTickets?: number;
}

export interface BatchResult {
  events: number;
  deadLettered: number;
  ticketsUpdated: number;
}

/**
 * Maintains each ticket's backlog periods from its canonical events. `handleBatch` resolves only
 * after ClickHouse acknowledged every row derived from the batch, and dead letters were
 * acknowledged by Kafka, so the caller may then commit the batch's offsets.
 */
export class LifecycleTransform {
  private readonly histories = new Map<string, TicketEvent[]>();
  private readonly cacheTickets: number;

  constructor(private readonly opts: LifecycleTransformOptions) {
    this.cacheTickets = opts.cacheTickets ?? 200_000;
  }

  /** Another instance may have written histories for partitions this one now owns. */
  forgetCachedHistories(): void {
    this.histories.clear();
  }

  async handleBatch(batch: PartitionBatch): Promise<BatchResult> {
    const events: TicketEvent[] = [];
    const deadLetters: DeadLetter[] = [];
    for (const message of batch.messages) {
      const outcome = parseTicketMessage(message);
      if (outcome.kind === 'ok') events.push(outcome.value);
      else if (outcome.kind === 'dlq') {
        deadLetters.push(
          deadLetter(
            { kind: 'kafka', ref: `${batch.topic}:${batch.partition}:${message.offset}` },
            outcome.reason,
            message.value ?? '',
            outcome.problems,
          ),
        );
      }
    }

    if (deadLetters.length > 0) {
      await this.opts.deadLetters.send(
        this.opts.deadLetterTopic,
        deadLetters.map((d) => ({
          key: d.origin.ref,
          value: JSON.stringify(d),
        })),
      );
      this.opts.logger.warn(
        { count: deadLetters.length, first: deadLetters[0]?.reason },
        'dead-lettered records',
      );
    }

    const touched = await this.historiesOf(events);
    await insertTicketEvents(this.opts.ch, events);
    const rows: TicketBacklogHistory[] = [];
    for (const history of touched.values()) {
      const row = computeBacklogHistory(history);
      if (row) rows.push(row);
    }
    await insertBacklogHistories(this.opts.ch, rows);
    return { events: events.length, deadLettered: deadLetters.length, ticketsUpdated: rows.length };
  }

  /** Full histories (stored + new) of the tickets the events belong to, keyed by tenant and ticket. */
  private async historiesOf(events: TicketEvent[]): Promise<Map<string, TicketEvent[]>> {
    const touched = new Map<string, TicketEvent[]>();
    const missing = new Map<string, Set<string>>();
    for (const e of events) {
      const key = `${e.tenant}\u0000${e.ticketId}`;
      if (touched.has(key)) continue;
      const cached = this.histories.get(key);
      if (cached) touched.set(key, cached);
      else {
        touched.set(key, []);
        const ids = missing.get(e.tenant) ?? new Set<string>();
        ids.add(e.ticketId);
        missing.set(e.tenant, ids);
      }
    }
    for (const [tenant, ids] of missing) {
      const stored = await loadTicketHistories(this.opts.ch, tenant, [...ids]);
      for (const [ticketId, history] of stored) touched.set(`${tenant}\u0000${ticketId}`, history);
    }
    for (const e of events) {
      const history = touched.get(`${e.tenant}\u0000${e.ticketId}`)!;
      if (!history.some((h) => h.eventId === e.eventId)) history.push(e);
    }
    for (const [key, history] of touched) {
      this.histories.delete(key); // re-insert: Map order doubles as least-recently-used order
      this.histories.set(key, history);
    }
    while (this.histories.size > this.cacheTickets) {
      const oldest = this.histories.keys().next().value;
      if (oldest === undefined) break;
      this.histories.delete(oldest);
    }
    return touched;
  }
}
