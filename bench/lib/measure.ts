import type { TicketEvent } from '../../core/events/ticket.js';
import type { EventProducer } from '../../core/kafka.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import type { BenchEnvironment } from './environment.js';
import { type BenchEventSource, createdTicket } from './events.js';
import { type BatonProcess, type ProcessUsage, startBaton } from './process.js';
import { quantile, sleep } from './stats.js';

export interface Throughput {
  events: number;
  seconds: number;
  perSecond: number;
}

const throughput = (events: number, ms: number): Throughput => ({
  events,
  seconds: ms / 1000,
  perSecond: events / (ms / 1000),
});

/** The hardware's Kafka ceiling: the same messages produced and consumed by a consumer that does nothing. */
export async function rawKafka(env: BenchEnvironment, events: readonly TicketEvent[]): Promise<Throughput> {
  const topic = env.topic('ticketEvents');
  let seen = 0;
  let done: () => void = () => undefined;
  const allSeen = new Promise<void>((r) => {
    done = r;
  });
  const consumer = await env.bus.runConsumer({
    groupId: `${env.config.TRANSFORM_GROUP_ID}.raw`,
    topics: [topic],
    fromBeginning: true,
    handleBatch: async (batch) => {
      seen += batch.messages.length;
      if (seen >= events.length) done();
    },
  });
  const producer = await env.bus.createProducer();
  const started = performance.now();
  await emitTicketEvents(producer, topic, events);
  await allSeen;
  const ms = performance.now() - started;
  await producer.disconnect();
  await consumer.stop();
  return throughput(events.length, ms);
}

/** The ClickHouse ceiling: a bare INSERT ... FORMAT JSONEachRow of the same rows into a plain table. */
export async function rawClickHouse(
  env: BenchEnvironment,
  events: readonly TicketEvent[],
  chunk = 50_000,
): Promise<Throughput> {
  await env.ch.command({
    query: `CREATE TABLE raw_ticket_events AS ticket_events ENGINE = MergeTree ORDER BY (tenant, ticket_id, event_id)`,
  });
  const rows = events.map((e) => ({
    event_id: e.eventId,
    tenant: e.tenant,
    ticket_id: e.ticketId,
    type: e.type,
    source: e.source,
    occurred_at: e.occurredAt.replace('T', ' ').replace('Z', ''),
    received_at: e.receivedAt.replace('T', ' ').replace('Z', ''),
    payload: JSON.stringify(e),
  }));
  const started = performance.now();
  for (let i = 0; i < rows.length; i += chunk) {
    await env.ch.insert({
      table: 'raw_ticket_events',
      values: rows.slice(i, i + chunk),
      format: 'JSONEachRow',
    });
  }
  return throughput(rows.length, performance.now() - started);
}

export interface DrainResult extends Throughput {
  cpuSecondsPerEvent: number;
  peakRssBytes: number;
}

const lifecycleGroup = (env: BenchEnvironment) => `${env.config.TRANSFORM_GROUP_ID}.lifecycle`;

/**
 * The pipeline's drain rate: events already in Kafka, then transform instances started; measured
 * from the first committed progress to the last offset committed (group join excluded).
 */
