import type { EndpointLatency } from './lib/api-load.js';
import { type KafkaClientsStage, kafkaClientsSection } from './lib/kafka-clients.js';
import type { DrainResult, RateStep, Throughput } from './lib/measure.js';
import type { SeedResult } from './lib/seed.js';
import { type GatewayStep, type RssSoakResult, renderSoakSections, soakTargetRows } from './lib/soak.js';
import { round } from './lib/stats.js';

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  mode: string;
  machine: { cpus: number; memoryBytes: number; node: string };
  events: number;
  messageBytes: number;
  ceiling: { kafka: Throughput; clickhouse: Throughput };
  kafkaClients?: KafkaClientsStage;
  drain: {
    one: DrainResult;
    two: DrainResult;
    ratioToKafkaCeiling: number;
    ratioToClickHouseCeiling: number;
    scalingTwoOverOne: number;
  };
  ladder: RateStep[];
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
  };
}

const MiB = 1024 * 1024;
const pct = (r: number) => `${round(r * 100)} %`;
const n = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

// The issue's targets, each quoted beside what this run measured.
function targets(r: BenchReport): string[] {
  const at10k = r.ladder.find((s) => s.targetPerSecond === 10_000 && s.freshnessMs);
  const sustained = r.kneePerSecond;
  const rows = [
    [
      'End-to-end sustained ≥ 25,000 events/s',
      `${n(sustained)} events/s (knee of the ladder)`,
      sustained >= 25_000 ? 'met' : `missed by ${n(25_000 - sustained)} events/s`,
    ],
    [
      '≥ 50 % of the raw Kafka ceiling (drain)',
      pct(r.drain.ratioToKafkaCeiling),
      r.drain.ratioToKafkaCeiling >= 0.5
        ? 'met'
        : `missed by ${round((0.5 - r.drain.ratioToKafkaCeiling) * 100)} pp`,
    ],
    [
      'Freshness p99 ≤ 2 s at 10,000 events/s',
      at10k ? `${n(at10k.freshnessMs!.p99)} ms` : '10,000 events/s not in the ladder or not sustained',
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
        return [
          `${e.name} (${how}): p99 ≤ ${limit} ms at 20 clients over ${n(r.api.seeded.events)} events`,
          `${n(e.p99Ms)} ms`,
          e.p99Ms <= limit ? 'met' : `missed by ${n(e.p99Ms - limit)} ms`,
        ];
      }),
    ),
  ];
  return ['| target | measured | status |', '|---|---|---|', ...rows.map((c) => `| ${c.join(' | ')} |`)];
}

export function renderMarkdown(r: BenchReport): string {
  const lines = [
    `# Baton benchmark — ${r.mode} run`,
    '',
    `${r.startedAt} → ${r.finishedAt}; ${r.machine.cpus} CPUs, ${n(r.machine.memoryBytes / MiB)} MiB, Node ${r.machine.node}.`,
    `${n(r.events)} simulator ticket events of ${r.messageBytes} bytes on average; Kafka, ClickHouse and Baton on this machine.`,
    '',
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
    `Knee (highest bounded rate): ${n(r.kneePerSecond)} events/s.`,
    '',
    ...renderSoakSections(r),
    '## API under load (20 concurrent clients)',
    '',
    `${n(r.api.seeded.events)} stored events (${n(r.api.seeded.tickets)} tickets) over a year in ${r.api.seeded.tenants} tenant(s) — one computed by the transforms' projections, the others copies of it made inside ClickHouse — seeded in ${round(r.api.seeded.seconds)} s; API peak RSS ${n(r.api.peakRssBytes / MiB)} MiB. Requests name no tenant (every stored event is in scope) except the drill-down.`,
    '',
    'Each endpoint twice: with the answer cache (the default: the same question within `API_CACHE_SECONDS` is computed once) and with every request computed (`API_CACHE_SECONDS=0`). "answered from" is the `x-baton-source` header: the region rollups plus the live edge, or a live scan.',
    '',
    '| endpoint | answered from | cached: requests/s | p50 | p99 | computed: requests/s | p50 | p99 | errors | non-2xx |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.api.endpoints.map((e, i) => {
      const u = r.api.endpointsUncached?.[i];
      const computed = u ? `${n(u.requestsPerSecond)} | ${n(u.p50Ms)} ms | ${n(u.p99Ms)} ms` : '– | – | –';
      return `| ${e.name} | ${e.source ?? (e.name.includes('timeline') ? 'point lookups' : 'live')} | ${n(e.requestsPerSecond)} | ${n(e.p50Ms)} ms | ${n(e.p99Ms)} ms | ${computed} | ${e.errors + (u?.errors ?? 0)} | ${e.non2xx + (u?.non2xx ?? 0)} |`;
    }),
    '',
    '## Memory',
    '',
    `One transform instance after taking ${n(r.openTickets.tickets)} open tickets: peak RSS ${n(r.openTickets.peakRssBytes / MiB)} MiB (drained at ${n(r.openTickets.perSecond)} events/s)${r.openTickets.transformHeapMb ? `, run with \`--max-old-space-size=${r.openTickets.transformHeapMb}\`` : ", under Node's default heap limit"}.`,
    '',
    '## Targets',
    '',
    ...targets(r),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
