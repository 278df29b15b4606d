import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { CanonicalEvent, TicketEvent } from '../../core/events/index.js';
import { readQuery } from '../../core/queries.js';
import { DAY, HOUR } from '../../ingest/simulator/generate.js';
import { startBacklogRollup, startRegionRollups } from '../../transforms/backlog/materialise.js';
import { computeTicketFacts } from '../../transforms/lifecycle/ticket-facts.js';
import { type RollupAndLiveApis, roundedFloats, startRollupAndLiveApis } from '../helpers/api-pair.js';
import { fixedStory } from '../helpers/fixed-story.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { ticketsById } from '../helpers/reference-backlog.js';
import { eventually } from '../helpers/services.js';

// The weekly review answered with the region rollups and open copies (api/routes/weekly-review.ts)
// against the same review answered live (API_READ_ROLLUPS=false) over one database: a simulated
// operation through Kafka and the transforms, the rollups (the region ones and the per-slice
// backlog) materialised with the clock in the middle of it (so a week is rollup hours + the recent
// edge), then the reviews of the current and the previous week. The live queries are checked
// against hand-made data in test/integration/weekly-review.test.ts; here the other path must give
// the same review, and the parts header must say which part came from where. EMEA works by a zone
// half an hour off UTC.

const TO = Math.floor(Date.now() / HOUR) * HOUR;
const FROM = TO - 4 * DAY;
const MID = TO - 20 * HOUR + 20 * 60_000; // the materialiser's clock: W = its hour
const W = Math.floor(MID / HOUR) * HOUR;
const TENANT = 'review';

const ticketEvents = (events: CanonicalEvent[]) =>
  events.filter((e): e is TicketEvent => e.type.startsWith('ticket.'));

// The story of a fixed weekday window moved to end at TO (test/helpers/fixed-story.ts): the same
// tickets on every run, whatever the weekday (62 resolved after W, 7 handovers pending at TO).
const REFERENCE_END = Date.parse('2026-01-08T18:00:00Z'); // a Thursday
const story = fixedStory(
  { seed: 5, tenant: TENANT, scenario: 'seam-stall', ticketScale: 0.3 },
  REFERENCE_END,
  TO - FROM,
  TO,
);

const weekday = (): Array<[string, string]> => [['08:00', '18:00']];
const calendar = (id: string, zone: string) => ({
  id,
  zone,
  weekly: { mon: weekday(), tue: weekday(), wed: weekday(), thu: weekday(), fri: weekday() },
  holidays: [],
});

/** The whole UTC hours holding the midnights of `zone` after FROM and before W. */
function midnightHours(zone: string): number[] {
  const hours: number[] = [];
  for (let d = DateTime.fromMillis(FROM, { zone }).startOf('day'); d.toMillis() < W; d = d.plus({ days: 1 }))
    if (d.toMillis() > FROM) hours.push(Math.floor(d.toMillis() / HOUR) * HOUR);
  return hours;
}

// The story moves by whole hours while a zone's midnights stay at their UTC hours, so which zone's
// midnight hours hold handovers depends on TO's hour of day: EMEA takes, of these zones half an hour
// off UTC, the one whose midnight hours before W hold the most of the story's handovers (Kolkata
// first on a tie), for the test of those hours below.
const handoverInstants = [...ticketsById(ticketEvents(story)).values()].flatMap((events) =>
  (computeTicketFacts(events)?.handovers ?? []).map((h) => h.at),
);
const emeaZone = [
  'Asia/Kolkata',
  'Asia/Kabul',
  'Asia/Yangon',
  'Australia/Darwin',
  'Australia/Adelaide',
  'America/St_Johns',
]
  .map((zone) => {
    const hours = midnightHours(zone);
    return { zone, n: handoverInstants.filter((at) => hours.some((h) => at >= h && at < h + HOUR)).length };
  })
  .reduce((best, z) => (z.n > best.n ? z : best)).zone;
const zones = { APAC: 'Asia/Singapore', EMEA: emeaZone, AMER: 'America/New_York' };