export async function drain(
  env: BenchEnvironment,
  events: readonly TicketEvent[],
  instances = 1,
  /** Environment of the transform processes besides the bench's own (e.g. NODE_OPTIONS). */
  extraEnv: Record<string, string> = {},
  /** Options of node for the transform processes (see startBaton). */
  nodeArgs: string[] = [],
): Promise<DrainResult> {
  const producer = await env.bus.createProducer();
  await emitTicketEvents(producer, env.topic('ticketEvents'), events);
  await producer.disconnect();
  const processes = Array.from({ length: instances }, (_, i) =>
    startBaton(`transforms-${i + 1}`, ['transforms'], env.config, extraEnv, nodeArgs),
  );
  const total = events.length;
  let firstProgress: { at: number; lag: number } | null = null;
  let lag = total;
  const deadline = Date.now() + 30 * 60_000;
  while (lag > 0 && Date.now() < deadline) {
    await sleep(200);
    lag = await env.lag(lifecycleGroup(env), 'ticketEvents');
    for (const p of processes) p.sample();
    if (!firstProgress && lag < total) firstProgress = { at: performance.now(), lag };
  }
  const end = performance.now();
  const usage = await Promise.all(processes.map((p) => p.stop()));
  if (lag > 0) throw new Error(`the transforms did not drain ${total} events in 30 minutes (${lag} left)`);
  const measured = firstProgress!.lag;
  return {
    ...throughput(measured, end - firstProgress!.at),
    cpuSecondsPerEvent: usage.reduce((s, u) => s + u.cpuSeconds, 0) / total,
    peakRssBytes: Math.max(...usage.map((u) => u.peakRssBytes)),
  };
}

export interface RateStep {
  targetPerSecond: number;
  /** Length of the step. */
  seconds: number;
  producedPerSecond: number;
  /** Lag growth per second over the second half of the soak (events/s); ~0 when bounded. */
  lagSlopePerSecond: number;
  maxLag: number;
  bounded: boolean;
  cpuSecondsPerEvent: number;
  rssBytes: number;
  freshnessMs?: { p50: number; p99: number; samples: number };
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Produces at a fixed rate in 100 ms ticks; resolves with the number of events sent. */
async function produceAtRate(
  producer: EventProducer,
  topic: string,
  source: BenchEventSource,
  perSecond: number,
  seconds: number,
): Promise<number> {
  const perTick = perSecond / 10;
  const started = performance.now();
  let sent = 0;
  let buffer: TicketEvent[] = [];
  for (let tick = 1; tick <= seconds * 10; tick++) {
    const due = Math.round(perTick * tick) - sent;
    if (buffer.length < due) buffer = buffer.concat(source.take(Math.max(due, 2_000)));
    const batch = buffer.slice(0, due);
    buffer = buffer.slice(due);
    await emitTicketEvents(producer, topic, batch);
    sent += batch.length;
    const wait = started + tick * 100 - performance.now();
    if (wait > 0) await sleep(wait);
  }
  return sent;
}

/**
 * Tracer tickets sent every 250 ms beside the load; each is timed from the producer's
 * acknowledgement to the moment its lifecycle row can be read back.
 */
async function traceFreshness(
  env: BenchEnvironment,
  producer: EventProducer,
  seconds: number,
): Promise<number[]> {
  const topic = env.topic('ticketEvents');
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const tenant = 'bench-tracer';
  const stopAt = performance.now() + seconds * 1000;
  let n = 0;
  const poll = async () => {
    const pending = [...sentAt.keys()];
    if (pending.length === 0) return;
    const rs = await env.ch.query({
      query:
        'SELECT ticket_id FROM ticket_lifecycle WHERE tenant = {tenant:String} AND ticket_id IN {ids:Array(String)}',
      query_params: { tenant, ids: pending },
      format: 'JSONEachRow',
    });
    const now = performance.now();
    for (const { ticket_id } of await rs.json<{ ticket_id: string }>()) {
      latencies.push(now - sentAt.get(ticket_id)!);
      sentAt.delete(ticket_id);
    }
  };
  let nextTracer = performance.now();
  while (performance.now() < stopAt || (sentAt.size > 0 && performance.now() < stopAt + 30_000)) {
    if (performance.now() >= nextTracer && performance.now() < stopAt) {
      const ticketId = `tracer-${n++}`;
      const at = new Date().toISOString();
      const producedAt = performance.now();
      await producer.send(topic, [
        {
          key: ticketId,
          value: JSON.stringify(createdTicket(ticketId, tenant, at)),
        },
      ]);
      sentAt.set(ticketId, producedAt);
      nextTracer += 250;
    }
    await poll();
    await sleep(50);
  }
  return latencies;
}

/** One soak at a fixed rate with the transforms running: lag slope, CPU per event, freshness. */
export async function soakAtRate(
  env: BenchEnvironment,
  source: BenchEventSource,
  transforms: BatonProcess[],
  perSecond: number,
  seconds: number,
  withFreshness: boolean,
  /** Where the load and the tracers enter (default: straight to Kafka). */
  connect: () => Promise<EventProducer> = () => env.bus.createProducer(),
): Promise<RateStep> {
  const producer = await connect();
  const tracer = withFreshness ? await connect() : null;
  const before = transforms.map((p) => p.sample().cpuSeconds);
  const lagPoints: [number, number][] = [];
  const started = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(1_000);
      lagPoints.push([
        (performance.now() - started) / 1000,
        await env.lag(lifecycleGroup(env), 'ticketEvents'),
      ]);
    }
  })();
  const [sent, latencies] = await Promise.all([
    produceAtRate(producer, env.topic('ticketEvents'), source, perSecond, seconds),
    tracer ? traceFreshness(env, tracer, seconds) : Promise.resolve([]),
  ]);
  const elapsed = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  await producer.disconnect();
  await tracer?.disconnect();
  const usage: ProcessUsage[] = transforms.map((p) => p.sample());
  const secondHalf = lagPoints.filter(([t]) => t >= elapsed / 2);
  const lagSlope = slope(secondHalf);
  const lastQuarter = lagPoints.filter(([t]) => t >= (elapsed * 3) / 4).map(([, l]) => l);
  const lastQuarterMean = lastQuarter.reduce((a, b) => a + b, 0) / Math.max(lastQuarter.length, 1);
  const cpu = usage.reduce((s, u, i) => s + u.cpuSeconds - before[i]!, 0);
  return {
    targetPerSecond: perSecond,
    seconds,
    producedPerSecond: sent / Math.min(elapsed, seconds + 1),
    lagSlopePerSecond: lagSlope,
    maxLag: Math.max(0, ...lagPoints.map(([, l]) => l)),
    // Bounded: the producer kept the rate, and the lag either stays under one second of input at
    // the end of the soak (commits are per batch, so small lags jitter) or grows by less than 5 %
    // of what is produced.
    bounded:
      sent >= 0.9 * perSecond * seconds && (lastQuarterMean < perSecond || lagSlope < 0.05 * perSecond),
    cpuSecondsPerEvent: cpu / Math.max(sent, 1),
    rssBytes: Math.max(...usage.map((u) => u.rssBytes)),
    ...(withFreshness
      ? {
          freshnessMs: {
            p50: quantile(latencies, 0.5),
            p99: quantile(latencies, 0.99),
            samples: latencies.length,
          },
        }
      : {}),
  };
}

