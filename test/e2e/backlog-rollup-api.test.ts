import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent, TicketEvent } from '../../core/events/index.js';
import { eventId } from '../../core/events/ticket.js';
import { DAY, HOUR, MINUTE } from '../../ingest/simulator/generate.js';
import { startBacklogRollup } from '../../transforms/backlog/materialise.js';
import { type RollupAndLiveApis, roundedFloats, startRollupAndLiveApis } from '../helpers/api-pair.js';
import { fixedStory } from '../helpers/fixed-story.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The backlog routes answered from the region rollup (backlog_region_hourly + the recent edge), and
// for a customer / team / priority slice from the per-slice one (backlog_hourly + the same edge),
// against the same routes answered live (API_READ_ROLLUPS=false) over one database: two simulated
// operations and a few tickets written by hand through Kafka and the transforms, the rollups
// materialised with the clock in the middle of them (so an answer is rollup hours + the edge), a
// tenant that was never materialised (answered live until a pass), then late events before the watermark, which the
// rollup answer shows only after the next pass. The live queries are checked against independent
// folds in backlog-rollup.test.ts and scenario-api.test.ts; here the rollup path must give the
// same answers, and the hand-written tenant's series is checked by hand.

// The recent copies keep tickets with an event in the server's last day, so the story ends now.
const TO = Math.floor(Date.now() / HOUR) * HOUR;
const FROM = TO - 10 * DAY;
const MID = TO - 10 * HOUR + 20 * MINUTE; // the materialiser's clock: W = its hour
const W = Math.floor(MID / HOUR) * HOUR;
// The transforms' clock, which the region rollups' passes also read.
let now = MID;
const iso = (ms: number) => new Date(ms).toISOString();

const isTicket = (e: CanonicalEvent): e is TicketEvent => e.type.startsWith('ticket.');
// Field jobs would add ticket events of their own (dispatches) after the fact: left out, so the
// test knows how many ticket events to wait for.
const withoutField = (events: CanonicalEvent[]) =>
  events.filter((e) => isTicket(e) || e.type.startsWith('roster.'));

// The end of the window both stories are generated for, a Thursday evening (test/helpers/fixed-story.ts
// says why it is fixed).
const REFERENCE_END = Date.parse('2026-01-08T18:00:00Z');
const north = withoutField(
  fixedStory(
    { seed: 5, tenant: 'north', scenario: 'apac-backlog', ticketScale: 0.3 },
    REFERENCE_END,
    TO - FROM,
    TO,
  ),
);
const south = withoutField(
  fixedStory({ seed: 6, tenant: 'south', scenario: 'none', ticketScale: 0.2 }, REFERENCE_END, TO - FROM, TO),
);

function ticket(
  tenant: string,
  id: string,
  steps: [number, 'created' | 'assigned' | 'resolved' | 'cancelled', string?][],
): TicketEvent[] {
  return steps.map(([at, kind, region], i) => {
    const base = {
      eventId: eventId('hand', 'ticket', `${tenant}-${id}`, String(i)),
      schemaVersion: 1 as const,
      source: 'hand',
      tenant,
      ticketId: id,
      occurredAt: iso(at),
      receivedAt: iso(at),
    };
    if (kind === 'created')
      return { ...base, type: 'ticket.created', customer: 'c1', region: region!, priority: 'medium' };
    if (kind === 'assigned')
      return { ...base, type: 'ticket.assigned', team: `${region}-L1`, region: region! };
    return { ...base, type: `ticket.${kind}` };
  });
}

// H1 and H2 open in EMEA before W; H2 moves to APAC before W, H1 is resolved after it; H3 is
// created and cancelled within an hour after W.
const hand = [
  ...ticket('hand', 'H1', [
    [W - 5 * HOUR + 10 * MINUTE, 'created', 'EMEA'],
    [W + 2 * HOUR + 5 * MINUTE, 'resolved'],
  ]),
  ...ticket('hand', 'H2', [
    [W - 30 * HOUR, 'created', 'EMEA'],
    [W - 2 * HOUR + 30 * MINUTE, 'assigned', 'APAC'],
  ]),
  ...ticket('hand', 'H3', [
    [W + HOUR, 'created', 'APAC'],
    [W + HOUR + 20 * MINUTE, 'cancelled'],
  ]),
];
// Emitted after the first pass: a tenant the rollups have never seen.
const fresh = [
  ...ticket('fresh', 'F1', [[W - 10 * HOUR, 'created', 'AMER']]),
  ...ticket('fresh', 'F2', [
    [W - 40 * HOUR, 'created', 'AMER'],
    [W + 3 * HOUR, 'resolved'],
  ]),
];

