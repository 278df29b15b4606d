import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createDemoKeyFile } from '../../core/api-keys.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import type { EventProducer } from '../../core/kafka.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { HistoryCache, historyKey } from '../../transforms/history/history-cache.js';
import type { BenchEnvironment } from './environment.js';
import type { BenchEventSource } from './events.js';
import { type RateStep, soakAtRate, waitForDrain, warmUp } from './measure.js';
import { type BatonProcess, freePort, startBaton } from './process.js';
import { MiB, n, round, sleep } from './stats.js';

// The soaks that go through the ingest gateway, and the memory soak: fixed-rate load for minutes
// with every Baton process's RSS sampled, to tell a bounded working set from a slow leak.

/**
 * NODE_OPTIONS that cap a transform's V8 old space. Its live heap is bounded (the history cache by
 * HISTORY_CACHE_MAX_MB, batches by TRANSFORM_FETCH_MAX_BYTES), but under Node's default limit (a
 * quarter of the machine's memory, up to 4 GiB) V8 lets the heap grow to several times what is live
 * before a full collection, and RSS follows; a cap makes it collect sooner instead.
 */
export const heapCapEnv = (mb: number): Record<string, string> =>
  mb > 0 ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${mb}`.trim() } : {};

export interface Gateway {
  process: BatonProcess;
  url: string;
  /** An ingest key of the gateway's key file. */
  key: string;
}

/** `baton ingest` on a free port with an ingest key of its own; resolves once it answers. */
export async function startGateway(env: BenchEnvironment, keysDir: string): Promise<Gateway> {
  mkdirSync(keysDir, { recursive: true });
  const { key, file } = createDemoKeyFile(join(keysDir, 'bench-ingest-keys.json'), ['ingest']);
  const port = await freePort();
  const process = startBaton('gateway', ['ingest'], env.config, {
    INGEST_PORT: String(port),
    API_KEYS_FILE: file,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { process, url, key };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await process.stop();
  throw new Error(`the ingest gateway did not answer on port ${port} within 30 s`);
}

/**
 * The Kafka producer's interface over POST /v1/events, so the same load generator can go through
 * the gateway: each send is one request (the messages' values are the canonical events as JSON).
 */
export function gatewayProducer(gateway: Gateway): EventProducer {
  const url = `${gateway.url}/v1/events`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${gateway.key}` };
  return {
    async send(_topic, messages) {
      if (messages.length === 0) return;
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: `[${messages.map((m) => m.value).join(',')}]`,
      });
      if (!res.ok) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      await res.arrayBuffer().catch(() => undefined);
    },
    async disconnect() {},
  };
}

export interface GatewayStep extends RateStep {
  gatewayCpuSecondsPerEvent: number;
  gatewayRssBytes: number;
}

/** The soak ladder with the load posted to the gateway; stops at the first unbounded rate. */
export async function gatewayLadder(
  env: BenchEnvironment,
  source: BenchEventSource,
  rates: readonly number[],
  seconds: number,
  keysDir: string,
  log: (msg: string) => void,
): Promise<GatewayStep[]> {
  const gateway = await startGateway(env, keysDir);
  const transforms = [startBaton('transforms', ['transforms'], env.config)];
  const steps: GatewayStep[] = [];
  try {
    await warmUp(env);
    for (const rate of rates) {
      const before = gateway.process.sample().cpuSeconds;
      const step = await soakAtRate(env, source, transforms, rate, seconds, true, async () =>
        gatewayProducer(gateway),
      );
      const usage = gateway.process.sample();
      const sent = step.producedPerSecond * seconds;
      steps.push({
        ...step,
        gatewayCpuSecondsPerEvent: (usage.cpuSeconds - before) / Math.max(sent, 1),
        gatewayRssBytes: usage.rssBytes,
      });
      log(
        `  ${rate}/s via gateway: produced ${round(step.producedPerSecond)}/s, lag slope ${round(step.lagSlopePerSecond)}/s, ` +
          `gateway ${round(((usage.cpuSeconds - before) / Math.max(sent, 1)) * 1000, 3)} CPU s/1k events, ${round(usage.rssBytes / MiB)} MiB`,
      );
      if (!step.bounded) break;
      if ((await waitForDrain(env)) > 0) break;
    }
  } finally {
    for (const p of [...transforms, gateway.process]) await p.stop();
  }
  return steps;
}

export interface ProcessRss {
  name: string;
  /** [seconds since the soak started, RSS bytes] */
  samples: [number, number][];
  firstWindowBytes: number;
  lastWindowBytes: number;
  /** (last window − first window) / first window */
  growth: number;
  peakBytes: number;
}