/** Sends one ticket and waits until it can be read back: the transforms joined their group and run. */
export async function warmUp(env: BenchEnvironment, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  const producer = await env.bus.createProducer();
  const at = new Date().toISOString();
  await producer.send(env.topic('ticketEvents'), [
    {
      key: 'warm-up',
      value: JSON.stringify(createdTicket('warm-up', 'bench-tracer', at)),
    },
  ]);
  await producer.disconnect();
  while (performance.now() - started < timeoutMs) {
    const rs = await env.ch.query({
      query:
        "SELECT count() AS n FROM ticket_lifecycle WHERE tenant = 'bench-tracer' AND ticket_id = 'warm-up'",
      format: 'JSONEachRow',
    });
    if (Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0) > 0) return performance.now() - started;
    await sleep(200);
  }
  throw new Error(`the transforms did not process a first event within ${timeoutMs / 1000} s`);
}

/** Waits until the transforms have caught up with everything produced (between soak steps). */
export async function waitForDrain(env: BenchEnvironment, timeoutMs = 10 * 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lag = await env.lag(lifecycleGroup(env), 'ticketEvents');
  while (lag > 0 && Date.now() < deadline) {
    await sleep(500);
    lag = await env.lag(lifecycleGroup(env), 'ticketEvents');
  }
  return lag;
}
