import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { eventId, type TicketEvent } from '../../core/events/ticket.js';
import type { EventProducer } from '../../core/kafka.js';
import { topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { type BacklogRollup, startRegionRollups } from '../../transforms/backlog/materialise.js';
import { type RollupAndLiveApis, startRollupAndLiveApis } from '../helpers/api-pair.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// Update staleness (from ticket_sla_open) and specialist concentration (specialists_hourly + the
// ticket_facts_recent edge) through the real pipeline: simulated and hand-made tickets → Kafka →
// transforms → materialiser driven on an injected clock whose watermark falls a few hours before
// now, so that both the rollup hours and the edge hold resolutions. An API reading rollups must
// answer exactly as a second API with API_READ_ROLLUPS=false on the same database, before and after
// late events (an assignment before a resolution that changes its agent, a resolution before the
// watermark) and the next pass.

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
const base = Math.floor(Date.now() / HOUR) * HOUR; // the current hour's start
// The materialiser's clock: the watermark is its hour, 4 h before the current one, well within the
// 6 h the API allows a watermark to lag.
let clock = base - 4 * HOUR + 30 * MINUTE;
const W = base - 4 * HOUR;
const iso = (t: number) => new Date(t).toISOString();

let pipeline: TestPipeline;
let producer: EventProducer;
let apis: RollupAndLiveApis;
let rollup: BacklogRollup;
let total = 0;

beforeAll(async () => {
  // The test drives the materialiser; no timer of the transforms may run a pass in between.
  pipeline = await startPipeline('covrollup', {
    overrides: {
      REGION_ROLLUP_INTERVAL_SECONDS: 86_400,
      BACKLOG_ROLLUP_INTERVAL_SECONDS: 86_400,
      SLA_SWEEP_INTERVAL_SECONDS: 86_400,
    },
  });
  producer = await pipeline.bus.createProducer();
  apis = await startRollupAndLiveApis(pipeline);
  rollup = startRegionRollups({
    ch: pipeline.ch,
    logger: pipeline.logger,
    intervalSeconds: 86_400,
    now: () => clock,
    markerGraceSeconds: 0,
  });
});

afterAll(async () => {
  await rollup?.stop();
  await apis?.close();
  await pipeline?.close();
});

// ---- events ---------------------------------------------------------------------------------------

const TENANT = 'hand';
const seqs = new Map<string, number>();

function ev(ticketId: string, type: TicketEvent['type'], at: number, body = {}): TicketEvent {
  const seq = seqs.get(ticketId) ?? 0;
  seqs.set(ticketId, seq + 1);
  return {
    eventId: eventId('hand', 'ticket', ticketId, String(seq)),
    schemaVersion: 1,
    source: 'hand',
    tenant: TENANT,
    ticketId,
    occurredAt: iso(at),
    receivedAt: iso(at),
    type,
    ...body,
  } as TicketEvent;
}

/** A critical ticket of emea-l1 about `category`, created at `at`. */
const created = (id: string, at: number, category: string) =>
  ev(id, 'ticket.created', at, {
    customer: 'c1',
    priority: 'critical',
    region: 'EMEA',
    team: 'emea-l1',
    category,
  });
const assigned = (id: string, at: number, agent: string) =>
  ev(id, 'ticket.assigned', at, { team: 'emea-l1', region: 'EMEA', agent });
const resolved = (id: string, at: number) => ev(id, 'ticket.resolved', at);

/** A ticket about `category` held by `agent` ('' none) from 30 min after creation, resolved at `at`. */
const resolvedBy = (id: string, category: string, agent: string, at: number) => [
  created(id, at - HOUR, category),
  ...(agent ? [assigned(id, at - 30 * MINUTE, agent)] : []),
  resolved(id, at),
];

// Hand-made tickets around the watermark W.
const handFirst: TicketEvent[] = [
  ...resolvedBy('N1', 'network', 'a5', W - 6 * HOUR), // a3 took it over before; sent late
  ...resolvedBy('N2', 'network', 'a1', W - 5 * HOUR),
  ...resolvedBy('R', 'network', 'a1', W - 4 * HOUR), // reopened now: still its first resolution
  ...resolvedBy('N3', 'network', 'a2', W - 3 * HOUR),
  ...resolvedBy('U1', 'network', '', W - 7 * HOUR),
  ...resolvedBy('N4', 'network', 'a2', W + 20 * MINUTE), // in the edge
  ...resolvedBy('P1', 'printer', 'a3', W - 2 * HOUR),
  ...resolvedBy('P2', 'printer', 'a3', W + HOUR), // in the edge
  created('L', W - 8 * HOUR, 'network'), // open; resolved late, before W
  assigned('L', W - 7 * HOUR, 'a2'),
  created('O', W - HOUR, 'network'), // open; resolved after W
  assigned('O', W - 50 * MINUTE, 'a1'),
];

/** The second batch: late events before W and a reopen / resolution now. */
function handSecond(now: number): TicketEvent[] {
  return [
    assigned('N1', W - 6 * HOUR - 10 * MINUTE, 'a3'),
    resolved('L', W - 2 * HOUR),
    ev('R', 'ticket.reopened', now - 5 * MINUTE),
    resolved('O', now - 2 * MINUTE),
  ];
}

/** Two tenants of simulated tickets over the last two days, cut at now (later ones stay open). */
function simulated(now: number): TicketEvent[] {
  return ['acme', 'globex'].flatMap((tenant, i) =>
    ticketsCreatedBetween({ seed: 31 + i, tenant }, base - 2 * DAY, now).filter(
      (e) => Date.parse(e.occurredAt) < now,
    ),
  );
}

async function scalar(query: string, params: Record<string, unknown> = {}): Promise<number> {
  const rs = await pipeline.ch.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: number | string }>();
  return Number(row?.n ?? 0);
}