let pipeline: TestPipeline;
let apis: RollupAndLiveApis;
let ticketEventCount = 0;
const get = (which: 'rollup' | 'live', path: string) => apis.get(which, path);
/** Both answers with floating figures rounded (summation order differs). */
const comparable = (body: unknown) => roundedFloats(body);

/** One pass of the backlog rollup at the transforms' clock (their own stays idle: the test drives it). */
async function materialiseBacklog(): Promise<string[]> {
  const at = now;
  const rollup = startBacklogRollup({
    ch: pipeline.ch,
    logger: pipeline.logger,
    intervalSeconds: 86_400,
    now: () => at,
  });
  const pass = await rollup.materialiseOnce();
  await rollup.stop();
  return pass.runs.map((r) => r.tenant).sort();
}

async function scalar(query: string): Promise<string> {
  const rs = await pipeline.ch.query({ query, format: 'JSONEachRow' });
  const [row] = await rs.json<{ v: string | number }>();
  return String(row?.v ?? '');
}

/** Emits and waits until every ticket event is in the lifecycle and the roster stopped changing. */
async function emitAndSettle(events: CanonicalEvent[]): Promise<void> {
  // Simulated event ids repeat across tenants: a ticket's events are counted per tenant.
  ticketEventCount += new Set(events.filter(isTicket).map((e) => `${e.tenant}/${e.eventId}`)).size;
  await pipeline.sink.emit(events);
  const lifecycle = await eventually(
    () => scalar('SELECT sum(version) AS v FROM ticket_lifecycle FINAL'),
    (v) => Number(v) === ticketEventCount,
    300_000,
    500,
  );
  expect(Number(lifecycle)).toBe(ticketEventCount);
  let last = '';
  let same = 0;
  await eventually(
    async () => {
      const now = await scalar(
        `SELECT concat(toString((SELECT sum(version) FROM agent_membership FINAL)), '/',
                       toString((SELECT count() FROM ticket_lifecycle_recent))) AS v`,
      );
      same = now === last ? same + 1 : 0;
      last = now;
      return same;
    },
    (n) => n >= 3,
    120_000,
    1_000,
  );
}

beforeAll(async () => {
  pipeline = await startPipeline('e2e_backlog_rollup_api', {
    now: () => now,
    // The test drives the materialiser itself.
    overrides: {
      REGION_ROLLUP_INTERVAL_SECONDS: 86_400,
      BACKLOG_ROLLUP_INTERVAL_SECONDS: 86_400,
      ALERT_EVALUATION_INTERVAL_SECONDS: 86_400,
    },
  });
  await emitAndSettle([...north, ...south, ...hand]);
  await pipeline.transforms.regionRollups.materialiseOnce();
  await materialiseBacklog();
  now = MID + 10 * MINUTE; // still W's hour: a later pass re-does only what late events dirty
  apis = await startRollupAndLiveApis(pipeline, { rollupNow: () => MID });
}, 600_000);

afterAll(async () => {
  await apis?.close();
  await pipeline?.close();
});

const query = (q: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)])).toString();
const backlog = (q: Record<string, string | number>) => `/v1/metrics/backlog?${query(q)}`;
const vsHeadcount = (q: Record<string, string | number>) => `/v1/metrics/backlog-vs-headcount?${query(q)}`;

