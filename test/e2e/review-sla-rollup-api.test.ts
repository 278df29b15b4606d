import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupReader, splitHours } from '../../api/rollups.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { eventId, type TicketEvent } from '../../core/events/ticket.js';
import { readQuery } from '../../core/queries.js';
import { startRegionRollups } from '../../transforms/backlog/materialise.js';
import { defaultSlaPolicies } from '../../transforms/sla/policy.js';
import { loadSlaSettings } from '../../transforms/sla/settings.js';
import { startSlaSweep } from '../../transforms/sla/sweep.js';
import { type RollupAndLiveApis, roundedFloats, startRollupAndLiveApis } from '../helpers/api-pair.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The weekly review's SLA part (resolutions per week and breaches by the hour the clock ran out)
// read from sla_hourly and sla_breaches_hourly before the watermark and from the recent and open
// copies after it (sql/queries/review-sla-rollup.sql), against the same review answered live
// (API_READ_ROLLUPS=false) over one database. Hand-made tickets on 24x7 clocks, so every breach
// time is worked out below: before and after the watermark, stopped before and after it, open,
// in both copies, and one whose clock runs out after the watermark with no event since (the SLA
// sweep records it; its row is too old for the recent copy). Then a late resolution before the
// watermark, which the rollup review shows after the next pass.

const MINUTE = 60_000;
const HOUR = 3_600_000;
// The recent copies keep tickets with an event in the last day: the story ends at the current hour.
const TO = Math.floor(Date.now() / HOUR) * HOUR;
const MID = TO - 20 * HOUR + 20 * MINUTE; // the materialiser's clock: W = its hour
const W = Math.floor(MID / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

// Policies: critical = 4 h (the default set), and two of their own on the 24x7 calendar.
const QUICK = { customer: 'quick', seconds: 3_600 };
const SLOW = { customer: 'slow', seconds: 30 * 3_600 };

let seq = 0;
function ev(
  tenant: string,
  ticketId: string,
  type: TicketEvent['type'],
  at: number,
  body: Record<string, unknown> = {},
): TicketEvent {
  seq += 1;
  return {
    eventId: eventId('hand', 'ticket', `${tenant}-${ticketId}`, String(seq)),
    schemaVersion: 1,
    source: 'hand',
    tenant,
    ticketId,
    occurredAt: iso(at),
    receivedAt: iso(at),
    type,
    ...body,
  } as TicketEvent;
}
const created = (
  tenant: string,
  id: string,
  at: number,
  region: string,
  customer = 'c1',
  priority = 'critical',
) => ev(tenant, id, 'ticket.created', at, { customer, priority, region, team: `L1-${region}` });

const T = 'hand';
// Every figure below: breach = creation + target (24x7, never paused), unless resolved before.
const story: TicketEvent[] = [
  created(T, 'A', W - 6 * HOUR, 'EMEA'),
  ev(T, 'A', 'ticket.resolved', W - 5 * HOUR), // met, stopped before W
  created(T, 'B', W - 8 * HOUR, 'EMEA'),
  ev(T, 'B', 'ticket.resolved', W - HOUR), // breached at W - 4 h, stopped before W
  created(T, 'C', W - 4 * HOUR - 5 * MINUTE, 'APAC'), // open, breached at W - 5 min
  created(T, 'D', W - 55 * MINUTE, 'APAC', QUICK.customer), // open, breached at W + 5 min (both copies)
  created(T, 'E', W - 5 * HOUR, 'EMEA'),
  ev(T, 'E', 'ticket.resolved', W + 10 * MINUTE), // breached at W - 1 h, stopped after W
  created(T, 'F', W - 2 * HOUR, 'EMEA'),
  ev(T, 'F', 'ticket.resolved', W + 15 * MINUTE), // met, stopped after W
  created(T, 'H', W - 50 * MINUTE, 'EMEA', QUICK.customer),
  ev(T, 'H', 'ticket.resolved', W + 18 * MINUTE), // breached at W + 10 min, stopped after W
  created(T, 'S', TO - 40 * HOUR, 'APAC', SLOW.customer, 'low'), // breached at TO - 10 h, no event since
  created('hand2', 'X', W - 7 * HOUR, 'AMER'),
  ev('hand2', 'X', 'ticket.resolved', W - 2 * HOUR), // breached at W - 3 h, stopped before W
];
const breachAt: Record<string, number> = {
  B: W - 4 * HOUR,
  C: W - 5 * MINUTE,
  D: W + 5 * MINUTE,
  E: W - HOUR,
  H: W + 10 * MINUTE,
  X: W - 3 * HOUR,
};
const SLOW_BREACH = TO - 40 * HOUR + SLOW.seconds * 1000;
/** Clocks stopped met or breached: ticket → [stopped at, breached]. */
const stops: Record<string, [number, boolean]> = {
  A: [W - 5 * HOUR, false],
  B: [W - HOUR, true],
  E: [W + 10 * MINUTE, true],
  F: [W + 15 * MINUTE, false],
  H: [W + 18 * MINUTE, true],
  X: [W - 2 * HOUR, true],
};

let dir: string;
let clock = MID;
let pipeline: TestPipeline;
let apis: RollupAndLiveApis;
let storedEvents = 0;

async function scalars(query: string): Promise<number[]> {
  const rs = await pipeline.ch.query({ query, format: 'JSONEachRow' });
  return Object.values((await rs.json<Record<string, string | number | null>>())[0]!).map((v) =>
    Number(v ?? 0),
  );
}

async function emitAndWait(events: TicketEvent[]): Promise<void> {
  storedEvents += events.length;
  await pipeline.sink.emit(events);
  await eventually(
    () =>
      scalars(
        `SELECT (SELECT sum(event_count) FROM ticket_sla FINAL), (SELECT sum(version) FROM ticket_facts FINAL)`,
      ),
    ([sla, facts]) => sla === storedEvents && facts === storedEvents,
    120_000,
    500,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'review-sla-rollup-'));
  const policiesFile = join(dir, 'sla-policies.json');
  const own = (c: { customer: string; seconds: number }) => ({
    id: c.customer,
    match: { customer: c.customer },
    responseTargetSeconds: c.seconds,
    resolutionTargetSeconds: c.seconds,
    calendar: '24x7',
  });
  writeFileSync(policiesFile, JSON.stringify([own(QUICK), own(SLOW), ...defaultSlaPolicies]));
  pipeline = await startPipeline('e2e_review_sla_rollup', {
    now: () => clock,
    // The test drives the materialiser and the SLA sweep itself.
    overrides: {
      REGION_ROLLUP_INTERVAL_SECONDS: 86_400,
      ALERT_EVALUATION_INTERVAL_SECONDS: 86_400,
      SLA_SWEEP_INTERVAL_SECONDS: 86_400,
      SLA_POLICIES_FILE: policiesFile,
    },
  });
  // Evaluated at the materialiser's clock: S's clock has not run out yet.
  await emitAndWait(story);
  await pipeline.transforms.regionRollups.materialiseOnce();
  clock = TO;
  apis = await startRollupAndLiveApis(pipeline, { rollupNow: () => MID });
}, 300_000);