async function send(events: TicketEvent[]): Promise<void> {
  await emitTicketEvents(producer, topicName(pipeline.config, 'ticketEvents'), events);
  total += new Set(events.map((e) => `${e.tenant}/${e.eventId}`)).size;
  // Both per-ticket tables hold every event: the SLA rows count them, the facts' version too.
  const stored = await eventually(
    async () => [
      await scalar('SELECT sum(event_count) AS n FROM ticket_sla FINAL'),
      await scalar('SELECT sum(version) AS n FROM ticket_facts FINAL'),
    ],
    (n) => n[0] === total && n[1] === total,
    90_000,
    250,
  );
  expect(stored).toEqual([total, total]);
}

async function pass(at: number) {
  clock = at;
  const result = await rollup.materialiseOnce();
  // The API caches the watermarks for a second.
  await new Promise((r) => setTimeout(r, 1_100));
  return result;
}

// ---- requests -------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/**
 * Staleness "now" is each request's own instant: the ages are turned back into the instants they
 * were measured from (the oldest stale update, the earliest missed due time), which do not move.
 */
function comparable(path: string, body: Json): Json {
  if (path !== '/v1/metrics/staleness') return body;
  const asOf = Date.parse(body.asOf as string);
  const since = (s: unknown) => (s === null ? null : Math.round(asOf - (s as number) * 1000));
  return {
    ...body,
    asOf: 'now',
    groups: (body.groups as Json[]).map(({ oldestAgeSeconds, maxOverdueSeconds, ...g }) => ({
      ...g,
      oldestUpdateMs: since(oldestAgeSeconds),
      earliestDueMs: since(maxOverdueSeconds),
    })),
  };
}

// Two requests at two instants: a ticket falling due in between would differ; ask again then.
const same = async (path: string, query: Record<string, string>) =>
  (await apis.same(path, query, { comparable: (b) => comparable(path, b as Json), attempts: 3 })) as Json;

/** Every specialists request the rollups must answer, each equal to live; returns the hand tenant's. */
async function checkSpecialists(): Promise<Json> {
  const path = '/v1/metrics/specialists';
  const ranges = [
    { from: iso(base - 2 * DAY), to: iso(base) },
    { from: iso(base - 7 * DAY), to: iso(base + HOUR) },
    { from: iso(base - DAY), to: iso(W - 2 * HOUR) }, // entirely before the watermark
    { from: iso(W), to: iso(base + 2 * HOUR) }, // entirely edge
    { from: iso(base - DAY), to: iso(Date.now()) }, // ends after every watermark, off the hour
    // Ends inside hours before the watermark: only the resolutions inside the range count there.
    { from: iso(base - DAY + 90_000), to: iso(base) },
    { from: iso(base - DAY - 17 * 60_000), to: iso(W - 90_000) },
    { from: iso(W - 30 * 60_000 - 1), to: iso(W + 45 * 60_000) },
  ];
  for (const range of ranges) {
    const all = (await same(path, range)) as { rows: unknown[] };
    expect(all.rows.length).toBeGreaterThan(0);
    for (const tenant of ['acme', 'globex', TENANT]) {
      await same(path, { ...range, tenant });
      await same(path, { ...range, tenant, region: 'EMEA' });
    }
    await same(path, { ...range, region: 'APAC' });
  }
  return same(path, { tenant: TENANT, from: iso(W - 12 * HOUR), to: iso(base + HOUR) });
}