const requests = [
  backlog({ from: iso(FROM), to: iso(TO) }),
  backlog({ from: iso(FROM), to: iso(TO), interval: 'day' }),
  backlog({ from: iso(FROM - 14 * DAY), to: iso(TO + 7 * DAY), interval: 'week' }),
  backlog({
    from: iso(FROM + 30 * HOUR),
    to: iso(TO - 5 * HOUR + 17 * MINUTE),
    tenant: 'north',
    region: 'APAC',
  }),
  backlog({ from: iso(FROM + 5 * HOUR), to: iso(W), interval: 'day', tenant: 'south' }),
  backlog({ from: iso(W + 2 * HOUR), to: iso(TO), interval: 'day' }),
  backlog({ from: iso(W - 6 * HOUR), to: iso(W + 3 * HOUR), tenant: 'hand' }),
  backlog({ from: iso(FROM), to: iso(TO), region: 'NOWHERE', interval: 'day' }),
  vsHeadcount({ at: iso(TO) }),
  vsHeadcount({ at: iso(W), window: 28 }),
  vsHeadcount({ at: iso(W - 5 * HOUR), tenant: 'north' }),
  vsHeadcount({ at: iso(TO - 3 * HOUR), tenant: 'north', region: 'APAC', window: 28 }),
  vsHeadcount({ at: iso(W + 3 * HOUR), tenant: 'hand' }),
  vsHeadcount({ at: iso(W + 7 * DAY + 3 * HOUR), region: 'EMEA' }),
  // `at` inside an hour, before and after W (the default, now, is such an instant): B at an instant
  // inside a closed hour from the hour's change offsets.
  vsHeadcount({ at: iso(TO - 5 * HOUR + 17 * MINUTE) }),
  vsHeadcount({ at: iso(W - 26 * HOUR + 17 * MINUTE + 3_250), tenant: 'north', region: 'APAC' }),
  vsHeadcount({ at: iso(TO + 20 * DAY + 17 * MINUTE + 3_250), window: 28 }),
  vsHeadcount({ at: iso(TO + 21 * DAY - 1), window: 28, tenant: 'north' }),
  vsHeadcount({ at: iso(W - 3 * HOUR + 1) }),
  vsHeadcount({ at: iso(W - HOUR - 1), window: 28, region: 'APAC' }),
  vsHeadcount({ at: iso(W - 2 * HOUR + 30 * MINUTE), tenant: 'hand' }),
  vsHeadcount({ at: iso(W - 2 * HOUR + 30 * MINUTE + 1), tenant: 'hand' }),
  // Buckets whose edges fall inside hours: those hours are split at the edges, the backlog by the
  // change offsets and the flows by the flow offsets.
  backlog({ from: iso(FROM + 90_000), to: iso(TO) }),
  backlog({ from: iso(FROM), to: iso(W - 2 * HOUR + MINUTE), interval: 'day' }),
  backlog({ from: iso(FROM + 17 * MINUTE + 3_250), to: iso(TO - 5 * HOUR + 17 * MINUTE), interval: 'day' }),
  backlog({ from: iso(W - 6 * HOUR - 29 * MINUTE), to: iso(W + 3 * HOUR + 1), tenant: 'hand' }),
  backlog({
    from: iso(W - 26 * HOUR + 41 * MINUTE),
    to: iso(W - 2 * HOUR + 7 * MINUTE),
    tenant: 'north',
    region: 'APAC',
  }),
  backlog({ from: iso(W + 30 * MINUTE), to: iso(TO), interval: 'day' }),
];
// Of those, windows that start inside an hour before W, within the simulated history.
const midHour = requests.slice(14, 18);

