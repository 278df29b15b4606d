import type { EndpointLatency } from './lib/api-load.js';
import type { CpuAccount } from './lib/cpu-account.js';
import type { HistoryLoadCost } from './lib/history-load.js';
import { type KafkaClientsStage, kafkaClientsSection } from './lib/kafka-clients.js';
import type { DrainResult, RateStep, Throughput } from './lib/measure.js';
import { profileSection, type TransformProfile } from './lib/profile.js';
import type { SeedResult } from './lib/seed.js';
import { type GatewayStep, type RssSoakResult, renderSoakSections, soakTargetRows } from './lib/soak.js';
import { MiB, n, pct, round } from './lib/stats.js';

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  mode: string;
  machine: { cpus: number; memoryBytes: number; node: string };
  /** Wall time of each stage (those run beside the RSS soak overlap it). */
  stages?: { name: string; seconds: number; machineBusy?: number; steal?: number }[];
  /** CPU over the RSS soak and the stages beside it, per process. */
  soakBlockCpu?: CpuAccount;
  events: number;
  messageBytes: number;
  ceiling: { kafka: Throughput; clickhouse: Throughput };
  kafkaClients?: KafkaClientsStage;
  /** One transform instance draining under the CPU profiler: where its time goes. */
  profile?: TransformProfile;
  drain: {
    one: DrainResult;
    two: DrainResult;
    ratioToKafkaCeiling: number;
    ratioToClickHouseCeiling: number;
    scalingTwoOverOne: number;
  };
  ladder: RateStep[];
  /** Minutes at the ladder's highest bounded rate: the knee counts only if it holds. */
  kneeSoak?: RateStep;
  kneePerSecond: number;
  gatewayLadder?: GatewayStep[];
  rssSoak?: RssSoakResult;
  openTickets: { tickets: number; peakRssBytes: number; perSecond: number; transformHeapMb?: number };
  api: {
    seeded: SeedResult;
    /** With the API's answer cache (its default). */
    endpoints: EndpointLatency[];
    /** Every request computed (API_CACHE_SECONDS=0). */
    endpointsUncached?: EndpointLatency[];
    peakRssBytes: number;
    /** The same reads, every request computed, over a tenth of the stored events. */
    smaller?: { seeded: SeedResult; endpointsUncached: EndpointLatency[] };
    /** `SELECT 1` through ClickHouse's HTTP interface at the same concurrency: no API request is cheaper. */
    clickHouseFloor?: EndpointLatency;
    /** A transform's read-back of one batch of uncached tickets, over each stored history. */
    historyLoad?: { smaller: HistoryLoadCost; larger: HistoryLoadCost };
  };
}

// The issue's targets, each quoted beside what this run measured.
function targets(r: BenchReport): string[] {
  // The longer measurement when there is one at 10,000 events/s: the knee's hold, else the ladder's step.
  // A step whose lag grew does not count: its tracers only saw the start of a growing queue.
  const at10k =
    r.kneeSoak?.targetPerSecond === 10_000 && r.kneeSoak.freshnessMs
      ? r.kneeSoak
      : r.ladder.find((s) => s.targetPerSecond === 10_000 && s.freshnessMs && s.bounded);
  const sustained = r.kneePerSecond;
  const rows = [
    [
      'End-to-end sustained ≥ 25,000 events/s',
      r.kneeSoak
        ? `${n(sustained)} events/s (the ladder's knee ${r.kneeSoak.bounded ? 'held' : `did not hold`} for ${n(r.kneeSoak.seconds)} s at ${n(r.kneeSoak.targetPerSecond)} events/s)`
        : `${n(sustained)} events/s (knee of the ladder)`,
      sustained >= 25_000 ? 'met' : `missed by ${n(25_000 - sustained)} events/s`,
    ],
    [
      '≥ 50 % of the raw Kafka ceiling (drain)',
      pct(r.drain.ratioToKafkaCeiling),
      r.drain.ratioToKafkaCeiling >= 0.5
        ? 'met'
        : `missed by ${round((0.5 - r.drain.ratioToKafkaCeiling) * 100)} pp`,
    ],
    ...(r.kneeSoak?.freshnessMs
      ? [
          [
            `Freshness at the knee (${n(r.kneeSoak.targetPerSecond)} events/s)`,
            `p50 ${n(r.kneeSoak.freshnessMs.p50)} ms, p99 ${n(r.kneeSoak.freshnessMs.p99)} ms`,
            r.kneeSoak.freshnessMs.p99 <= 2_000 ? 'within 2 s' : 'over 2 s',
          ],
        ]
      : []),
    [
      'Freshness p99 ≤ 2 s at 10,000 events/s',
      at10k
        ? `${n(at10k.freshnessMs!.p99)} ms (${n(at10k.freshnessMs!.samples)} tracers over ${n(at10k.seconds)} s)`
        : '10,000 events/s not in the ladder, or its lag grew',
      at10k ? (at10k.freshnessMs!.p99 <= 2_000 ? 'met' : 'missed') : 'not measured',
    ],
    [
      `Transform RSS ≤ 512 MiB with ${n(r.openTickets.tickets)} open tickets`,
      `${n(r.openTickets.peakRssBytes / MiB)} MiB`,
      r.openTickets.peakRssBytes <= 512 * MiB
        ? 'met'
        : `missed by ${n((r.openTickets.peakRssBytes - 512 * MiB) / MiB)} MiB`,
    ],
    ...soakTargetRows(r),
    ...[
      ['with the answer cache', r.api.endpoints] as const,
      ['every request computed', r.api.endpointsUncached ?? []] as const,
    ].flatMap(([how, endpoints]) =>
      endpoints.map((e) => {
        const limit = e.name.includes('timeline') ? 300 : 100;
        // JSON keeps a missing latency as null.
        const measured = typeof e.p99Ms === 'number' && Number.isFinite(e.p99Ms);
        return [
          `${e.name} (${how}): p99 ≤ ${limit} ms at 20 clients over ${n(r.api.seeded.events)} events`,
          measured ? `${n(e.p99Ms)} ms` : 'no request finished within the load',
          !measured ? 'missed' : e.p99Ms <= limit ? 'met' : `missed by ${n(e.p99Ms - limit)} ms`,
        ];
      }),
    ),
  ];
  return ['| target | measured | status |', '|---|---|---|', ...rows.map((c) => `| ${c.join(' | ')} |`)];
}

