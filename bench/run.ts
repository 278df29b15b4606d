import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDemoKeyFile } from '../core/api-keys.js';
import { apiEndpoints, sampleTicketIds } from './endpoints.js';
import { enginesRunningQueries, loadEndpoints, startApiProcess } from './lib/api-load.js';
import { type CpuAccount, stackProcesses, startCpuAccount } from './lib/cpu-account.js';
import { benchEnvironment } from './lib/environment.js';
import { BenchEventSource, meanMessageBytes, openTicketEvents } from './lib/events.js';
import { historyLoadCost } from './lib/history-load.js';
import { installKafkaClients, kafkaClientsStage } from './lib/kafka-clients.js';
import {
  type DrainResult,
  drain,
  type RateStep,
  rawClickHouse,
  rawKafka,
  soakAtRate,
  waitForDrain,
  warmUp,
} from './lib/measure.js';
import { freePort, startBaton } from './lib/process.js';
import { profiledDrain, type TransformProfile } from './lib/profile.js';
import { seedTwoSizes } from './lib/seed.js';
import { gatewayLadder, heapCapEnv, kneeOf, type RssSoakResult, rssSoak } from './lib/soak.js';
import { MiB, n, round } from './lib/stats.js';
import { type BenchReport, renderMarkdown } from './report.js';

const usage = `Usage: npm run bench -- [options]

Measures Baton's pipeline beside the raw ceiling of Kafka and ClickHouse on this machine, in one run,
and writes a JSON and a Markdown report. With the default sizes a run takes about 20 minutes, ten
of them the RSS soak.

Options:
  --quick            small sizes and short soaks (what CI runs; figures are reported, not asserted)
  --events N         events for the ceiling and drain measurements (default 200000, quick 20000)
  --rates a,b,c      fixed rates (events/s) for the soak ladder, after 10 s of unrecorded warm-up
                     (default 5000,10000,16000,25000)
  --soak SECONDS     seconds per ladder step (default 20, quick 10)
  --knee-soak SECONDS  seconds at the ladder's knee, to confirm it holds (default 60, quick 20)
  --stored N         ticket events stored for the API load (default 10000000, quick 100000), over a
                     year; the API is also measured over a tenth of it, for the cost growth
  --api-seconds S    seconds of load per API endpoint, every request computed (default 3; answered
                     from the answer cache: 1)
  --open-tickets N   open tickets held by the transform for the memory figure (default 1000000, quick 10000)
  --gateway-rates a,b rates for the same ladder through the ingest gateway (default: the straight
                     ladder's rates up to its knee)
  --rss-soak SECONDS RSS soak through the gateway into the transforms (default 600, quick 60; 0 skips)
  --rss-soak-rate N  its rate in events/s, below the knee (default 2000, quick 500)
  --transform-heap-mb N  V8 old-space cap of the transform in the memory stage and the RSS soak
                     (default 384; 0 = Node's default)
  --skip-clients     skip the comparison of Kafka clients (kafkajs, @platformatic/kafka, @confluentinc/kafka-javascript)
  --out DIR          where the reports go (default .cache/bench)
  -h, --help         this text

The memory stage, the API's seeding and the Kafka clients' install run beside the RSS soak (at a
rate well below the knee; RSS does not depend on the share of CPU), so that a run stays short.
`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    rates: { type: 'string' },
    soak: { type: 'string' },
    'knee-soak': { type: 'string' },
    stored: { type: 'string' },
    'api-seconds': { type: 'string' },
    'open-tickets': { type: 'string' },
    'gateway-rates': { type: 'string' },
    'rss-soak': { type: 'string' },
    'rss-soak-rate': { type: 'string' },
    'transform-heap-mb': { type: 'string' },
    'skip-clients': { type: 'boolean', default: false },
    out: { type: 'string', default: '.cache/bench' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const positiveInt = (name: string, raw: string | undefined, def: number) => {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`--${name}: expected a positive integer, got "${raw}"\n`);
    process.exit(2);
  }
  return n;
};
const quick = values.quick;
const events = positiveInt('events', values.events, quick ? 20_000 : 200_000);
const soakSeconds = positiveInt('soak', values.soak, quick ? 10 : 20);
const kneeSoakSeconds = positiveInt('knee-soak', values['knee-soak'], quick ? 20 : 60);
const storedEvents = positiveInt('stored', values.stored, quick ? 100_000 : 10_000_000);
const apiSeconds = positiveInt('api-seconds', values['api-seconds'], 3);
const openTickets = positiveInt('open-tickets', values['open-tickets'], quick ? 10_000 : 1_000_000);
const rates = (values.rates ?? (quick ? '500,1000' : '5000,10000,16000,25000'))
  .split(',')
  .map((r) => positiveInt('rates', r.trim(), 0));
