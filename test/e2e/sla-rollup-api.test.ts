import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupReader } from '../../api/rollups.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { eventId, type TicketEvent } from '../../core/events/ticket.js';
import type { EventProducer } from '../../core/kafka.js';
import { readQuery } from '../../core/queries.js';
import { topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { type BacklogRollup, startRegionRollups } from '../../transforms/backlog/materialise.js';
import { type RollupAndLiveApis, startRollupAndLiveApis } from '../helpers/api-pair.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The SLA routes read from the region rollups (sla_hourly, sla_team_hourly, sla_durations_hourly,
// ticket_sla_open) through the real pipeline: simulated and hand-made tickets → Kafka → transforms
// → materialiser driven on an injected clock whose watermark falls a few hours before now, so that
// both the rollup hours and the edge (ticket_sla_recent) hold tickets. An API reading rollups must
// answer exactly as a second API with API_READ_ROLLUPS=false on the same database, before and after
// late events (a resolution and a reopen before the watermark, a reopen after it of a ticket
// resolved before it) and the next pass. The rollup is also allowed to lag: between the late
// events and the pass it may differ, after the pass it may not.

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
const started = Date.now();
const base = Math.floor(started / HOUR) * HOUR; // the current hour's start
// The materialiser's clock: the watermark is the hour before it, 4 h before the current hour, well
// within the 6 h the API allows a watermark to lag.
let clock = base - 4 * HOUR + 30 * MINUTE;
const W = base - 4 * HOUR;
const iso = (t: number) => new Date(t).toISOString();

let pipeline: TestPipeline;
let producer: EventProducer;
let apis: RollupAndLiveApis;
let rollup: BacklogRollup;
let total = 0;

beforeAll(async () => {
  // Neither the transforms' own rollup timers nor the SLA sweep may fire during the test: the test
  // drives the materialiser, and a sweep between two requests would change the open tickets' rows.
  pipeline = await startPipeline('slarollup', {
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

function ev(ticketId: string, seq: number, type: TicketEvent['type'], at: number, body = {}): TicketEvent {
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

/** A critical ticket (4 h on the 24x7 calendar) of emea-l1, created at `at`. */
const created = (id: string, at: number) =>
  ev(id, 0, 'ticket.created', at, { customer: 'c1', priority: 'critical', region: 'EMEA', team: 'emea-l1' });

// Hand-made tickets around the watermark W. Elapsed = wall time (24x7, never paused).
const handFirst: TicketEvent[] = [
  created('H1', W - 6 * HOUR),
  ev('H1', 1, 'ticket.resolved', W - 5 * HOUR), // 3 600 s: met
  created('H2', W - 8 * HOUR),
  ev('H2', 1, 'ticket.resolved', W - HOUR), // 25 200 s: breached
  created('H3', W - 30 * MINUTE),
  ev('H3', 1, 'ticket.resolved', W + 20 * MINUTE), // 3 000 s: met, in the edge
  created('R', W - 5 * HOUR),
  ev('R', 1, 'ticket.resolved', W - 4 * HOUR), // 3 600 s: met; reopened after W below
  created('R2', W - 9 * HOUR),
  ev('R2', 1, 'ticket.resolved', W - 8 * HOUR), // 3 600 s: met; reopened late, before W
  created('L', W - 7 * HOUR), // open; resolved late, before W
  created('O', W - HOUR), // open; resolved after W below
];

/** The second batch: late events before W and a reopen / resolution now. */
function handSecond(now: number): TicketEvent[] {
  return [
    ev('R', 2, 'ticket.reopened', now - 5 * MINUTE),
    ev('R2', 2, 'ticket.reopened', W - HOUR),
    ev('L', 1, 'ticket.resolved', W - 2 * HOUR), // 18 000 s: breached
    ev('O', 1, 'ticket.resolved', now - 2 * MINUTE), // over 4 h: breached
  ];
}

/** Two tenants of simulated tickets over the last two days, cut at now (later ones stay open). */
function simulated(now: number): TicketEvent[] {
  return ['acme', 'globex'].flatMap((tenant, i) =>
    ticketsCreatedBetween({ seed: 21 + i, tenant }, base - 2 * DAY, now).filter(
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
  const stored = await eventually(
    () => scalar('SELECT sum(event_count) AS n FROM ticket_sla FINAL'),
    (n) => n === total,
    90_000,
    250,
  );
  expect(stored).toBe(total);
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
type Summary = { totals: { resolved: number }; consumptionByTeam: unknown[] };

// Exact equality: the rollups keep sums in whole milliseconds, so no float may differ.
const exact = { comparable: (body: unknown) => body };
const same = async (path: string, query: Record<string, string>) =>
  (await apis.same(path, query, exact)) as Json;

/** Every request the rollups must answer, each equal to live; returns the hand tenant's summary. */
async function checkSummaries(): Promise<Json> {
  const ranges = [
    { from: iso(base - 2 * DAY), to: iso(base) },
    { from: iso(base - 7 * DAY), to: iso(base + HOUR) },
    { from: iso(base - DAY), to: iso(W - 2 * HOUR) }, // entirely before the watermark
    { from: iso(W), to: iso(base + 2 * HOUR) }, // entirely edge
    { from: iso(base - DAY), to: iso(Date.now()) }, // ends after every watermark, off the hour
    // Ends inside hours before the watermark: those hours are read stop by stop.
    { from: iso(base - DAY + 90_000), to: iso(base) },
    { from: iso(base - 2 * DAY + 17 * 60_000), to: iso(W - 90_000) },
    { from: iso(W - 30 * 60_000 - 1), to: iso(W + 45 * 60_000) },
  ];
  for (const range of ranges) {
    await same('/v1/metrics/sla', range);
    for (const tenant of ['acme', 'globex']) {
      await same('/v1/metrics/sla', { ...range, tenant });
      await same('/v1/metrics/sla', { ...range, tenant, region: 'EMEA' });
      await same('/v1/metrics/sla', { ...range, tenant, priority: 'high' });
      await same('/v1/metrics/sla', { ...range, tenant, team: 'emea-l2' });
      await same('/v1/metrics/sla', { ...range, tenant, customer: 'initech', priority: 'medium' });
    }
    await same('/v1/metrics/sla', { ...range, region: 'APAC', priority: 'medium' });
    await same('/v1/metrics/sla', { ...range, team: 'amer-l1', customer: 'umbrella' });
  }
  const wide = { from: iso(base - 2 * DAY), to: iso(base + HOUR) };
  const body = (await same('/v1/metrics/sla', wide)) as Summary;
  expect(body.totals.resolved).toBeGreaterThan(20);
  // An escalated ticket's owner at resolution is not the team that took it first: a team's
  // outcomes and its own consumption are different sets of tickets, each read from its rollup.
  const filters: Record<string, string>[] = [
    { team: 'emea-l1' },
    { team: 'apac-l2', region: 'APAC' },
    { customer: 'globex' },
  ];
  for (const filter of filters) {
    const filtered = (await same('/v1/metrics/sla', { ...wide, ...filter })) as Summary;
    expect(filtered.totals.resolved).toBeGreaterThan(0);
    expect(filtered.consumptionByTeam.length).toBeGreaterThan(0);
  }
  await same('/v1/metrics/sla', { ...wide, from: iso(base - DAY + 90_000), team: 'emea-l1' });
  const handRange = { tenant: TENANT, from: iso(W - 12 * HOUR), to: iso(base + HOUR) };
  const hand = await same('/v1/metrics/sla', handRange);
  // Every hand-made ticket is c1's and emea-l1's throughout: the filters leave its figures whole.
  expect(await same('/v1/metrics/sla', { ...handRange, team: 'emea-l1', customer: 'c1' })).toEqual(hand);
  return hand;
}

async function checkAtRisk(): Promise<void> {
  const all = { minLevel: 'none', limit: '500', minHistory: '1' };
  const body = (await same('/v1/sla/at-risk', all)) as {
    total: number;
    tickets: { expectedRemainingSeconds: number | null }[];
  };
  expect(body.total).toBeGreaterThan(10);
  expect(body.tickets.filter((t) => t.expectedRemainingSeconds !== null).length).toBeGreaterThan(3);
  await same('/v1/sla/at-risk', {});
  await same('/v1/sla/at-risk', { ...all, tenant: 'acme', sort: 'risk' });
  await same('/v1/sla/at-risk', { ...all, tenant: 'globex', region: 'APAC', minHistory: '3' });
  await same('/v1/sla/at-risk', { ...all, priority: 'high', sort: 'percent_consumed' });
  await same('/v1/sla/at-risk', { ...all, customer: 'c1' });
  // The rollup query pages itself up to the tie-break (WITH TIES); the live route pages the whole
  // list. Small pages of every order, where ties at the cut (no due time, equal shares) are likely.
  for (const sort of ['due_at', 'percent_consumed', 'remaining_seconds', 'risk'])
    for (const limit of ['1', '2', '7', '40']) {
      const page = (await same('/v1/sla/at-risk', { ...all, sort, limit })) as typeof body;
      expect(page.total).toBe(body.total);
      expect(page.tickets).toHaveLength(Math.min(Number(limit), body.total));
    }
  // A past instant reads the same open copy (the list is of the tickets open now) and a window of
  // resolutions that ends inside an hour: after the watermark, at it, inside an hour before it.
  for (const asOf of [Date.now() - HOUR, W, W - 90 * MINUTE + 17_003, base - DAY - 41 * MINUTE]) {
    const past = (await same('/v1/sla/at-risk', { ...all, asOf: iso(asOf) })) as typeof body;
    expect(past.total).toBe(body.total);
    await same('/v1/sla/at-risk', { ...all, tenant: 'acme', asOf: iso(asOf) });
  }
}

/** The query-level check at instants whose 28-day window starts inside an hour of the rollup. */
async function checkAtRiskQueries(): Promise<void> {
  const wm = await rollupReader(pipeline.ch, { enabled: true }).watermarks();
  const until = wm!.until;
  const params = {
    tenant: '',
    region: '',
    team: '',
    priority: '',
    min_level: 'none',
    min_history: 1,
    wm_tenants: [...until.keys()],
    wm_until: [...until.values()].map((t) => toClickHouseTime(t).slice(0, 19)),
  };
  const run = async (name: string, asOf: number) => {
    // The rollup query's page (see checkAtRisk): here one holding every ticket, in the live order.
    const paged = name.endsWith('-rollup');
    const page = paged ? { customer: '', sort: 'due_at', limit: 1_000_000 } : {};
    const rs = await pipeline.ch.query({
      query: readQuery(name),
      query_params: { ...params, ...page, as_of: toClickHouseTime(asOf) },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<Json & { residuals: number[]; total?: number }>();
    if (paged) for (const r of rows) expect(Number(r.total)).toBe(rows.length);
    // The residuals come in the order the durations were gathered; only the figures count.
    return rows.map(
      ({ total: _total, ...r }): Json => ({
        ...r,
        residuals: [...r.residuals].sort((a, b) => a - b),
      }),
    );
  };
  // An hour before the watermark in which several tickets stopped: the window starts between two.
  const stops = await pipeline.ch.query({
    query: `SELECT toUnixTimestamp64Milli(res_stopped_at) AS at FROM ticket_sla FINAL
            WHERE stopped = 1 AND res_outcome IN ('met', 'breached') AND res_stopped_at < {w:DateTime('UTC')}
            ORDER BY at`,
    query_params: { w: toClickHouseTime(W).slice(0, 19) },
    format: 'JSONEachRow',
  });
  const at = (await stops.json<{ at: number | string }>()).map((r) => Number(r.at));
  const splits = at.flatMap((t, i) => {
    const next = at[i + 1];
    return next !== undefined && next > t && Math.floor(t / HOUR) === Math.floor(next / HOUR)
      ? [Math.floor((t + next) / 2)]
      : [];
  });
  expect(splits.length).toBeGreaterThan(2);
  for (const since of [splits[0]!, splits[Math.floor(splits.length / 2)]!, splits.at(-1)!]) {
    const live = await run('sla-at-risk', since + 28 * DAY);
    expect(live.some((r) => r.expected_remaining_seconds !== null)).toBe(true);
    expect(await run('sla-at-risk-rollup', since + 28 * DAY)).toEqual(live);
  }
  // A past instant between two stops of one hour ends the window inside that hour.
  for (const asOf of [splits[0]!, splits.at(-1)!]) {
    expect(await run('sla-at-risk-rollup', asOf)).toEqual(await run('sla-at-risk', asOf));
  }
}

async function openCopy(ticketId: string) {
  return {
    final: await scalar(
      'SELECT count() AS n FROM ticket_sla_open FINAL WHERE tenant = {t:String} AND ticket_id = {id:String}',
      { t: TENANT, id: ticketId },
    ),
    raw: await scalar(
      'SELECT count() AS n FROM ticket_sla_open WHERE tenant = {t:String} AND ticket_id = {id:String}',
      { t: TENANT, id: ticketId },
    ),
  };
}

// ---- the test -------------------------------------------------------------------------------------

describe('SLA routes on the region rollups', () => {
  it('answer as live, with the watermark mid-data, after late events and a pass, and the open copy tidied', {
    timeout: 300_000,
  }, async () => {
    await send([...simulated(Date.now() - MINUTE), ...handFirst]);
    const first = await pass(clock);
    expect(first.runs.map((r) => [r.tenant, r.to])).toEqual([
      ['acme', W],
      ['globex', W],
      [TENANT, W],
    ]);
    // Both parts hold tickets: stopped before the watermark (rollup) and at or after it (edge).
    const stopped = (cmp: string) =>
      scalar(
        `SELECT count() AS n FROM ticket_sla FINAL WHERE stopped = 1 AND res_outcome IN ('met', 'breached')
         AND tenant != 'hand' AND res_stopped_at ${cmp} {w:DateTime('UTC')}`,
        { w: toClickHouseTime(W).slice(0, 19) },
      );
    expect(await stopped('<')).toBeGreaterThan(20);
    expect(await stopped('>=')).toBeGreaterThan(2);

    // By hand: H1, R, R2 met, H2 breached before W; H3 met in the edge. emea-l1 consumed
    // 3 600 + 25 200 + 3 000 + 3 600 + 3 600 s.
    const hand = await checkSummaries();
    expect(hand.totals).toEqual({ resolved: 5, met: 4, breached: 1, breachRate: 0.2, responseBreached: 5 });
    expect(hand.consumptionByTeam).toEqual([
      {
        team: 'emea-l1',
        region: 'EMEA',
        tickets: 5,
        breachedTickets: 1,
        elapsedSeconds: 39_000,
        pausedSeconds: 0,
      },
    ]);
    await checkAtRisk();
    await checkAtRiskQueries();
    expect(await openCopy('O')).toEqual({ final: 1, raw: 1 });
    expect(await openCopy('R')).toEqual({ final: 0, raw: 0 });

    // Late events before W (L resolved, R2 reopened: its old stop hour is before the recomputed
    // range), R reopened now (its stop hour is long materialised), O resolved now.
    const now = Date.now();
    const oResolved = now - 2 * MINUTE;
    await send(handSecond(now));
    // The resolved ticket leaves the open copy at once; the reopened one is back in it. "At once":
    // the view's insert into the open copy is committed a moment after the main table's, which
    // `send` waited for, so a read in between may still see the old state.
    const copies = await eventually(
      async () => [(await openCopy('O')).final, (await openCopy('R')).final],
      ([o, r]) => o === 0 && r === 1,
      5_000,
      50,
    );
    expect(copies).toEqual([0, 1]);
    const handRange = { tenant: TENANT, from: iso(W - 12 * HOUR), to: iso(base + HOUR) };
    const stale = await apis.get('rollup', '/v1/metrics/sla', handRange);
    const fresh = await apis.get('live', '/v1/metrics/sla', handRange);
    expect(stale.source).toBe('rollup');
    expect(stale.body).not.toEqual(fresh.body);

    const second = await pass(base - 3 * HOUR + 30 * MINUTE);
    expect(second.runs.find((r) => r.tenant === TENANT)).toEqual({
      tenant: TENANT,
      from: W - 2 * HOUR,
      to: base - 3 * HOUR,
    });
    // CLEANUP dropped the resolved ticket's rows from the open copy.
    expect(await openCopy('O')).toEqual({ final: 0, raw: 0 });
    expect(await openCopy('R')).toEqual({ final: 1, raw: 1 });

    // By hand: H1, H3 met; H2, L (18 000 s) and O breached; R and R2 are open again.
    const after = await checkSummaries();
    // Whole milliseconds, divided once, as the query sums them.
    const oMs = (3_600 + 25_200 + 3_000 + 18_000) * 1000 + (oResolved - (W - HOUR));
    expect(after.totals).toEqual({ resolved: 5, met: 2, breached: 3, breachRate: 0.6, responseBreached: 5 });
    expect(after.consumptionByTeam).toEqual([
      {
        team: 'emea-l1',
        region: 'EMEA',
        tickets: 5,
        breachedTickets: 3,
        elapsedSeconds: oMs / 1000,
        pausedSeconds: 0,
      },
    ]);
    await checkAtRisk();
    await checkAtRiskQueries();

    // An older evaluation of O stored late (a sweep racing its resolution) re-opens it in the open
    // copy, whose closed row is gone; the next pass marks it closed there again.
    await pipeline.ch.command({
      query: `INSERT INTO ticket_sla SELECT * REPLACE (version - 1 AS version, toUInt8(0) AS stopped)
              FROM ticket_sla FINAL WHERE tenant = {t:String} AND ticket_id = 'O'`,
      query_params: { t: TENANT },
    });
    expect((await openCopy('O')).final).toBe(1);
    expect(await scalar("SELECT stopped AS n FROM ticket_sla FINAL WHERE ticket_id = 'O'")).toBe(1);
    expect((await pass(clock)).runs).toEqual([]);
    expect(await openCopy('O')).toEqual({ final: 0, raw: 0 });
    await checkAtRisk();
  });
});