/**
 * The load generator drops its connections when a load's time is up; the requests in flight are
 * finished anyway, and the next load starts when the engine is idle again.
 */
function tailsLine(loads: EndpointLatency[]): string[] {
  const tails = loads.filter((e) => e.tailSeconds !== null && e.tailSeconds >= 1);
  if (tails.length === 0) return [];
  const list = tails.map((e) => `${e.name} ${round(e.tailSeconds!)} s`).join(', ');
  return [
    `Every request computed, the requests still in flight when a load's time was up kept the engine busy after it (the next load started once it was idle): ${list}.`,
    '',
  ];
}

const answeredFrom = (e: EndpointLatency) =>
  e.source ?? (e.name.includes('timeline') ? 'point lookups' : 'live');

function stagesSection(r: BenchReport): string[] {
  if (!r.stages?.length) return [];
  const wall = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  return [
    `Wall time ${round(wall / 60, 1)} min. Stages (the memory stage, the API's seeding and the Kafka clients' install run beside the RSS soak):`,
    '',
    '| stage | seconds | machine busy | steal |',
    '|---|---:|---:|---:|',
    ...r.stages.map(
      (st) =>
        `| ${st.name} | ${round(st.seconds, 1)} | ${st.machineBusy === undefined ? '' : pct(st.machineBusy)} | ${st.steal === undefined ? '' : pct(st.steal)} |`,
    ),
    '',
    "Machine busy: the share of all cores' time spent running anything during the stage (the stages beside the soak overlap it); steal: the share the hypervisor gave to other machines.",
    '',
    ...soakBlockSection(r.soakBlockCpu),
  ];
}

function soakBlockSection(a: CpuAccount | undefined): string[] {
  if (!a) return [];
  const available = a.seconds * a.cores;
  const m = a.machine;
  return [
    `CPU over the RSS soak and the stages beside it (${n(a.seconds)} s × ${a.cores} cores = ${n(available)} core-seconds${m ? `; busy ${pct(m.busy)}, I/O wait ${pct(m.iowait)}, steal ${pct(m.steal)}, idle ${pct(m.idle)}` : ''}):`,
    '',
    '| process | CPU seconds | share of the cores |',
    '|---|---:|---:|',
    ...a.processes.map((p) => `| ${p.name} | ${n(p.cpuSeconds)} | ${pct(p.cpuSeconds / available)} |`),
    '',
  ];
}