// Answered from backlog_hourly, under its own watermark (the same W).
const sliced = [
  backlog({ from: iso(FROM), to: iso(TO), team: 'apac-l1' }),
  backlog({ from: iso(FROM), to: iso(TO), customer: 'globex', interval: 'day' }),
  backlog({ from: iso(FROM - 14 * DAY), to: iso(TO + 7 * DAY), priority: 'high', interval: 'week' }),
  backlog({
    from: iso(FROM + 30 * HOUR),
    to: iso(TO - 5 * HOUR + 17 * MINUTE),
    tenant: 'north',
    region: 'APAC',
    customer: 'acme',
    priority: 'medium',
  }),
  backlog({ from: iso(W - 6 * HOUR), to: iso(W + 3 * HOUR), tenant: 'hand', team: 'APAC-L1' }),
  // A team's backlog against its headcount, `at` on a whole hour (the window's start is too).
  vsHeadcount({ at: iso(TO), team: 'apac-l1' }),
  vsHeadcount({ at: iso(W - 5 * HOUR), team: 'apac-l1', window: 28, region: 'APAC' }),
  vsHeadcount({ at: iso(W + 3 * HOUR), tenant: 'hand', team: 'APAC-L1' }),
  vsHeadcount({ at: iso(TO + 7 * DAY), team: 'apac-l1' }),
  // Edges inside hours: backlog_hourly keeps the instants of each hour's changes too.
  backlog({ from: iso(FROM + 90_000), to: iso(TO), team: 'apac-l1' }),
  backlog({ from: iso(FROM), to: iso(W - 2 * HOUR + MINUTE), customer: 'globex', interval: 'day' }),
  backlog({
    from: iso(W - 5 * HOUR - 13 * MINUTE),
    to: iso(W + 2 * HOUR + 1),
    tenant: 'hand',
    team: 'APAC-L1',
  }),
  vsHeadcount({ at: iso(TO - 3 * HOUR + 17 * MINUTE), team: 'apac-l1' }),
  vsHeadcount({ at: iso(W - 2 * HOUR + 30 * MINUTE + 1), tenant: 'hand', team: 'APAC-L1' }),
];

async function sameAnswers(paths: string[], source: 'rollup' | 'live'): Promise<void> {
  for (const path of paths) {
    const [fast, slow] = await Promise.all([get('rollup', path), get('live', path)]);
    expect(fast.source, path).toBe(source);
    expect(slow.source, path).toBe('live');
    expect(comparable(fast.body), path).toEqual(comparable(slow.body));
  }
}

type Series = { region: string; points: { backlog: number; inflow: number; outflow: number }[] }[];
const compact = (body: unknown) =>
  Object.fromEntries(
    (body as { series: Series }).series.map((s) => [
      s.region,
      s.points.map((p) => [p.backlog, p.inflow, p.outflow]),
    ]),
  );

