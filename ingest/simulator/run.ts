import type { CanonicalEvent } from '../../core/events/index.js';
import type { Logger } from '../../core/logger.js';
import type { EventSink } from '../sink.js';
import { byTime, eventsOriginating, type GeneratorOptions, HOUR } from './generate.js';

// The simulator's emitting half: takes the pure generator's events to Kafka (or the ingest
// gateway) as their time comes. Everything here is about pacing; nothing decides content.

/** Where simulated events go: straight to Kafka, or through the ingest gateway's batch endpoint. */
export interface EventTarget {
  send(events: readonly CanonicalEvent[]): Promise<void>;
  close(): Promise<void>;
}

export function kafkaTarget(sink: EventSink): EventTarget {
  return { send: (events) => sink.emit(events), close: () => sink.close() };
}

/**
 * POST /v1/events in batches; a 503 (Kafka down behind the gateway) or a network error waits for
 * Retry-After and tries again, so nothing is skipped; any other refusal stops the run with its body.
 */
export function gatewayTarget(
  baseUrl: string,
  opts: { apiKey?: string; batchSize?: number; signal?: AbortSignal; logger: Logger },
): EventTarget {
  const url = new URL('/v1/events', baseUrl).toString();
  const batchSize = opts.batchSize ?? 1_000;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  const post = async (batch: readonly CanonicalEvent[]) => {
    for (let attempt = 1; ; attempt++) {
      let retryAfter = Math.min(30, attempt);
      try {
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(batch) });
        if (res.ok) return;
        const text = await res.text();
        if (res.status !== 503)
          throw new GatewayRefusedError(`${url} answered ${res.status}: ${text.slice(0, 500)}`);
        retryAfter = Number(res.headers.get('retry-after')) || retryAfter;
      } catch (err) {
        if (err instanceof GatewayRefusedError) throw err;
        opts.logger.warn({ err: (err as Error).message, url }, 'gateway unreachable, retrying');
      }
      if (opts.signal?.aborted) throw new Error('stopped while the gateway was unavailable');
      await new Promise((r) => setTimeout(r, retryAfter * 1_000));
    }
  };
  return {
    async send(events) {
      for (let i = 0; i < events.length; i += batchSize) await post(events.slice(i, i + batchSize));
    },
    async close() {},
  };
}

export class GatewayRefusedError extends Error {
  override readonly name = 'GatewayRefusedError';
}

export interface SimulationRun {
  generator: GeneratorOptions;
  target: EventTarget;
  logger: Logger;
  /** Hours of history produced as fast as possible before following the clock. */
  backfillHours: number;
  /** Keep producing events as their time comes, until the signal aborts. */
  follow: boolean;
  signal?: AbortSignal;
  now?: () => number;
  tickMs?: number;
  /** Called after each send with the running total (progress, metrics). */
  onSent?: (count: number, total: number) => void;
}

/**
 * Backfills history, then (with `follow`) emits each generated event when the clock reaches it.
 * Events lie in the future of their entity's start, so they wait in a queue until due.
 */
export async function runSimulation(run: SimulationRun): Promise<{ emitted: number }> {
  const now = run.now ?? Date.now;
  const start = now();
  const currentHour = Math.floor(start / HOUR) * HOUR;
  const from = currentHour - run.backfillHours * HOUR;
  let pending = byTime(eventsOriginating(run.generator, from, currentHour + HOUR, { standing: true }));
  let emitted = 0;

  const emitDue = async (until: number) => {
    const cut = pending.findIndex((e) => Date.parse(e.occurredAt) > until);
    const due = cut === -1 ? pending : pending.slice(0, cut);
    pending = cut === -1 ? [] : pending.slice(cut);
    for (let i = 0; i < due.length; i += 5_000) {
      const chunk = due.slice(i, i + 5_000);
      await run.target.send(chunk);
      emitted += chunk.length;
      run.onSent?.(chunk.length, emitted);
    }
    return due.length;
  };

  const backfilled = await emitDue(start);
  run.logger.info({ events: backfilled, hours: run.backfillHours }, 'simulation backfilled');
  if (!run.follow) return { emitted };

  let nextHour = currentHour + HOUR;
  while (!run.signal?.aborted) {
    await sleep(run.tickMs ?? 1_000, run.signal);
    const t = now();
    if (t >= nextHour) {
      const fresh = eventsOriginating(run.generator, nextHour, Math.floor(t / HOUR) * HOUR + HOUR, {
        standing: false,
      });
      pending = byTime([...pending, ...fresh]);
      nextHour = Math.floor(t / HOUR) * HOUR + HOUR;
    }
    await emitDue(t);
  }
  return { emitted };
}

export interface RateRun {
  generator: GeneratorOptions;
  target: EventTarget;
  logger: Logger;
  /** Events per second to send. */
  rate: number;
  durationSeconds: number;
  /** Simulated time the stream starts at (it then runs on through simulated hours). */
  from: number;
  signal?: AbortSignal;
}

/**
 * A fixed event rate for benchmarks: the operation's events, hour after simulated hour, sent at
 * `rate` per second (in ten slices a second) for `durationSeconds`, whatever their timestamps.
 */
export async function runAtRate(run: RateRun): Promise<{ emitted: number; seconds: number }> {
  const started = Date.now();
  const deadline = started + run.durationSeconds * 1_000;
  let hour = Math.floor(run.from / HOUR) * HOUR;
  let buffer = byTime(eventsOriginating(run.generator, hour, hour + HOUR, { standing: true }));
  let emitted = 0;
  while (Date.now() < deadline && !run.signal?.aborted) {
    const elapsed = (Date.now() - started) / 1_000;
    const owed = Math.floor(elapsed * run.rate) - emitted;
    if (owed > 0) {
      while (buffer.length < owed) {
        hour += HOUR;
        buffer = buffer.concat(
          byTime(eventsOriginating(run.generator, hour, hour + HOUR, { standing: false })),
        );
      }
      await run.target.send(buffer.slice(0, owed));
      buffer = buffer.slice(owed);
      emitted += owed;
    }
    await sleep(100, run.signal);
  }
  const seconds = (Date.now() - started) / 1_000;
  run.logger.info({ emitted, seconds, rate: emitted / seconds }, 'rate run finished');
  return { emitted, seconds };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