let dir: string;
let pipeline: TestPipeline;
let storedEvents = 0;
let apis: RollupAndLiveApis;

interface Answer {
  source: string;
  parts: Record<string, string>;
  body: Record<string, unknown>;
}

async function get(which: 'rollup' | 'live', path: string): Promise<Answer> {
  const { source, headers, body } = await apis.get(which, path);
  const parts = Object.fromEntries(
    (headers['x-baton-source-parts'] ?? '').split(',').map((p) => p.split('=') as [string, string]),
  );
  return { source, parts, body: body as Record<string, unknown> };
}

/** Both answers with floats rounded (summation order differs) and the generation time dropped. */
const comparable = (body: unknown) =>
  roundedFloats(body, { replace: (key, value) => (key === 'generatedAt' ? 'now' : value) });

/**
 * `slaEventCount`: the events of tickets created by the transforms' clock (a ticket has no SLA row
 * before its creation, as of that clock).
 */
async function emitAndWait(
  events: CanonicalEvent[],
  ticketEventCount: number,
  slaEventCount: number,
): Promise<void> {
  await pipeline.sink.emit(events);
  const stored = async () => {
    const rs = await pipeline.ch.query({
      query: 'SELECT uniqExact(event_id) AS n FROM ticket_events',
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: string }>())[0]!.n);
  };
  await eventually(stored, (n) => n >= ticketEventCount, 300_000, 1_000);
  // The rollups are compared with live figures of ticket_facts and ticket_sla: both must be in.
  await eventually(
    async () => {
      const rs = await pipeline.ch.query({
        query: `SELECT (SELECT sum(version) FROM ticket_facts FINAL) AS f,
                       (SELECT sum(event_count) FROM ticket_sla FINAL) AS s`,
        format: 'JSONEachRow',
      });
      const [r] = await rs.json<{ f: string; s: string }>();
      return Number(r!.f) >= ticketEventCount && Number(r!.s) >= slaEventCount;
    },
    (ok) => ok,
    120_000,
    500,
  );
}

/** The events of the tickets created at or before `asOf`. */
function eventsOfTicketsCreatedBy(events: CanonicalEvent[], asOf: number): number {
  const tickets = ticketEvents(events);
  const created = new Set(
    tickets
      .filter((e) => e.type === 'ticket.created' && Date.parse(e.occurredAt) <= asOf)
      .map((e) => e.ticketId),
  );
  return tickets.filter((e) => created.has(e.ticketId)).length;
}
let slaEvents = 0;

/** One pass of the backlog rollup at `at` (the transforms' own stays idle: the test drives it). */
async function materialiseBacklog(at: number, markerGraceSeconds?: number): Promise<void> {
  const rollup = startBacklogRollup({
    ch: pipeline.ch,
    logger: pipeline.logger,
    intervalSeconds: 86_400,
    now: () => at,
    ...(markerGraceSeconds === undefined ? {} : { markerGraceSeconds }),
  });
  await rollup.materialiseOnce();
  await rollup.stop();
}

/** The ISO week holding `ms` in `zone`, and the one before. */
function weeksOf(ms: number, zone: string): { current: string; previous: string } {
  const label = (d: DateTime) => d.toFormat("kkkk-'W'WW");
  const at = DateTime.fromMillis(ms, { zone });
  return { current: label(at), previous: label(at.minus({ weeks: 1 })) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'review-rollup-'));
  const calendarsFile = join(dir, 'calendars.json');
  writeFileSync(
    calendarsFile,
    JSON.stringify({
      calendars: Object.entries(zones).map(([region, zone]) => calendar(region.toLowerCase(), zone)),
      regions: Object.fromEntries(Object.keys(zones).map((r) => [r, r.toLowerCase()])),
    }),
  );
  let now = MID;
  pipeline = await startPipeline('e2e_review_rollup_api', {
    now: () => now,
    // The test drives the materialiser. No SLA sweep either: the transforms evaluate at the
    // materialiser's clock, and a sweep at a later one would change open tickets' rows (their
    // owner, hence the region of a breach) in hours already materialised, without a marker.
    overrides: {
      REGION_ROLLUP_INTERVAL_SECONDS: 86_400,
      BACKLOG_ROLLUP_INTERVAL_SECONDS: 86_400,
      ALERT_EVALUATION_INTERVAL_SECONDS: 86_400,
      SLA_SWEEP_INTERVAL_SECONDS: 86_400,
    },
  });
  storedEvents = ticketEvents(story).length;
  slaEvents = eventsOfTicketsCreatedBy(story, MID);
  await emitAndWait(story, storedEvents, slaEvents);
  await pipeline.transforms.regionRollups.materialiseOnce();
  await materialiseBacklog(MID);
  now = TO;
  apis = await startRollupAndLiveApis(pipeline, {
    config: { CALENDARS_FILE: calendarsFile },
    rollupNow: () => MID,
  });
}, 420_000);