const transformHeapMb =
  values['transform-heap-mb'] === '0'
    ? 0
    : positiveInt('transform-heap-mb', values['transform-heap-mb'], 384);
const rssSoakSeconds =
  values['rss-soak'] === '0' ? 0 : positiveInt('rss-soak', values['rss-soak'], quick ? 60 : 600);
const rssSoakRate = positiveInt('rss-soak-rate', values['rss-soak-rate'], quick ? 500 : 2_000);

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

/** How long each stage took, for the report (a default run should stay under 20 minutes). */
const stages: NonNullable<BenchReport['stages']> = [];
async function stage<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const account = startCpuAccount([], cpus().length);
  try {
    return await work();
  } finally {
    const { machine } = account();
    stages.push({
      name,
      seconds: round((performance.now() - started) / 1000, 1),
      ...(machine ? { machineBusy: round(machine.busy, 3), steal: round(machine.steal, 3) } : {}),
    });
  }
}

/** Progress of a long seeding: a line per tenth on a pipe, an updated line on a terminal. */
function progress(total: number, label: string) {
  let shown = 0;
  return (done: number) => {
    if (process.stderr.isTTY) process.stderr.write(`\rbench:   ${label} ${done} / ${total} events`);
    else if (done >= shown + total / 10 || done >= total) {
      shown = done;
      log(`  ${label} ${done} / ${total} events`);
    }
  };
}

