import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDemoKeyFile } from '../core/api-keys.js';
import { apiEndpoints, sampleTicketIds } from './endpoints.js';
import { loadEndpoints, startApiProcess } from './lib/api-load.js';
import { benchEnvironment } from './lib/environment.js';
import { BenchEventSource, meanMessageBytes, openTicketEvents } from './lib/events.js';
import { kafkaClientsStage } from './lib/kafka-clients.js';
import {
  drain,
  type RateStep,
  rawClickHouse,
  rawKafka,
  soakAtRate,
  waitForDrain,
  warmUp,
} from './lib/measure.js';
import { freePort, startBaton } from './lib/process.js';
import { seedHistory } from './lib/seed.js';
import { gatewayLadder, heapCapEnv, rssSoak } from './lib/soak.js';
import { round } from './lib/stats.js';
import { type BenchReport, renderMarkdown } from './report.js';

const usage = `Usage: npm run bench -- [options]

Measures Baton's pipeline beside the raw ceiling of Kafka and ClickHouse on this machine, in one run,
and writes a JSON and a Markdown report.

Options:
  --quick            small sizes and short soaks (what CI runs; figures are reported, not asserted)
  --events N         events for the ceiling and drain measurements (default 200000, quick 20000)
  --rates a,b,c      fixed rates (events/s) for the soak ladder (default 1000,2000,4000,8000,16000,32000)
  --soak SECONDS     seconds per ladder step (default 60, quick 10)
  --stored N         ticket events stored for the API load (default 10000000, quick 100000), over a year
  --api-seconds S    seconds of load per API endpoint (default 10, quick 3)
  --open-tickets N   open tickets held by the transform for the memory figure (default 1000000, quick 10000)
  --gateway-rates a,b rates for the same ladder through the ingest gateway (default: the straight
                     ladder's rates up to its knee and one above)
  --rss-soak SECONDS RSS soak through the gateway into the transforms (default 600, quick 60; 0 skips)
  --rss-soak-rate N  its rate in events/s, below the knee (default 2000, quick 500)
  --transform-heap-mb N  V8 old-space cap of the transform in the memory stage and the RSS soak
                     (default 384; 0 = Node's default)
  --skip-clients     skip the comparison of Kafka clients (kafkajs, @platformatic/kafka, @confluentinc/kafka-javascript)
  --out DIR          where the reports go (default .cache/bench)
  -h, --help         this text
`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    rates: { type: 'string' },
    soak: { type: 'string' },
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
const soakSeconds = positiveInt('soak', values.soak, quick ? 10 : 60);
const storedEvents = positiveInt('stored', values.stored, quick ? 100_000 : 10_000_000);
const apiSeconds = positiveInt('api-seconds', values['api-seconds'], quick ? 3 : 10);
const openTickets = positiveInt('open-tickets', values['open-tickets'], quick ? 10_000 : 1_000_000);
const rates = (values.rates ?? (quick ? '500,1000' : '1000,2000,4000,8000,16000,32000'))
  .split(',')
  .map((r) => positiveInt('rates', r.trim(), 0));

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function main() {
  const startedAt = new Date();
  const source = new BenchEventSource('bench');
  const sample = source.take(events);
  log(`${sample.length} events, ${round(meanMessageBytes(sample))} bytes each on average`);

  log('raw ceiling: kafkajs producer -> no-op consumer');
  const kafkaEnv = await benchEnvironment('raw');
  const kafka = await rawKafka(kafkaEnv, sample);
  log('raw ceiling: bare INSERT FORMAT JSONEachRow');
  const clickhouse = await rawClickHouse(kafkaEnv, sample);
  await kafkaEnv.close();

  log('kafka clients: kafkajs beside @platformatic/kafka and @confluentinc/kafka-javascript');
  const kafkaClients = values['skip-clients']
    ? { skipped: 'run with --skip-clients' }
    : await kafkaClientsStage({ events, quick, log });

  log('drain: one transform instance over events already in Kafka');
  const drainEnv1 = await benchEnvironment('drain1');
  const drain1 = await drain(drainEnv1, sample, 1);
  await drainEnv1.close();
  log('drain: two transform instances in one group');
  const drainEnv2 = await benchEnvironment('drain2');
  const drain2 = await drain(drainEnv2, sample, 2);
  await drainEnv2.close();

  log(`soak ladder: ${rates.join(', ')} events/s, ${soakSeconds} s each`);
  const soakEnv = await benchEnvironment('soak');
  const transforms = [startBaton('transforms', ['transforms'], soakEnv.config)];
  await warmUp(soakEnv);
  const ladder: RateStep[] = [];
  for (const rate of rates) {
    const step = await soakAtRate(soakEnv, source, transforms, rate, soakSeconds, true);
    ladder.push(step);
    log(
      `  ${rate}/s: produced ${round(step.producedPerSecond)}/s, lag slope ${round(step.lagSlopePerSecond)}/s, ` +
        `freshness p50 ${round(step.freshnessMs?.p50 ?? Number.NaN)} ms p99 ${round(step.freshnessMs?.p99 ?? Number.NaN)} ms`,
    );
    if (!step.bounded) break;
    const left = await waitForDrain(soakEnv);
    if (left > 0) break;
  }
  for (const p of transforms) await p.stop();
  await soakEnv.close();

  const straightKnee = [...ladder].reverse().find((s) => s.bounded)?.targetPerSecond ?? 0;
  const gatewayRates = values['gateway-rates']
    ? values['gateway-rates'].split(',').map((r) => positiveInt('gateway-rates', r.trim(), 0))
    : rates.filter((r, i) => r <= straightKnee || rates[i - 1] === straightKnee || i === 0);
  log(`soak ladder through the ingest gateway: ${gatewayRates.join(', ')} events/s, ${soakSeconds} s each`);
  const gatewayEnv = await benchEnvironment('gateway');
  const gatewaySteps = await gatewayLadder(gatewayEnv, source, gatewayRates, soakSeconds, values.out, log);
  await gatewayEnv.close();

  const transformHeapMb =
    values['transform-heap-mb'] === '0'
      ? 0
      : positiveInt('transform-heap-mb', values['transform-heap-mb'], 384);
  const transformHeap = heapCapEnv(transformHeapMb);
  const rssSoakSeconds =
    values['rss-soak'] === '0' ? 0 : positiveInt('rss-soak', values['rss-soak'], quick ? 60 : 600);
  const rssSoakRate = positiveInt('rss-soak-rate', values['rss-soak-rate'], quick ? 500 : 2_000);
  let rssSoakResult: Awaited<ReturnType<typeof rssSoak>> | undefined;
  if (rssSoakSeconds > 0) {
    log(`RSS soak: ${rssSoakSeconds} s at ${rssSoakRate} events/s through the gateway`);
    const rssEnv = await benchEnvironment('rss');
    rssSoakResult = await rssSoak(rssEnv, source, rssSoakRate, rssSoakSeconds, values.out, transformHeap);
    await rssEnv.close();
    for (const p of rssSoakResult.processes)
      log(
        `  ${p.name}: ${round(p.firstWindowBytes / 2 ** 20)} -> ${round(p.lastWindowBytes / 2 ** 20)} MiB (${round(p.growth * 100)} %)`,
      );
  }

  log(`memory: one transform instance taking ${openTickets} open tickets`);
  const openEnv = await benchEnvironment('open');
  const open = await drain(openEnv, openTicketEvents(openTickets, 'bench'), 1, transformHeap);
  await openEnv.close();

  log(
    `API: seeding ${storedEvents} stored events over a year, then ${apiSeconds} s of 20 clients per endpoint`,
  );
  const apiEnv = await benchEnvironment('api');
  const to = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  // Up to 500k events are computed by the projections; the rest are copies under other tenants.
  const computed = Math.min(storedEvents, 500_000);
  const seeded = await seedHistory(apiEnv, {
    events: computed,
    clones: Math.max(0, Math.round(storedEvents / computed) - 1),
    days: 365,
    to,
    tenant: 'bench',
    logger: apiEnv.logger,
    onProgress: (done) => process.stderr.write(`\rbench:   seeded ${done} events`),
  });
  process.stderr.write('\n');
  const port = await freePort();
  mkdirSync(values.out, { recursive: true });
  const { key, file: keysFile } = createDemoKeyFile(join(values.out, 'bench-api-keys.json'), ['read']);
  // The per-key rate limit would answer most of the load with 429: lifted for the measurement.
  const api = await startApiProcess(apiEnv, port, {
    API_KEYS_FILE: keysFile,
    API_RATE_LIMIT_MAX: '1000000000',
  });
  const tickets = await sampleTicketIds(apiEnv, 200);
  const endpoints = apiEndpoints(to, tickets);
  const latency = await loadEndpoints(`http://127.0.0.1:${port}`, endpoints, {
    connections: 20,
    seconds: apiSeconds,
    headers: { authorization: `Bearer ${key}` },
  });
  const apiUsage = await api.stop();
  // The same load with every request computed (no answer cache): what a stream of distinct
  // questions costs.
  const uncachedPort = await freePort();
  const uncachedApi = await startApiProcess(apiEnv, uncachedPort, {
    API_KEYS_FILE: keysFile,
    API_RATE_LIMIT_MAX: '1000000000',
    API_CACHE_SECONDS: '0',
  });
  const latencyUncached = await loadEndpoints(`http://127.0.0.1:${uncachedPort}`, endpoints, {
    connections: 20,
    seconds: apiSeconds,
    headers: { authorization: `Bearer ${key}` },
  });
  await uncachedApi.stop();
  await apiEnv.close();

  const knee = [...ladder].reverse().find((s) => s.bounded)?.targetPerSecond ?? 0;
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'default',
    machine: { cpus: cpus().length, memoryBytes: totalmem(), node: process.version },
    events: sample.length,
    messageBytes: round(meanMessageBytes(sample)),
    ceiling: { kafka, clickhouse },
    kafkaClients,
    drain: {
      one: drain1,
      two: drain2,
      ratioToKafkaCeiling: drain1.perSecond / kafka.perSecond,
      ratioToClickHouseCeiling: drain1.perSecond / clickhouse.perSecond,
      scalingTwoOverOne: drain2.perSecond / drain1.perSecond,
    },
    ladder,
    kneePerSecond: knee,
    gatewayLadder: gatewaySteps,
    ...(rssSoakResult ? { rssSoak: rssSoakResult } : {}),
    openTickets: {
      tickets: openTickets,
      peakRssBytes: open.peakRssBytes,
      perSecond: open.perSecond,
      transformHeapMb,
    },
    api: {
      seeded,
      endpoints: latency,
      endpointsUncached: latencyUncached,
      peakRssBytes: apiUsage.peakRssBytes,
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