/** The same reads over a tenth of the history and over all of it, every request computed. */
function costGrowthSection(r: BenchReport): string[] {
  const smaller = r.api.smaller;
  if (!smaller || !r.api.endpointsUncached) return [];
  const factor = r.api.seeded.events / Math.max(smaller.seeded.events, 1);
  return [
    `### Cost growth: ${n(smaller.seeded.events)} → ${n(r.api.seeded.events)} stored events (×${round(factor, 1)})`,
    '',
    'Every request computed (`API_CACHE_SECONDS=0`), 20 clients; the ratio is the larger history over the smaller (×1 = the cost does not grow with history).',
    '',
    '| endpoint | answered from | smaller: p50 | p99 | requests/s | larger: p50 | p99 | requests/s | p50 ratio |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.api.endpointsUncached.map((large) => {
      const small = smaller.endpointsUncached.find((e) => e.name === large.name);
      if (!small)
        return `| ${large.name} | | | | | ${n(large.p50Ms)} ms | ${n(large.p99Ms)} ms | ${n(large.requestsPerSecond)} | |`;
      return `| ${large.name} | ${answeredFrom(large)} | ${n(small.p50Ms)} ms | ${n(small.p99Ms)} ms | ${n(small.requestsPerSecond)} | ${n(large.p50Ms)} ms | ${n(large.p99Ms)} ms | ${n(large.requestsPerSecond)} | ${Number.isFinite(large.p50Ms / small.p50Ms) ? `×${round(large.p50Ms / small.p50Ms, 2)}` : 'n/a'} |`;
    }),
    '',
    ...historyLoadLines(r.api.historyLoad),
  ];
}

function historyLoadLines(h: BenchReport['api']['historyLoad']): string[] {
  if (!h) return [];
  const row = (label: string, c: HistoryLoadCost) =>
    `| ${label} | ${n(c.storedEvents)} | ${n(c.tickets)} | ${n(c.events)} | ${round(c.medianMs)} ms |`;
  return [
    `The transforms' side: reading back the histories of ${n(h.larger.tickets)} stored tickets of one tenant holding every stored event (the seeded tenants gathered into one), which the history cache does not hold (after a restart or a rebalance, or with more active tickets than \`HISTORY_CACHE_MAX_MB\` keeps), as a transform does for a batch. Each ticket costs a granule of the tenant's events, so this grows with the tenant's stored events until the batch covers every granule.`,
    '',
    "| history | tenant's stored events | tickets | their events | read-back, median |",
    '|---|---:|---:|---:|---:|',
    row('smaller', h.smaller),
    row('larger', h.larger),
    `| ratio | ×${round(h.larger.storedEvents / Math.max(h.smaller.storedEvents, 1), 1)} | | | ×${round(h.larger.medianMs / h.smaller.medianMs, 2)} |`,
    '',
  ];
}