export interface RssSoakResult {
  targetPerSecond: number;
  seconds: number;
  /** Length of the first and the last window compared (a minute, or a quarter of a short soak). */
  windowSeconds: number;
  via: 'gateway' | 'kafka';
  /** Events taken at full speed before the soak (its warm-up). */
  prefill: number;
  /** Whether the warm-up went on until the transform's history cache was full. */
  historyCacheFilled?: boolean;
  /** Stages run beside the soak (their load is on the same machine). */
  beside: string[];
  step: RateStep;
  processes: ProcessRss[];
}

/**
 * The soak's warm-up in chunks of 1,000: at least `minEvents`, and with `cacheBytes` as many as fill
 * a transform's history cache of that budget (kept as the transform keeps it: its own estimate of
 * the bytes, least recently used out) and a quarter more.
 */
export function prefillChunks(
  source: BenchEventSource,
  minEvents: number,
  cacheBytes?: number,
): TicketEvent[][] {
  const cache = cacheBytes ? new HistoryCache<TicketEvent>({ maxBytes: cacheBytes }) : null;
  const chunks: TicketEvent[][] = [];
  let taken = 0;
  // Until the cache is full there is no end to reach: it is modelled only until then.
  let filledAt = cache ? Number.POSITIVE_INFINITY : 0;
  while (taken < Math.max(minEvents, filledAt * 1.25)) {
    const chunk = source.take(1_000);
    chunks.push(chunk);
    taken += chunk.length;
    if (cache && filledAt === Number.POSITIVE_INFINITY) {
      for (const e of chunk) {
        const key = historyKey(e.tenant, e.ticketId);
        cache.set(key, [...(cache.get(key) ?? []), e]);
      }
      if (cache.bytes >= 0.98 * cacheBytes!) filledAt = taken;
    }
  }
  return chunks;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

/**
 * A long soak at a fixed rate below the knee, through the gateway into the transforms, with the RSS
 * of each process sampled every few seconds: the mean RSS of the last minute against the first.
 */
export async function rssSoak(
  env: BenchEnvironment,
  source: BenchEventSource,
  perSecond: number,
  seconds: number,
  keysDir: string,
  opts: {
    transformEnv?: Record<string, string>;
    /**
     * Events (at least) posted as fast as the gateway takes them, and drained, before the soak: the
     * processes reach their working size (heaps grown to what the load needs) first, so that the
     * soak compares a warm start with its end rather than a cold one.
     */
    prefill?: number;
    /**
     * The transform's history cache budget (HISTORY_CACHE_MAX_MB in bytes): the prefill goes on
     * until the cache is full, and a quarter more for the heap to settle. Otherwise the soak's first
     * minutes would still be filling it (RSS measured +10 to +11 % over the soak, nearly all of it in
     * its first 150 s).
     */
    fillHistoryCacheBytes?: number;
    /**
     * Called once the soak's processes have started, before their warm-up: work to run beside the
     * soak (its figure is memory, which does not depend on the CPU share the warm-up gets).
     */
    onStart?: () => void;
    sampleEverySeconds?: number;
  } = {},
): Promise<RssSoakResult> {
  const sampleEverySeconds = opts.sampleEverySeconds ?? 5;
  const gateway = await startGateway(env, keysDir);
  const transforms = [startBaton('transforms', ['transforms'], env.config, opts.transformEnv ?? {})];
  const processes = [...transforms, gateway.process];
  opts.onStart?.();
  try {
    await warmUp(env);
    const chunks = prefillChunks(source, opts.prefill ?? 0, opts.fillHistoryCacheBytes);
    const prefilled = chunks.reduce((sum, c) => sum + c.length, 0);
    if (prefilled > 0) {
      const producer = gatewayProducer(gateway);
      const topic = env.topic('ticketEvents');
      // Four requests in flight: as fast as the gateway takes them.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let c = chunks.shift(); c; c = chunks.shift()) await emitTicketEvents(producer, topic, c);
        }),
      );
      await waitForDrain(env);
    }
    const samples = processes.map(() => [] as [number, number][]);
    const started = performance.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = (performance.now() - started) / 1000;
        processes.forEach((p, i) => {
          samples[i]!.push([at, p.sample().rssBytes]);
        });
        await sleep(sampleEverySeconds * 1000);
      }
    })();
    const step = await soakAtRate(env, source, transforms, perSecond, seconds, false, async () =>
      gatewayProducer(gateway),
    );
    sampling = false;
    await sampler;
    const windowSeconds = Math.min(60, seconds / 4);
    return {
      targetPerSecond: perSecond,
      seconds,
      windowSeconds,
      via: 'gateway',
      prefill: prefilled,
      historyCacheFilled: opts.fillHistoryCacheBytes !== undefined,
      beside: [],
      step,
      processes: processes.map((p, i) => {
        const points = samples[i]!;
        const end = points[points.length - 1]?.[0] ?? 0;
        const first = mean(points.filter(([t]) => t <= windowSeconds).map(([, b]) => b));
        const last = mean(points.filter(([t]) => t >= end - windowSeconds).map(([, b]) => b));
        return {
          name: p.name,
          samples: points,
          firstWindowBytes: first,
          lastWindowBytes: last,
          growth: first > 0 ? (last - first) / first : Number.NaN,
          peakBytes: Math.max(0, ...points.map(([, b]) => b)),
        };
      }),
    };
  } finally {
    for (const p of processes) await p.stop();
  }
}