async function checkStaleness(): Promise<Json> {
  const path = '/v1/metrics/staleness';
  const all = (await same(path, {})) as { openTickets: number; stale: number };
  expect(all.openTickets).toBeGreaterThan(10);
  expect(all.stale).toBeGreaterThan(0);
  await same(path, { tenant: 'acme' });
  await same(path, { tenant: 'globex', region: 'APAC' });
  await same(path, { region: 'EMEA', team: 'emea-l1' });
  // A past instant reads the same open copy: staleness judges the tickets open now.
  const past = (await same(path, { asOf: iso(Date.now() - HOUR) })) as typeof all;
  expect(past.openTickets).toBeGreaterThan(0);
  expect(past.stale).toBeLessThanOrEqual(all.stale);
  await same(path, { tenant: 'acme', asOf: iso(W) });
  await same(path, { region: 'EMEA', asOf: iso(W - 90 * MINUTE + 17_003) });
  return same(path, { tenant: TENANT });
}

const network = (rows: Json[]) => rows.find((r) => r.category === 'network');
const printer = (rows: Json[]) => rows.find((r) => r.category === 'printer');

// ---- the test -------------------------------------------------------------------------------------

describe('staleness and specialists on the open copy and the region rollups', () => {
  it('answer as live, with the watermark mid-data, after late events and a pass', {
    timeout: 300_000,
  }, async () => {
    await send([...simulated(Date.now() - MINUTE), ...handFirst]);
    const first = await pass(clock);
    expect(first.runs.map((r) => [r.tenant, r.to])).toEqual([
      ['acme', W],
      ['globex', W],
      [TENANT, W],
    ]);
    // Both parts hold resolutions: before the watermark (rollup) and at or after it (edge).
    const firstResolved = (cmp: string) =>
      scalar(
        `SELECT count() AS n FROM ticket_facts FINAL WHERE tenant != 'hand'
         AND resolved_at ${cmp} {w:DateTime('UTC')}`,
        { w: toClickHouseTime(W).slice(0, 19) },
      );
    expect(await firstResolved('<')).toBeGreaterThan(20);
    expect(await firstResolved('>=')).toBeGreaterThan(2);

    // By hand. network: a1 N2, R; a2 N3, N4; a5 N1; nobody U1 (ties go to the smallest id).
    // printer: a3 P1, P2.
    const hand = (await checkSpecialists()).rows as Json[];
    expect(hand.map((r) => r.category)).toEqual(['printer', 'network']);
    expect(network(hand)).toEqual({
      region: 'EMEA',
      category: 'network',
      resolutions: 6,
      attributed: 5,
      agents: 3,
      topAgent: 'a1',
      topAgentResolutions: 2,
      topAgentShare: 0.4,
      flagged: false,
    });
    expect(printer(hand)).toEqual({
      region: 'EMEA',
      category: 'printer',
      resolutions: 2,
      attributed: 2,
      agents: 1,
      topAgent: 'a3',
      topAgentResolutions: 2,
      topAgentShare: 1,
      flagged: true,
    });
    // L and O are open.
    expect((await checkStaleness()).openTickets).toBe(2);

    const now = Date.now();
    await send(handSecond(now));
    // The open copy follows at once: O and L left it, R is back.
    expect((await same('/v1/metrics/staleness', { tenant: TENANT })).openTickets).toBe(1);
    // The late assignment moved N1's resolution from a5 to a3 in an hour of the rollup: the rollup
    // answer lags until the next pass.
    const handRange = { tenant: TENANT, from: iso(W - 12 * HOUR), to: iso(base + HOUR) };
    const stale = await apis.get('rollup', '/v1/metrics/specialists', handRange);
    const fresh = await apis.get('live', '/v1/metrics/specialists', handRange);
    expect(stale.source).toBe('rollup');
    expect(stale.body).not.toEqual(fresh.body);

    const second = await pass(base - 3 * HOUR + 30 * MINUTE);
    expect(second.runs.find((r) => r.tenant === TENANT)).toEqual({
      tenant: TENANT,
      from: W - 7 * HOUR,
      to: base - 3 * HOUR,
    });
    // a5 is left with an explicit 0 in N1's hour, which must not count as an agent.
    expect(
      await scalar(
        `SELECT count() AS n FROM specialists_hourly FINAL
         WHERE tenant = 'hand' AND agent = 'a5' AND hour = {h:DateTime('UTC')} AND resolutions = 0`,
        { h: toClickHouseTime(W - 6 * HOUR).slice(0, 19) },
      ),
    ).toBe(1);

    // By hand. network: a1 N2, R, O; a2 N3, N4, L; a3 N1; nobody U1 (ties go to the smallest id).
    const after = (await checkSpecialists()).rows as Json[];
    expect(after.map((r) => r.category)).toEqual(['printer', 'network']);
    expect(network(after)).toEqual({
      region: 'EMEA',
      category: 'network',
      resolutions: 8,
      attributed: 7,
      agents: 3,
      topAgent: 'a1',
      topAgentResolutions: 3,
      topAgentShare: 3 / 7,
      flagged: false,
    });
    expect(printer(after)).toEqual(printer(hand));
    expect((await checkStaleness()).openTickets).toBe(1);
  });
});
