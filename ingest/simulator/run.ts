import type { TicketEvent } from '../../core/events/ticket.js';
import type { EventProducer } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { emitTicketEvents } from '../emit.js';
import { type SimulationOptions, ticketsCreatedBetween, ticketsCreatedInHour } from './tickets.js';

const HOUR = 3_600_000;

export interface SimulationRun extends SimulationOptions {
  producer: EventProducer;
  topic: string;
  logger: Logger;
  /** Hours of history to produce at once before following the clock. */
  backfillHours: number;
  /** Keep producing events as their time comes, until the signal aborts. */
  follow: boolean;
  signal?: AbortSignal;
  now?: () => number;
  tickMs?: number;
}

/**
 * Backfills history, then (with `follow`) emits each generated event when the clock reaches it.
 * Events lie in the future of their ticket's creation, so they wait in a queue until due.
 */
export async function runSimulation(run: SimulationRun): Promise<{ emitted: number }> {
  const now = run.now ?? Date.now;
  const start = now();
  const currentHour = Math.floor(start / HOUR) * HOUR;
  const from = currentHour - run.backfillHours * HOUR;
  let pending = ticketsCreatedBetween(run, from, currentHour + HOUR);
  let emitted = 0;

  const emitDue = async (until: number) => {
    const due: TicketEvent[] = [];
    const later: TicketEvent[] = [];
    for (const e of pending) (Date.parse(e.occurredAt) <= until ? due : later).push(e);
    pending = later;
    await emitTicketEvents(run.producer, run.topic, due);
    emitted += due.length;
    return due.length;
  };

  const backfilled = await emitDue(start);
  run.logger.info({ events: backfilled, hours: run.backfillHours }, 'simulation backfilled');
  if (!run.follow) return { emitted };

  let nextHour = currentHour + HOUR;
  while (!run.signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, run.tickMs ?? 1_000));
    const t = now();
    while (t >= nextHour) {
      pending.push(...ticketsCreatedInHour(run, nextHour));
      nextHour += HOUR;
    }
    await emitDue(t);
  }
  return { emitted };
}