/** The report's sections of the gateway ladder and the RSS soak (empty when not measured). */
export function renderSoakSections(r: { gatewayLadder?: GatewayStep[]; rssSoak?: RssSoakResult }): string[] {
  const lines: string[] = [];
  if (r.gatewayLadder) {
    lines.push(
      '## Fixed-rate soak ladder (through the ingest gateway)',
      '',
      'The same simulator events POSTed to `/v1/events` with an ingest key (one request per 100 ms tick), the gateway writing them to Kafka; tracers go the same way.',
      '',
      '| target events/s | produced/s | lag slope (events/s) | max lag | bounded | transforms CPU s / 1k events | gateway CPU s / 1k events | gateway RSS | freshness p50 | freshness p99 |',
      '|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|',
      ...r.gatewayLadder.map(
        (s) =>
          `| ${n(s.targetPerSecond)} | ${n(s.producedPerSecond)} | ${round(s.lagSlopePerSecond)} | ${n(s.maxLag)} | ${s.bounded ? 'yes' : 'no'} | ${round(s.cpuSecondsPerEvent * 1000, 2)} | ${round(s.gatewayCpuSecondsPerEvent * 1000, 3)} | ${n(s.gatewayRssBytes / MiB)} MiB | ${s.freshnessMs ? `${n(s.freshnessMs.p50)} ms` : ''} | ${s.freshnessMs ? `${n(s.freshnessMs.p99)} ms` : ''} |`,
      ),
      '',
      `Knee through the gateway: ${n(kneeOf(r.gatewayLadder))} events/s${r.gatewayLadder.at(-1)?.bounded ? ' (every rate tried held; by default none above the straight ladder’s knee is tried)' : ''}.`,
      '',
    );
  }
  if (r.rssSoak) {
    const s = r.rssSoak;
    lines.push(
      '## RSS soak',
      '',
      `${n(s.seconds)} s at ${n(s.targetPerSecond)} events/s through the ingest gateway (produced ${n(s.step.producedPerSecond)}/s, ${s.step.bounded ? 'lag bounded' : 'lag NOT bounded'}, max lag ${n(s.step.maxLag)}); RSS of each process sampled every few seconds, mean of the first ${n(s.windowSeconds)} s against the last ${n(s.windowSeconds)} s.${s.prefill ? ` Before the soak the processes took ${n(s.prefill)} events at full speed, so that it starts warm (${s.historyCacheFilled ? "the transform's history cache filled and a quarter more, " : ''}heaps at working size): growth after that is what would accumulate in production.` : ''}${s.beside.length ? ` Beside the soak, on the same machine: ${s.beside.join('; ')} — the soak's rate is well below the knee, and RSS does not depend on CPU share.` : ''}`,
      '',
      '| process | first window | last window | growth | peak |',
      '|---|---:|---:|---:|---:|',
      ...s.processes.map(
        (p) =>
          `| ${p.name} | ${n(p.firstWindowBytes / MiB)} MiB | ${n(p.lastWindowBytes / MiB)} MiB | ${round(p.growth * 100)} % | ${n(p.peakBytes / MiB)} MiB |`,
      ),
      '',
    );
  }
  return lines;
}

export const kneeOf = (steps: readonly RateStep[]) =>
  [...steps].reverse().find((s) => s.bounded)?.targetPerSecond ?? 0;

/** The target rows of the soaks, in the report's target table format. */
export function soakTargetRows(r: { rssSoak?: RssSoakResult }): string[][] {
  if (!r.rssSoak) return [];
  const worst = Math.max(...r.rssSoak.processes.map((p) => p.growth));
  const minutes = round(r.rssSoak.seconds / 60);
  return [
    [
      `No process grows more than 10 % over a ${minutes}-minute soak`,
      r.rssSoak.processes.map((p) => `${p.name} ${round(p.growth * 100)} %`).join(', '),
      r.rssSoak.seconds < 600
        ? `${worst <= 0.1 ? 'met' : 'missed'} (soak shorter than 10 minutes)`
        : worst <= 0.1
          ? 'met'
          : 'missed',
    ],
  ];
}