afterAll(async () => {
  await apis?.close();
  await pipeline?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const hourParts = [
  'flow',
  'handovers',
  'handoversPending',
  'handoverPairs',
  'resolutions',
  'sla',
  'field',
  'teamBacklog',
  'teamHandovers',
  'customers',
];
// What stands at the running week's end is what stands now (the open copies); at a past week's
// end, the open copy for the tickets untouched since and the newest rows of the others.
const openParts = ['pendingHandovers', 'oldestTickets'];

let summary: unknown;
const now = Date.now();
const cases = [
  { region: 'APAC', zone: zones.APAC },
  { region: 'AMER', zone: zones.AMER, tenant: TENANT },
  { region: undefined, zone: 'UTC' },
  // Its midnights fall inside UTC hours: those hours are read item by item.
  { region: 'EMEA', zone: zones.EMEA },
  { region: 'EMEA', zone: zones.EMEA, tenant: TENANT },
].flatMap(({ region, zone, tenant }) => {
  const weeks = weeksOf(now, zone);
  const query = (week: string) =>
    `/v1/reviews/weekly?week=${week}${region ? `&region=${region}` : ''}${tenant ? `&tenant=${tenant}` : ''}`;
  return [
    { path: query(weeks.current), running: true },
    { path: query(weeks.previous), running: false },
  ];
});
// All regions (UTC weeks): the running week (cases[4]) once it holds `span` of the story, else the
// week before (cases[5]), which then holds the rest of it: early in a week the running one holds
// only a few hours of the story, so what the checks below need must not depend on the weekday.
const utcWeekPath = (span: number) =>
  cases[now - DateTime.fromMillis(now, { zone: 'UTC' }).startOf('week').toMillis() >= span ? 4 : 5]!.path;
const summaryPath = utcWeekPath(DAY);

describe('the weekly review from the region rollups', () => {
  it('the watermark is in the middle of the data', async () => {
    const rs = await pipeline.ch.query({
      query: `SELECT
                (SELECT toUnixTimestamp(max(materialised_until)) * 1000 FROM rollup_watermark FINAL) AS w,
                (SELECT toUnixTimestamp(max(materialised_until)) * 1000 FROM backlog_watermark FINAL) AS bw,
                (SELECT count() FROM ticket_facts_recent FINAL WHERE resolved_at >= toDateTime64({w:UInt64} / 1000, 3, 'UTC')) AS resolved_after_w,
                (SELECT sum(resolved) FROM escalations_hourly FINAL) AS resolved_before_w`,
      query_params: { w: W },
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<{
      w: string;
      bw: string;
      resolved_after_w: string;
      resolved_before_w: string;
    }>();
    expect(Number(r!.w)).toBe(W);
    expect(Number(r!.bw)).toBe(W);
    expect(Number(r!.resolved_before_w)).toBeGreaterThan(10);
    expect(Number(r!.resolved_after_w)).toBeGreaterThan(3);
  });

  it.each(cases)('$path: rollup review = live review', async ({ path, running }) => {
    const [fast, slow] = await Promise.all([get('rollup', path), get('live', path)]);
    expect(slow.source).toBe('live');
    const { headcount, ...ticketParts } = slow.parts;
    expect(headcount).toBe('roster');
    expect(Object.values(ticketParts).every((s) => s === 'live')).toBe(true);
    // Neither a running nor a past week is read with a scan.
    expect(fast.source, running ? 'running' : 'past').toBe('rollup');
    for (const p of hourParts) expect(fast.parts[p], p).toBe('rollup');
    for (const p of openParts) expect(fast.parts[p], p).toBe('rollup');
    expect(fast.parts.slaRisk).toBe('rollup');
    expect(fast.parts.headcount).toBe('roster');
    expect(comparable(fast.body)).toEqual(comparable(slow.body));
    if (path === summaryPath) summary = fast.body;
  });

  it('the compared reviews are not empty', () => {
    // All regions, a week holding a day or more of the story (the running one, or the one before
    // early in a week): it and the week before hold the story's handovers and resolutions.
    const body = summary as Record<string, unknown> & {
      headline: Array<{ key: string; current: number | null; previous: number | null }>;
      days: Array<{ inflow: number; outflow: number }>;
      handoverPairs: unknown[];
      offenders: {
        oldestTickets: unknown[];
        oldestPendingHandovers: unknown[];
        teamsByBacklogGrowth: Array<{ inflow: number; outflow: number }>;
        teamsBySlowestPickup: Array<{ pendingAtEnd: number; businessP90Seconds: number | null }>;
        customersByBreaches: Array<{ breaches: number; resolved: number }>;
      };
    };
    const h = (key: string) => body.headline.find((x) => x.key === key)!;
    expect(body.days.reduce((s, d) => s + d.inflow + d.outflow, 0)).toBeGreaterThan(20);
    expect((h('handovers').current ?? 0) + (h('handovers').previous ?? 0)).toBeGreaterThan(10);
    expect(h('escalationRate').current ?? h('escalationRate').previous).not.toBeNull();
    expect(h('firstTimeFixRate').current ?? h('firstTimeFixRate').previous).not.toBeNull();
    expect(body.handoverPairs.length).toBeGreaterThan(1);
    expect(body.offenders.oldestTickets.length).toBeGreaterThan(0);
    expect(body.offenders.oldestPendingHandovers.length).toBeGreaterThan(0);
    expect(h('pendingHandovers').current).toBeGreaterThan(0);
    const teams = body.offenders.teamsBySlowestPickup;
    expect(teams.some((t) => t.businessP90Seconds !== null)).toBe(true);
    expect(teams.some((t) => t.pendingAtEnd > 0)).toBe(true);
    const customers = body.offenders.customersByBreaches;
    expect(customers.some((c) => c.breaches > 0)).toBe(true);
    expect(customers.some((c) => c.resolved > 0)).toBe(true);
    const growth = body.offenders.teamsByBacklogGrowth;
    expect(growth.length).toBeGreaterThan(1);
    expect(growth.reduce((s, t) => s + t.inflow + t.outflow, 0)).toBeGreaterThan(10);
  });

  it('a zone half an hour off UTC: the hours its midnights fall inside hold items before W', async () => {
    // The EMEA midnights of the stored days, each inside a UTC hour the rollups hold: the
    // comparisons above read those hours item by item.
    const hours = midnightHours(zones.EMEA).map((h) => toClickHouseTime(h).slice(0, 19));
    expect(hours.length).toBeGreaterThan(2);
    expect(Date.parse(`${hours[0]}Z`) % HOUR).toBe(0);
    const rs = await pipeline.ch.query({
      query: `SELECT
                (SELECT sum(length(opened_offsets_ms) + length(closed_offsets_ms)) FROM backlog_region_hourly FINAL
                 WHERE has({hours:Array(DateTime('UTC'))}, hour)) AS changes,
                (SELECT sum(length(made)) FROM handovers_hourly FINAL
                 WHERE has({hours:Array(DateTime('UTC'))}, hour)) AS handovers,
                (SELECT sum(length(received_at) + length(waits_ended_offsets_ms)) FROM handover_teams_hourly FINAL
                 WHERE has({hours:Array(DateTime('UTC'))}, hour)) AS team_items`,
      query_params: { hours },
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<{ changes: string; handovers: string; team_items: string }>();
    expect(Number(r!.changes)).toBeGreaterThan(0);
    expect(Number(r!.handovers)).toBeGreaterThan(0);
    expect(Number(r!.team_items)).toBeGreaterThan(0);
  });

  it('the backlog at the end of the running week is the open tickets, counted by hand', async () => {
    // The story's tickets: created and not (yet) resolved, closed or cancelled at its end.
    const open = new Set<string>();
    for (const e of ticketEvents(story).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))) {
      if (e.type === 'ticket.created' || e.type === 'ticket.reopened') open.add(e.ticketId);
      if (e.type === 'ticket.resolved' || e.type === 'ticket.closed' || e.type === 'ticket.cancelled')
        open.delete(e.ticketId);
    }
    const { body } = await get('rollup', `/v1/reviews/weekly?week=${weeksOf(now, 'UTC').current}`);
    const end = (body.headline as Array<{ key: string; current: number }>).find(
      (h) => h.key === 'backlogEnd',
    );
    expect(end?.current).toBe(open.size);
  });

  it('weeks after every handover still have their row of zeros, as live', async () => {
    // Both weeks after the story: live gives each a row (handovers were made before its end).
    const weeks = [TO + DAY, TO + 8 * DAY, TO + 15 * DAY].map((t) => toClickHouseTime(t));
    const params = {
      tenant: '',
      region: 'APAC',
      weeks,
      wm_tenants: [TENANT],
      wm_until: [toClickHouseTime(W).slice(0, 19)],
      split_hours: [],
    };
    const rows = async (name: string) => {
      const rs = await pipeline.ch.query({
        query: readQuery(name),
        query_params: params,
        format: 'JSONEachRow',
      });
      return rs.json<{ week: number; handovers: number; received_count: number }>();
    };
    const live = await rows('review-handovers');
    expect(live.map((r) => [r.week, r.handovers, r.received_count])).toEqual([
      [0, 0, 0],
      [1, 0, 0],
    ]);
    expect(
      (await rows('review-handovers-rollup')).map((r) => [r.week, r.handovers, r.received_count]),
    ).toEqual(live.map((r) => [r.week, r.handovers, r.received_count]));
  });

  it('late events before the watermark show in the rollup review after the next pass', async () => {
    const late = ticketEvents(
      fixedStory(
        { seed: 11, tenant: TENANT, scenario: 'none', ticketScale: 0.2 },
        REFERENCE_END - (TO - (W - DAY)),
        W - DAY - FROM,
        W - DAY,
      ),
    ).map((e) => ({ ...e, ticketId: `late-${e.ticketId}`, eventId: `late-${e.eventId}` }));
    // The late tickets are created from FROM to W - DAY (44 hours before TO): a week holding a
    // day or more of them.
    const path = utcWeekPath(3 * DAY);
    const inflow = (b: Record<string, unknown>) =>
      (b.days as Array<{ inflow: number }>).reduce((s, d) => s + d.inflow, 0);
    storedEvents += late.length;
    slaEvents += eventsOfTicketsCreatedBy(late, TO);
    await emitAndWait(late, storedEvents, slaEvents);
    const [before, live] = await Promise.all([get('rollup', path), get('live', path)]);
    // Not yet materialised: the late tickets are neither in the rollup hours nor in the edge.
    expect(inflow(before.body)).toBeLessThan(inflow(live.body));
    const rollups = startRegionRollups({
      ch: pipeline.ch,
      logger: pipeline.logger,
      intervalSeconds: 86_400,
      now: () => TO,
      markerGraceSeconds: 0,
    });
    await rollups.materialiseOnce();
    await rollups.stop();
    await materialiseBacklog(TO, 0);
    await new Promise((r) => setTimeout(r, 1_100)); // the API caches the watermarks for a second
    for (const { path: p } of cases) {
      const [fast, slow] = await Promise.all([get('rollup', p), get('live', p)]);
      for (const part of [...hourParts, ...openParts])
        expect(fast.parts[part], `${p} ${part}`).toBe('rollup');
      expect(comparable(fast.body), p).toEqual(comparable(slow.body));
    }
  });
});