async function main() {
  const startedAt = new Date();
  const source = new BenchEventSource('bench');
  const sample = source.take(events);
  log(`${sample.length} events, ${round(meanMessageBytes(sample))} bytes each on average`);

  const { kafka, clickhouse } = await stage('ceiling', async () => {
    log('raw ceiling: kafkajs producer -> no-op consumer');
    const kafkaEnv = await benchEnvironment('raw');
    const kafka = await rawKafka(kafkaEnv, sample);
    log('raw ceiling: bare INSERT FORMAT JSONEachRow');
    const clickhouse = await rawClickHouse(kafkaEnv, sample);
    await kafkaEnv.close();
    return { kafka, clickhouse };
  });

  // The one-instance drain runs under node --cpu-prof (its cost is within the run-to-run noise):
  // its figure and the profile of where its CPU goes come from the same run.
  const { drain1, drain2, profile } = await stage('drain', async () => {
    log('drain: one transform instance over events already in Kafka (CPU profiled)');
    const drainEnv1 = await benchEnvironment('drain1');
    let drain1: DrainResult;
    let profile: TransformProfile | undefined;
    try {
      const profiled = await profiledDrain(drainEnv1, sample, join(values.out, 'cpu-profile'));
      drain1 = profiled.drain;
      profile = {
        events: sample.length,
        perSecond: profiled.drain.perSecond,
        seconds: profiled.drain.seconds,
        summary: profiled.summary,
      };
    } catch (err) {
      log(`  no CPU profile (${err instanceof Error ? err.message : String(err)}): drained again without`);
      await drainEnv1.close();
      const again = await benchEnvironment('drain1b');
      drain1 = await drain(again, sample, 1);
      await again.close();
    }
    await drainEnv1.close();
    log('drain: two transform instances in one group');
    const drainEnv2 = await benchEnvironment('drain2');
    const drain2 = await drain(drainEnv2, sample, 2);
    await drainEnv2.close();
    return { drain1, drain2, profile };
  });

  const { ladder, kneeSoak } = await stage('soak ladder', async () => {
    log(`soak ladder: ${rates.join(', ')} events/s, ${soakSeconds} s each`);
    const soakEnv = await benchEnvironment('soak');
    const transforms = [startBaton('transforms', ['transforms'], soakEnv.config)];
    await warmUp(soakEnv);
    const ladder: RateStep[] = [];
    let kneeSoak: RateStep | undefined;
    try {
      // Unrecorded: the first seconds of load meet a cold process (JIT, caches, connections).
      await soakAtRate(soakEnv, source, transforms, Math.min(rates[0]!, 2_000), 10, false);
      await waitForDrain(soakEnv);
      for (const rate of rates) {
        const step = await soakAtRate(soakEnv, source, transforms, rate, soakSeconds, true);
        ladder.push(step);
        log(
          `  ${rate}/s: produced ${round(step.producedPerSecond)}/s, lag slope ${round(step.lagSlopePerSecond)}/s, ` +
            `freshness p50 ${round(step.freshnessMs?.p50 ?? Number.NaN)} ms p99 ${round(step.freshnessMs?.p99 ?? Number.NaN)} ms`,
        );
        if ((await waitForDrain(soakEnv)) > 0 || !step.bounded) break;
      }
      // The ladder's steps are short; the knee counts only if it also holds for minutes.
      const candidate = kneeOf(ladder);
      if (candidate > 0) {
        log(`  knee soak: ${candidate}/s for ${kneeSoakSeconds} s`);
        kneeSoak = await soakAtRate(soakEnv, source, transforms, candidate, kneeSoakSeconds, true);
        log(
          `  ${candidate}/s for ${kneeSoakSeconds} s: ${kneeSoak.bounded ? 'held' : 'did NOT hold'}, ` +
            `freshness p99 ${round(kneeSoak.freshnessMs?.p99 ?? Number.NaN)} ms`,
        );
      }
    } finally {
      for (const p of transforms) await p.stop();
      await soakEnv.close();
    }
    return { ladder, kneeSoak };
  });
  const ladderKnee = kneeOf(ladder);
  // A knee that did not hold for minutes falls back to the ladder's rate below it.
  const knee =
    !kneeSoak || kneeSoak.bounded
      ? ladderKnee
      : ([...ladder].reverse().find((s) => s.bounded && s.targetPerSecond < ladderKnee)?.targetPerSecond ??
        0);

  const gatewayRates = values['gateway-rates']
    ? values['gateway-rates'].split(',').map((r) => positiveInt('gateway-rates', r.trim(), 0))
    : // The gateway's work shares the cores with the transforms': a rate the straight ladder did not
      // hold cannot hold through the gateway, and a short step that looks bounded there is noise.
      rates.filter((r, i) => r <= knee || i === 0);
  const gatewaySteps = await stage('gateway ladder', async () => {
    log(`soak ladder through the ingest gateway: ${gatewayRates.join(', ')} events/s, ${soakSeconds} s each`);
    const gatewayEnv = await benchEnvironment('gateway');
    try {
      return await gatewayLadder(gatewayEnv, source, gatewayRates, soakSeconds, values.out, log);
    } finally {
      await gatewayEnv.close();
    }
  });

  // Beside the RSS soak: the memory stage, then the API's seeding; the clients' install alongside.
  const transformHeap = heapCapEnv(transformHeapMb);
  const beside: string[] = [];
  let startBeside: () => void = () => undefined;
  const besideStarted = rssSoakSeconds > 0 ? new Promise<void>((r) => (startBeside = r)) : Promise.resolve();
  const installed = besideStarted.then(() =>
    values['skip-clients'] ? null : stage('kafka clients install', () => installKafkaClients(quick, log)),
  );
  if (!values['skip-clients']) beside.push('the Kafka clients installed (a native build the first time)');
  const to = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const smallStored = Math.max(1, Math.round(storedEvents / 10));
  const apiSmallEnv = await benchEnvironment('api1');
  const apiEnv = await benchEnvironment('api');
  // Both at once. Alone on the machine they take ~115 s (seeding) and ~310 s (memory); beside the
  // soak, one after the other took 544 s + 396 s, at once 696-721 s: the engine is what they share
  // with the soak, and at once they overlap their waits on it.
  const memoryAndSeed = besideStarted.then(async () => {
    const memory = stage('memory', async () => {
      log(`memory: one transform instance taking ${openTickets} open tickets`);
      const openEnv = await benchEnvironment('open');
      try {
        return await drain(openEnv, openTicketEvents(openTickets, 'bench'), 1, transformHeap);
      } finally {
        await openEnv.close();
      }
    });
    const seeding = stage('API seeding', async () => {
      log(`API: seeding ${smallStored} and ${storedEvents} stored events over a year`);
      return seedTwoSizes(apiSmallEnv, apiEnv, {
        smallEvents: smallStored,
        largeEvents: storedEvents,
        days: 365,
        to,
        tenant: 'bench',
        logger: apiEnv.logger,
        onProgress: progress(Math.min(smallStored, 500_000), 'seeded'),
      });
    });
    const [open, seeded] = await Promise.all([memory, seeding]);
    if (process.stderr.isTTY) process.stderr.write('\n');
    return { open, seeded };
  });
  beside.unshift(
    `the memory stage (one transform instance taking ${n(openTickets)} open tickets)`,
    `the API's seeding (${n(storedEvents)} stored events)`,
  );

  // Where the machine's CPU goes while the soak and the stages beside it share it.
  const soakBlockAccount = startCpuAccount(
    stackProcesses(join(process.cwd(), '.cache', 'run')),
    cpus().length,
  );
  let rssSoakResult: RssSoakResult | undefined;
  if (rssSoakSeconds > 0) {
    rssSoakResult = await stage('RSS soak', async () => {
      log(`RSS soak: ${rssSoakSeconds} s at ${rssSoakRate} events/s through the gateway`);
      const rssEnv = await benchEnvironment('rss');
      try {
        return await rssSoak(rssEnv, source, rssSoakRate, rssSoakSeconds, values.out, {
          transformEnv: transformHeap,
          prefill: Math.ceil(events / 2),
          // Not in the quick mode: its one-minute soak at 500/s is too short for the cache to fill.
          ...(quick ? {} : { fillHistoryCacheBytes: rssEnv.config.HISTORY_CACHE_MAX_MB * MiB }),
          onStart: startBeside,
        });
      } finally {
        await rssEnv.close();
      }
    });
    rssSoakResult.beside = beside;
    for (const p of rssSoakResult.processes)
      log(
        `  ${p.name}: ${round(p.firstWindowBytes / 2 ** 20)} -> ${round(p.lastWindowBytes / 2 ** 20)} MiB (${round(p.growth * 100)} %)`,
      );
  }
  const { open, seeded } = await memoryAndSeed;
  const soakBlockCpu: CpuAccount = soakBlockAccount();

  const kafkaClients = values['skip-clients']
    ? { skipped: 'run with --skip-clients' }
    : await stage('kafka clients', async () => {
        log('kafka clients: kafkajs beside @platformatic/kafka and @confluentinc/kafka-javascript');
        return kafkaClientsStage({
          events: Math.min(events, 50_000),
          quick,
          log,
          installed,
          rounds: quick ? 1 : 2,
        });
      });

  const api = await stage('API load', async () => {
    log(
      `API: ${apiSeconds} s of 20 clients per endpoint, over ${seeded.small.events} and ${seeded.large.events} events`,
    );
    mkdirSync(values.out, { recursive: true });
    const { key, file: keysFile } = createDemoKeyFile(join(values.out, 'bench-api-keys.json'), ['read']);
    const load = async (env: typeof apiEnv, extraEnv: Record<string, string>, seconds = apiSeconds) => {
      const port = await freePort();
      // The per-key rate limit would answer most of the load with 429: lifted for the measurement.
      const process = await startApiProcess(env, port, {
        API_KEYS_FILE: keysFile,
        API_RATE_LIMIT_MAX: '1000000000',
        ...extraEnv,
      });
      try {
        const endpoints = apiEndpoints(to, await sampleTicketIds(env, 200));
        const latency = await loadEndpoints(`http://127.0.0.1:${port}`, endpoints, {
          connections: 20,
          seconds,
          headers: { authorization: `Bearer ${key}` },
          running: () => enginesRunningQueries(env.ch, env.config.CLICKHOUSE_DATABASE),
        });
        return { latency, usage: await process.stop() };
      } finally {
        await process.stop();
      }
    };
    // The floor under every API figure: a trivial query through ClickHouse's HTTP interface at the
    // same concurrency (each API request makes at least one).
    const { CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD } = apiEnv.config;
    const [clickHouseFloor] = await loadEndpoints(
      CLICKHOUSE_URL.replace(/\/$/, ''),
      [{ name: 'ClickHouse HTTP: SELECT 1', paths: ['/?query=SELECT%201'] }],
      {
        connections: 20,
        seconds: apiSeconds,
        headers: {
          authorization: `Basic ${Buffer.from(`${CLICKHOUSE_USER}:${CLICKHOUSE_PASSWORD}`).toString('base64')}`,
        },
      },
    );
    // Every request computed over a tenth of the history, then over all of it: the cost growth.
    const small = await load(apiSmallEnv, { API_CACHE_SECONDS: '0' });
    // Answers from the cache cost microseconds: one second gives thousands of samples.
    const cached = await load(apiEnv, {}, 1);
    const computed = await load(apiEnv, { API_CACHE_SECONDS: '0' });
    // The transforms' side of the cost growth: reading back uncached histories.
    const historyLoad = {
      smaller: await historyLoadCost(apiSmallEnv),
      larger: await historyLoadCost(apiEnv),
    };
    log(
      `history read-back of ${historyLoad.larger.tickets} tickets: ${round(historyLoad.smaller.medianMs)} ms -> ${round(historyLoad.larger.medianMs)} ms`,
    );
    return { small, cached, computed, clickHouseFloor: clickHouseFloor!, historyLoad };
  });
  await apiSmallEnv.close();
  await apiEnv.close();

  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'default',
    machine: { cpus: cpus().length, memoryBytes: totalmem(), node: process.version },
    stages,
    events: sample.length,
    messageBytes: round(meanMessageBytes(sample)),
    ceiling: { kafka, clickhouse },
    kafkaClients,
    ...(profile ? { profile } : {}),
    drain: {
      one: drain1,
      two: drain2,
      ratioToKafkaCeiling: drain1.perSecond / kafka.perSecond,
      ratioToClickHouseCeiling: drain1.perSecond / clickhouse.perSecond,
      scalingTwoOverOne: drain2.perSecond / drain1.perSecond,
    },
    ladder,
    ...(kneeSoak ? { kneeSoak } : {}),
    kneePerSecond: knee,
    gatewayLadder: gatewaySteps,
    ...(rssSoakResult ? { rssSoak: rssSoakResult } : {}),
    soakBlockCpu,
    openTickets: {
      tickets: openTickets,
      peakRssBytes: open.peakRssBytes,
      perSecond: open.perSecond,
      transformHeapMb,
    },
    api: {
      seeded: seeded.large,
      endpoints: api.cached.latency,
      endpointsUncached: api.computed.latency,
      peakRssBytes: Math.max(api.cached.usage.peakRssBytes, api.computed.usage.peakRssBytes),
      smaller: { seeded: seeded.small, endpointsUncached: api.small.latency },
      clickHouseFloor: api.clickHouseFloor,
      historyLoad: api.historyLoad,
    },
  };
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderMarkdown(report);
  writeFileSync(join(values.out, 'report.md'), md);
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