describe('backlog routes from the rollups', () => {
  it('the rollups hold the hours before the watermark, and the edge is not empty', async () => {
    for (const table of ['rollup_watermark', 'backlog_watermark'])
      expect(
        Number(
          await scalar(`SELECT toUnixTimestamp(max(materialised_until)) * 1000 AS v FROM ${table} FINAL`),
        ),
        table,
      ).toBe(W);
    // Every period change before W is in the rollup's flows or moves; some came after W.
    const after = await scalar(
      `SELECT count() AS v FROM ticket_lifecycle FINAL ARRAY JOIN iv_opened_at
       WHERE iv_opened_at >= toDateTime64(${W / 1000}, 3, 'UTC')`,
    );
    expect(Number(after)).toBeGreaterThan(20);
    const rolledInflow = await scalar(
      "SELECT sum(inflow) AS v FROM backlog_region_hourly FINAL WHERE tenant = 'north'",
    );
    const inflowBefore = await scalar(
      `SELECT count() AS v FROM ticket_lifecycle FINAL ARRAY JOIN iv_opened_at, iv_open_kind
       WHERE tenant = 'north' AND iv_open_kind IN ('created', 'reopened')
         AND iv_opened_at < toDateTime64(${W / 1000}, 3, 'UTC')`,
    );
    expect(Number(rolledInflow)).toBe(Number(inflowBefore));
    expect(Number(inflowBefore)).toBeGreaterThan(100);
  });

  it.each(requests)('%s: rollup answer = live answer', async (path) => {
    await sameAnswers([path], 'rollup');
  });

  it.each(sliced)('%s: slice from backlog_hourly = live answer', async (path) => {
    await sameAnswers([path], 'rollup');
  });

  it('the slices hold tickets and flows, and a move into one is carried across the watermark', async () => {
    for (const path of sliced.slice(0, 4)) {
      const points = ((await get('rollup', path)).body as { series: Series }).series.flatMap((s) => s.points);
      for (const figure of ['backlog', 'inflow', 'outflow'] as const)
        expect(
          points.some((p) => p[figure] > 0),
          `${path}: ${figure}`,
        ).toBe(true);
    }
    // H2 moved into APAC-L1 at W - 1.5 h: a change of backlog without inflow, carried across W.
    const { body } = await get('rollup', sliced[4]!);
    expect(compact(body)).toEqual({
      APAC: [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
      ],
    });
  });

  it("the hand-written tenant's hours, across the watermark", async () => {
    const { source, body } = await get('rollup', requests[6]!);
    expect(source).toBe('rollup');
    // Per hour from W - 6 h: [backlog at the end, inflow, outflow].
    expect(compact(body)).toEqual({
      APAC: [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [1, 1, 1],
        [1, 0, 0],
      ],
      EMEA: [
        [1, 0, 0],
        [2, 1, 0],
        [2, 0, 0],
        [2, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [0, 0, 1],
      ],
    });
    const vs = await get('rollup', requests[12]!);
    expect(vs.source).toBe('rollup');
    const regions = (vs.body as { regions: { region: string; backlogStart: number; backlogEnd: number }[] })
      .regions;
    // At W - 7 days + 3 h nothing was open yet; at W + 3 h only H2, in APAC since W - 1.5 h.
    expect(regions.map((r) => [r.region, r.backlogStart, r.backlogEnd])).toEqual([
      ['APAC', 0, 1],
      ['EMEA', 0, 0],
    ]);
  });

  it('backlog-vs-headcount at instants inside hours: the offsets matter', async () => {
    type Vs = { regions: { region: string; backlogStart: number; backlogEnd: number }[] };
    const regions = async (path: string) => {
      const got = await get('rollup', path);
      expect(got.source, path).toBe('rollup');
      return (got.body as Vs).regions;
    };
    // Each window starting inside an hour: some region's B(start) differs from B at that hour's
    // start, so the answer (equal to live above) needed the hour's offsets: over every tenant and
    // region 17 minutes into an hour it does, and so does at least one other window.
    const differing: string[] = [];
    for (const path of midHour) {
      const at = new URL(path, 'http://x').searchParams;
      const ms = Date.parse(at.get('at')!);
      const days = Number(at.get('window') ?? 7);
      const startHour = Math.floor((ms - days * DAY) / HOUR) * HOUR;
      at.set('at', iso(startHour + days * DAY));
      const [exact, onHour] = await Promise.all([
        regions(path),
        regions(`/v1/metrics/backlog-vs-headcount?${at.toString()}`),
      ]);
      expect(exact.length, path).toBeGreaterThan(0);
      const before = new Map(onHour.map((r) => [r.region, r.backlogStart]));
      if (exact.some((r) => r.backlogStart !== before.get(r.region))) differing.push(path);
    }
    expect(differing).toContain(requests[14]);
    expect(differing.length).toBeGreaterThanOrEqual(2);
    // By hand: H2 moved from EMEA to APAC at W - 1.5 h; at that instant it is still in EMEA (a
    // period closed at x is open at x, one opened at x not yet: APAC had none open before x, and is
    // not listed, as live), a millisecond later in APAC.
    const ends = async (path: string) => (await regions(path)).map((r) => [r.region, r.backlogEnd]);
    expect(await ends(requests[20]!)).toEqual([['EMEA', 2]]);
    expect(await ends(requests[21]!)).toEqual([
      ['APAC', 1],
      ['EMEA', 1],
    ]);
    // The default `at` (each API's own now): from the rollup, and the live answer at the instant it
    // answered for is the same.
    const now = await get('rollup', vsHeadcount({ window: 28 }));
    expect(now.source).toBe('rollup');
    const windowEnd = (now.body as { windowEnd: string }).windowEnd;
    expect(Date.parse(windowEnd) % HOUR).not.toBe(0);
    const live = await get('live', vsHeadcount({ at: windowEnd, window: 28 }));
    expect(comparable(now.body)).toEqual(comparable(live.body));
  });

  it('while a tenant has no watermark yet, answers that include it are live', async () => {
    // A new tenant's history may be older than any recent copy keeps (a backfill): until a pass
    // materialises it, requests over all tenants and over that tenant are answered live.
    await emitAndSettle(fresh);
    await new Promise((r) => setTimeout(r, 1_100)); // the API caches what it knows for a second
    await sameAnswers(
      [requests[0]!, requests[1]!, requests[5]!, requests[8]!, requests[13]!, sliced[0]!, sliced[2]!],
      'live',
    );
    await sameAnswers(
      [
        backlog({ from: iso(FROM), to: iso(TO), tenant: 'fresh' }),
        backlog({ from: iso(FROM), to: iso(TO), tenant: 'fresh', customer: 'c1' }),
      ],
      'live',
    );
    // Over a tenant that has one, the slices still read the rollup.
    await sameAnswers([sliced[3]!, sliced[4]!], 'rollup');
  });

  it('late events before the watermark show in the rollup answer after the next pass', async () => {
    // Tickets of their own for south, entirely before W; one more for hand; and a north ticket
    // open across W cancelled before it (which changes the backlog at W the edge starts from).
    const lateSouth = fixedStory(
      { seed: 11, tenant: 'south', scenario: 'none', ticketScale: 0.2 },
      REFERENCE_END,
      W - DAY - FROM,
      W - DAY,
    )
      .filter(isTicket)
      .map((e) => ({ ...e, ticketId: `late-${e.ticketId}`, eventId: `late-${e.eventId}` }));
    const lateHand = ticket('hand', 'H4', [
      [W - 4 * HOUR + 15 * MINUTE, 'created', 'APAC'],
      [W - 3 * HOUR + 45 * MINUTE, 'resolved'],
    ]);
    const cancelAt = W - 20 * HOUR;
    const byTicket = new Map<string, TicketEvent[]>();
    for (const e of north.filter(isTicket))
      byTicket.set(e.ticketId, [...(byTicket.get(e.ticketId) ?? []), e]);
    const terminal = new Set(['ticket.resolved', 'ticket.closed', 'ticket.cancelled']);
    const openAcross = [...byTicket.values()].find(
      (h) =>
        h[0]?.type === 'ticket.created' &&
        Date.parse(h[0].occurredAt) < cancelAt - DAY &&
        !h.some((e) => terminal.has(e.type) && Date.parse(e.occurredAt) < W + HOUR),
    );
    expect(openAcross).toBeDefined();
    const first = openAcross![0]!;
    const lateNorth: TicketEvent = {
      eventId: eventId('late', 'ticket', first.ticketId, 'cancel'),
      schemaVersion: 1,
      source: first.source,
      tenant: 'north',
      ticketId: first.ticketId,
      occurredAt: iso(cancelAt),
      receivedAt: iso(MID),
      type: 'ticket.cancelled',
    };
    await emitAndSettle([...lateSouth, ...lateHand, lateNorth]);

    // Not materialised yet: the rollup answer still lacks them (over south alone: the unfiltered
    // requests are live while the fresh tenant has no watermark).
    for (const path of [
      backlog({ from: iso(FROM), to: iso(TO), tenant: 'south' }),
      backlog({ from: iso(FROM), to: iso(TO), tenant: 'south', priority: 'medium' }),
    ]) {
      const [before, live] = await Promise.all([get('rollup', path), get('live', path)]);
      expect(before.source, path).toBe('rollup');
      expect(comparable(before.body), path).not.toEqual(comparable(live.body));
    }

    const pass = await pipeline.transforms.regionRollups.materialiseOnce();
    expect(pass.runs.map((r) => r.tenant).sort()).toEqual(['fresh', 'hand', 'north', 'south']);
    expect(await materialiseBacklog()).toEqual(['fresh', 'hand', 'north', 'south']);
    await new Promise((r) => setTimeout(r, 1_100)); // the API caches the watermarks for a second
    await sameAnswers(requests, 'rollup');
    await sameAnswers(sliced, 'rollup');
    // The late hand ticket, by hand: APAC gains a ticket in W - 4 h's hour and loses it in the next.
    const { body } = await get('rollup', requests[6]!);
    expect(compact(body).APAC).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [1, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
      [1, 0, 0],
      [1, 0, 0],
      [1, 1, 1],
      [1, 0, 0],
    ]);
  });
});