export function renderMarkdown(r: BenchReport): string {
  const lines = [
    `# Baton benchmark — ${r.mode} run`,
    '',
    `${r.startedAt} → ${r.finishedAt}; ${r.machine.cpus} CPUs, ${n(r.machine.memoryBytes / MiB)} MiB, Node ${r.machine.node}.`,
    `${n(r.events)} simulator ticket events of ${r.messageBytes} bytes on average; Kafka, ClickHouse and Baton on this machine.`,
    '',
    ...stagesSection(r),
    '## Ceiling and pipeline, same run',
    '',
    '| measurement | events/s | ratio to Kafka ceiling | CPU s / 1k events | peak RSS |',
    '|---|---:|---:|---:|---:|',
    `| raw Kafka: kafkajs producer → no-op consumer | ${n(r.ceiling.kafka.perSecond)} | 100 % | | |`,
    `| raw ClickHouse: INSERT FORMAT JSONEachRow | ${n(r.ceiling.clickhouse.perSecond)} | ${pct(r.ceiling.clickhouse.perSecond / r.ceiling.kafka.perSecond)} | | |`,
    `| pipeline drain, 1 transform instance | ${n(r.drain.one.perSecond)} | ${pct(r.drain.ratioToKafkaCeiling)} | ${round(r.drain.one.cpuSecondsPerEvent * 1000, 2)} | ${n(r.drain.one.peakRssBytes / MiB)} MiB |`,
    `| pipeline drain, 2 transform instances | ${n(r.drain.two.perSecond)} | ${pct(r.drain.two.perSecond / r.ceiling.kafka.perSecond)} | ${round(r.drain.two.cpuSecondsPerEvent * 1000, 2)} | ${n(r.drain.two.peakRssBytes / MiB)} MiB |`,
    '',
    `Two instances over one: ×${round(r.drain.scalingTwoOverOne, 2)}.`,
    '',
    ...profileSection(r.profile),
    ...kafkaClientsSection(r.kafkaClients),
    '## Fixed-rate soak ladder (straight to Kafka)',
    '',
    '| target events/s | produced/s | lag slope (events/s) | max lag | bounded | CPU s / 1k events | RSS | freshness p50 | freshness p99 |',
    '|---:|---:|---:|---:|:---:|---:|---:|---:|---:|',
    ...r.ladder.map(
      (s) =>
        `| ${n(s.targetPerSecond)} | ${n(s.producedPerSecond)} | ${round(s.lagSlopePerSecond)} | ${n(s.maxLag)} | ${s.bounded ? 'yes' : 'no'} | ${round(s.cpuSecondsPerEvent * 1000, 2)} | ${n(s.rssBytes / MiB)} MiB | ${s.freshnessMs ? `${n(s.freshnessMs.p50)} ms` : ''} | ${s.freshnessMs ? `${n(s.freshnessMs.p99)} ms` : ''} |`,
    ),
    '',
    r.kneeSoak
      ? `The ladder's highest bounded rate, ${n(r.kneeSoak.targetPerSecond)} events/s, then held for ${n(r.kneeSoak.seconds)} s: produced ${n(r.kneeSoak.producedPerSecond)}/s, lag slope ${round(r.kneeSoak.lagSlopePerSecond)}/s, max lag ${n(r.kneeSoak.maxLag)}, ${r.kneeSoak.bounded ? 'bounded' : 'NOT bounded'}; CPU ${round(r.kneeSoak.cpuSecondsPerEvent * 1000, 2)} s / 1k events${r.kneeSoak.freshnessMs ? `; freshness p50 ${n(r.kneeSoak.freshnessMs.p50)} ms, p99 ${n(r.kneeSoak.freshnessMs.p99)} ms (${n(r.kneeSoak.freshnessMs.samples)} tracers)` : ''}.`
      : 'No rate of the ladder was bounded.',
    '',
    `Knee (highest rate bounded on the ladder${r.kneeSoak ? ' and held' : ''}): ${n(r.kneePerSecond)} events/s.`,
    '',
    ...renderSoakSections(r),
    '## API under load (20 concurrent clients)',
    '',
    `${n(r.api.seeded.events)} stored events (${n(r.api.seeded.tickets)} tickets) over a year in ${r.api.seeded.tenants} tenant(s) — one computed by the transforms' projections, the others copies of it made inside ClickHouse — seeded in ${round(r.api.seeded.seconds)} s; API peak RSS ${n(r.api.peakRssBytes / MiB)} MiB. Requests name no tenant (every stored event is in scope) except the drill-down.`,
    '',
    ...(r.api.clickHouseFloor
      ? [
          `The floor under every figure below: \`SELECT 1\` through ClickHouse's HTTP interface at 20 clients answers ${n(r.api.clickHouseFloor.requestsPerSecond)} requests/s, p50 ${n(r.api.clickHouseFloor.p50Ms)} ms, p99 ${n(r.api.clickHouseFloor.p99Ms)} ms (each API request makes at least one ClickHouse request).`,
          '',
        ]
      : []),
    'Each endpoint twice: with the answer cache (the default: the same question within `API_CACHE_SECONDS` is computed once) and with every request computed (`API_CACHE_SECONDS=0`). "answered from" is the `x-baton-source` header: the region rollups plus the live edge, or a live scan.',
    '',
    '| endpoint | answered from | cached: requests/s | p50 | p99 | computed: requests/s | p50 | p99 | errors | non-2xx |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.api.endpoints.map((e, i) => {
      const u = r.api.endpointsUncached?.[i];
      const computed = u ? `${n(u.requestsPerSecond)} | ${n(u.p50Ms)} ms | ${n(u.p99Ms)} ms` : '– | – | –';
      return `| ${e.name} | ${answeredFrom(e)} | ${n(e.requestsPerSecond)} | ${n(e.p50Ms)} ms | ${n(e.p99Ms)} ms | ${computed} | ${e.errors + (u?.errors ?? 0)} | ${e.non2xx + (u?.non2xx ?? 0)} |`;
    }),
    '',
    ...tailsLine(r.api.endpointsUncached ?? []),
    ...costGrowthSection(r),
    '## Memory',
    '',
    `One transform instance after taking ${n(r.openTickets.tickets)} open tickets: peak RSS ${n(r.openTickets.peakRssBytes / MiB)} MiB (drained at ${n(r.openTickets.perSecond)} events/s)${r.openTickets.transformHeapMb ? `, run with \`--max-old-space-size=${r.openTickets.transformHeapMb}\`` : ", under Node's default heap limit"}${r.rssSoak?.beside.length ? '; run beside the RSS soak (the rate is not comparable with the drain)' : ''}.`,
    '',
    '## Targets',
    '',
    ...targets(r),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