afterAll(async () => {
  await apis?.close();
  await pipeline?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The ISO week holding `ms` in `zone`, and the one before. */
function weeksOf(ms: number, zone: string): string[] {
  const label = (d: DateTime) => d.toFormat("kkkk-'W'WW");
  const at = DateTime.fromMillis(ms, { zone });
  return [label(at), label(at.minus({ weeks: 1 }))];
}

// The weeks of W and of S's breach, each with the week before it: both weeks of every review.
const queries = [
  {},
  { tenant: T },
  { region: 'EMEA' }, // Europe/London
  { region: 'APAC' }, // Asia/Singapore
  { region: 'APAC', tenant: T },
].flatMap((scope) => {
  const zone = scope.region === 'EMEA' ? 'Europe/London' : scope.region === 'APAC' ? 'Asia/Singapore' : 'UTC';
  const weeks = [...new Set([...weeksOf(TO, zone), ...weeksOf(W, zone)])];
  return weeks.map((week) => ({ ...scope, week }) as Record<string, string>);
});
const review = '/v1/reviews/weekly';
const label = (q: Record<string, string>) => new URLSearchParams(q).toString();

interface ReviewBody {
  week: { start: string; end: string };
  previousWeek: { start: string; end: string };
  slaByPriority: Array<{
    week: string;
    priority: string;
    resolved: number;
    breached: number;
    breachRate: number | null;
    breachesInWeek: number;
  }>;
}

/** Both reviews; the rollup one must read its SLA part from the rollups and equal the live one. */
async function same(q: Record<string, string>): Promise<ReviewBody> {
  const [fast, slow] = await Promise.all([apis.get('rollup', review, q), apis.get('live', review, q)]);
  expect(fast.headers['x-baton-source-parts'], label(q)).toContain('sla=rollup');
  expect(slow.headers['x-baton-source-parts'], label(q)).toContain('sla=live');
  const comparable = (b: unknown) =>
    roundedFloats(b, { replace: (key, value) => (key === 'generatedAt' ? 'now' : value) });
  expect(comparable(fast.body), label(q)).toEqual(comparable(slow.body));
  return fast.body as ReviewBody;
}

/** The all-regions review's SLA rows, worked out from the tickets above. */
function expectedRows(body: ReviewBody, breaches: Record<string, number>, stopped: typeof stops) {
  const rows: ReviewBody['slaByPriority'] = [];
  for (const [week, bounds] of [
    ['previous', body.previousWeek],
    ['current', body.week],
  ] as const) {
    const within = (t: number) => t >= Date.parse(bounds.start) && t < Date.parse(bounds.end);
    for (const priority of ['critical', 'low']) {
      const of = (id: string) => (id === 'S' ? 'low' : 'critical') === priority;
      const stoppedIn = Object.entries(stopped).filter(([id, [at]]) => of(id) && within(at));
      const resolved = stoppedIn.length;
      const breached = stoppedIn.filter(([, [, b]]) => b).length;
      const row = {
        week,
        priority,
        resolved,
        breached,
        breachRate: resolved === 0 ? null : breached / resolved,
        breachesInWeek: Object.entries(breaches).filter(([id, at]) => of(id) && within(at)).length,
      };
      if (row.resolved > 0 || row.breachesInWeek > 0) rows.push(row);
    }
  }
  return rows;
}

/**
 * The SLA part's two rollup queries at weeks bounded inside hours (a zone 30 or 45 minutes off UTC):
 * those hours item by item, as live.
 */
async function checkWeeksInsideHours(): Promise<void> {
  const wm = await rollupReader(pipeline.ch, { enabled: true }).watermarks();
  const rollup = {
    wm_tenants: [...wm!.until.keys()],
    wm_until: [...wm!.until.values()].map((t) => toClickHouseTime(t).slice(0, 19)),
  };
  // A's stop at W - 5 h falls before the first bound; E's breach and B's stop at W - 1 h in the
  // first week, C's breach at W - 5 min in the second; after W, D's and H's breaches and E's stop
  // before the last bound, F's stop after it.
  const bounds = [W - 5 * HOUR + 1, W - 30 * MINUTE, W + 12 * MINUTE];
  const weeks = bounds.map((b) => toClickHouseTime(b));
  const split = splitHours(bounds.map((b) => new Date(b)));
  expect(split).toHaveLength(3);
  const rows = async (name: string, params: Record<string, unknown>) => {
    const rs = await pipeline.ch.query({
      query: readQuery(name),
      query_params: params,
      format: 'JSONEachRow',
    });
    return rs.json<Record<string, unknown>>();
  };
  for (const scope of [
    { tenant: '', region: '' },
    { tenant: T, region: 'EMEA' },
    { tenant: '', region: 'APAC' },
  ]) {
    const sla = await rows('review-sla', { ...scope, weeks });
    expect(await rows('review-sla-rollup', { ...scope, weeks, ...rollup, split_hours: split })).toEqual(sla);
    const range = { ...scope, from: weeks[1], to: weeks[2], limit: 10 };
    const customers = await rows('review-customer-breaches', range);
    expect(
      await rows('review-customer-breaches-rollup', { ...range, ...rollup, split_hours: split }),
    ).toEqual(customers);
    if (scope.region === '') {
      expect(sla.length).toBeGreaterThan(1);
      expect(customers.length).toBeGreaterThan(0);
    }
  }
}

describe('the weekly review’s SLA part from the rollups', () => {
  it('the rollups hold the hours before the watermark, the edge the rest', async () => {
    const [w, rolledBreaches, rolledResolved] = await scalars(
      `SELECT
         (SELECT toUnixTimestamp(max(materialised_until)) * 1000 FROM rollup_watermark FINAL),
         (SELECT sum(breaches) FROM sla_breaches_hourly FINAL),
         (SELECT sum(resolved) FROM sla_hourly FINAL)`,
    );
    expect(w).toBe(W);
    // B, C, E and X ran out before W; A, B and X stopped before it.
    expect(rolledBreaches).toBe(4);
    expect(rolledResolved).toBe(3);
    // D is open with a recent event: in both copies. S has no breach yet, and no recent row.
    expect(
      await scalars(
        `SELECT
           (SELECT count() FROM ticket_sla_recent FINAL WHERE ticket_id = 'D'),
           (SELECT count() FROM ticket_sla_open FINAL WHERE ticket_id = 'D'),
           (SELECT count() FROM ticket_sla_recent FINAL WHERE ticket_id = 'S'),
           (SELECT countIf(res_breached_at IS NULL) FROM ticket_sla_open FINAL WHERE ticket_id = 'S')`,
      ),
    ).toEqual([1, 1, 0, 1]);
  });

  it.each(queries.map((q) => [label(q), q] as const))('%s: rollup review = live review', async (_, q) => {
    await same(q);
  });

  it('the figures are the tickets’, worked out by hand', async () => {
    for (const week of [...new Set([...weeksOf(TO, 'UTC'), ...weeksOf(W, 'UTC')])]) {
      const body = await same({ week });
      expect(body.slaByPriority, week).toEqual(expectedRows(body, breachAt, stops));
    }
  });

  it('weeks bounded inside hours (a zone 30 or 45 minutes off UTC): those hours item by item, as live', async () => {
    await checkWeeksInsideHours();
  });

  it('a clock that runs out after the watermark with no event since counts in its week', async () => {
    const sweep = startSlaSweep({
      ch: pipeline.ch,
      settings: loadSlaSettings(pipeline.config),
      logger: pipeline.logger,
      intervalSeconds: 86_400,
      pageSize: 100,
      now: () => TO,
    });
    await sweep.sweepOnce();
    await sweep.stop();
    // S's breach is recorded; its row is in the open copy only (its one event is 40 h old).
    expect(
      await scalars(
        `SELECT
           (SELECT toUnixTimestamp64Milli(assumeNotNull(res_breached_at)) FROM ticket_sla FINAL WHERE ticket_id = 'S'),
           (SELECT count() FROM ticket_sla_recent FINAL WHERE ticket_id = 'S'),
           (SELECT count() FROM ticket_sla_open FINAL WHERE ticket_id = 'S')`,
      ),
    ).toEqual([SLOW_BREACH, 0, 1]);
    expect(SLOW_BREACH).toBeGreaterThan(W);
    for (const q of queries) await same(q);
    for (const week of [...new Set([...weeksOf(TO, 'UTC'), ...weeksOf(W, 'UTC')])]) {
      const body = await same({ week });
      expect(body.slaByPriority, week).toEqual(expectedRows(body, { ...breachAt, S: SLOW_BREACH }, stops));
    }
  });

  it('a late resolution before the watermark shows in the rollup review after the next pass', async () => {
    // C resolved 2 minutes before W, learnt now: breached (its clock ran out at W - 5 min).
    await emitAndWait([ev(T, 'C', 'ticket.resolved', W - 2 * MINUTE)]);
    const allStops = { ...stops, C: [W - 2 * MINUTE, true] as [number, boolean] };
    const breaches = { ...breachAt, S: SLOW_BREACH };
    const [week] = weeksOf(W, 'UTC') as [string];
    const [fast, slow] = await Promise.all([
      apis.get('rollup', review, { week }),
      apis.get('live', review, { week }),
    ]);
    // Not yet materialised: the rollup has no stop of C, and C stopped before W (not in the edge).
    expect(JSON.stringify((fast.body as ReviewBody).slaByPriority)).not.toEqual(
      JSON.stringify((slow.body as ReviewBody).slaByPriority),
    );
    const rollups = startRegionRollups({
      ch: pipeline.ch,
      logger: pipeline.logger,
      intervalSeconds: 86_400,
      now: () => TO,
      markerGraceSeconds: 0,
    });
    await rollups.materialiseOnce();
    await rollups.stop();
    await new Promise((r) => setTimeout(r, 1_100)); // the API caches the watermarks for a second
    // The watermark is now TO: S's breach is read from the rollup.
    expect(await scalars('SELECT sum(breaches) FROM sla_breaches_hourly FINAL')).toEqual([7]);
    // Every stop is in the rollups now, C's 58 minutes into its hour and E's, F's and H's inside
    // theirs: the split hours hold stops on both sides of a bound.
    await checkWeeksInsideHours();
    for (const q of queries) await same(q);
    for (const w of [...new Set([...weeksOf(TO, 'UTC'), ...weeksOf(W, 'UTC')])]) {
      const body = await same({ week: w });
      expect(body.slaByPriority, w).toEqual(expectedRows(body, breaches, allStops));
    }
  });
});
