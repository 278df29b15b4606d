import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { CanonicalEvent, FieldJobEvent } from '../../core/events/index.js';
import { DAY, HOUR } from '../../ingest/simulator/generate.js';
import { type BacklogRollup, startRegionRollups } from '../../transforms/backlog/materialise.js';
import { type RollupAndLiveApis, roundedFloats, startRollupAndLiveApis } from '../helpers/api-pair.js';
import { fixedStory } from '../helpers/fixed-story.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The field route answered from field_hourly + the field_job_facts_recent edge against the same
// route answered live (API_READ_ROLLUPS=false) over one database: a simulated operation (tickets
// and field jobs) and hand-made jobs through Kafka and the transforms, the rollups materialised
// with the watermark inside the data, then late events before the watermark (a job completed, a
// completed job sent back for a revisit), which the rollup answer shows only after the next pass,
// and a job completed after it sent back, which the edge shows at once.
// A tenant with field jobs and no tickets gets a watermark too.

// The story ends at the current hour: the recent copies keep jobs completed in the last day.
const TO = Math.floor(Date.now() / HOUR) * HOUR;
const FROM = TO - 4 * DAY;
const MINUTE = 60_000;
const MID = TO - 20 * HOUR + 20 * MINUTE; // the materialiser's clock: W = its hour
const W = Math.floor(MID / HOUR) * HOUR;
const TENANT = 'fieldroll';
const ONLY_JOBS = 'jobsonly';
const iso = (ms: number) => new Date(ms).toISOString();

// The story of a fixed weekday window moved to end at TO (test/helpers/fixed-story.ts): the same
// jobs on every run, whatever the weekday (58 completed in [FROM, TO), 19 of them after W).
const REFERENCE_END = Date.parse('2026-01-07T06:00:00Z'); // a Wednesday
const story = fixedStory(
  { seed: 5, tenant: TENANT, scenario: 'none', ticketScale: 0.3 },
  REFERENCE_END,
  TO - FROM,
  TO,
);

let pipeline: TestPipeline;
let apis: RollupAndLiveApis;
let rollup: BacklogRollup;
let clock = MID;
const jobEventIds = new Set<string>();
const ticketEventIds = new Set<string>();

// ---- hand-made jobs -------------------------------------------------------------------------------

let seq = 0;
function job(
  tenant: string,
  jobId: string,
  type: FieldJobEvent['type'],
  at: number,
  body = {},
): FieldJobEvent {
  return {
    eventId: `hand:job:${jobId}:${++seq}`,
    schemaVersion: 1,
    source: 'hand',
    tenant,
    jobId,
    occurredAt: iso(at),
    receivedAt: iso(at),
    type,
    ...body,
  } as FieldJobEvent;
}

/** A job of customer `handc`: created, dispatched after `latency`, on site after `arrival`, completed at `done`. */
function completedJob(
  tenant: string,
  jobId: string,
  created: number,
  latency: number,
  arrival: number,
  done: number,
) {
  return [
    job(tenant, jobId, 'job.created', created, { customer: 'handc', site: 's1', region: 'EMEA' }),
    job(tenant, jobId, 'job.dispatched', created + latency, { engineer: 'e1' }),
    job(tenant, jobId, 'job.on_site', created + latency + arrival, {}),
    job(tenant, jobId, 'job.completed', done, { fixed: true }),
  ];
}

const handFirst = [
  ...completedJob(TENANT, 'HJ1', W - 5 * HOUR, 30 * MINUTE, 30 * MINUTE, W - 3 * HOUR),
  ...completedJob(TENANT, 'HJ2', W - 3 * HOUR, HOUR, HOUR, W + HOUR), // in the edge
  ...completedJob(ONLY_JOBS, 'OJ1', W - 10 * HOUR, HOUR, HOUR, W - 7 * HOUR),
  ...completedJob(ONLY_JOBS, 'OJ2', W - 2 * HOUR, HOUR, HOUR, W + 2 * HOUR),
];
const handLate = [
  ...completedJob(TENANT, 'HJ3', W - 6 * HOUR, HOUR, 30 * MINUTE, W - 2 * HOUR),
  job(TENANT, 'HJ1', 'job.revisit_required', W - 2 * HOUR - 30 * MINUTE, {}),
  // Its row no longer has a completion: the recent copy must take it as well.
  job(TENANT, 'HJ2', 'job.revisit_required', W + HOUR + 30 * MINUTE, {}),
];

// ---- pipeline -------------------------------------------------------------------------------------

async function scalar(query: string): Promise<number> {
  const rs = await pipeline.ch.query({ query, format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: number | string }>();
  return Number(row?.n ?? 0);
}

async function emitAndWait(events: CanonicalEvent[]): Promise<void> {
  for (const e of events)
    if (e.type.startsWith('job.')) jobEventIds.add(e.eventId);
    else if (e.type.startsWith('ticket.') && e.type !== 'ticket.field_dispatched')
      ticketEventIds.add(e.eventId);
  await pipeline.sink.emit(events);
  // A job's row has one version per distinct event; field dispatches add ticket events.
  const stored = await eventually(
    async () => [
      await scalar('SELECT sum(version) AS n FROM field_job_facts FINAL'),
      await scalar(
        "SELECT uniqExact(event_id) AS n FROM ticket_events WHERE type != 'ticket.field_dispatched'",
      ),
    ],
    ([jobs, tickets]) => jobs === jobEventIds.size && tickets === ticketEventIds.size,
    60_000,
    500,
  );
  expect(stored).toEqual([jobEventIds.size, ticketEventIds.size]);
}

async function pass(at: number) {
  clock = at;
  const result = await rollup.materialiseOnce();
  // The API caches the watermarks for a second.
  await new Promise((r) => setTimeout(r, 1_100));
  return result;
}

beforeAll(async () => {
  pipeline = await startPipeline('e2e_field_rollup', {
    // The test drives the materialiser itself.
    overrides: { REGION_ROLLUP_INTERVAL_SECONDS: 86_400, ALERT_EVALUATION_INTERVAL_SECONDS: 86_400 },
  });
  apis = await startRollupAndLiveApis(pipeline, { rollupNow: () => MID });
  rollup = startRegionRollups({
    ch: pipeline.ch,
    logger: pipeline.logger,
    intervalSeconds: 86_400,
    now: () => clock,
    markerGraceSeconds: 0,
  });
}, 120_000);

afterAll(async () => {
  await rollup?.stop();
  await apis?.close();
  await pipeline?.close();
});

// ---- requests -------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
type Region = Json & { region: string; jobs: number };

const PATH = '/v1/metrics/field';
/** The mean of ratios is summed in another order: the last bits may differ. */
const nineDigits = { comparable: (body: unknown) => roundedFloats(body, { places: 9 }) };
const same = async (query: Record<string, string>) =>
  (await apis.same(PATH, query, nineDigits)) as { regions: Region[] };

async function checkAll(): Promise<void> {
  const rs = await pipeline.ch.query({
    query: `SELECT toString(customer) AS c FROM field_job_facts FINAL
            WHERE tenant = {t:String} AND status = 'completed' AND customer != 'handc'
            GROUP BY c ORDER BY count() DESC, c LIMIT 1`,
    query_params: { t: TENANT },
    format: 'JSONEachRow',
  });
  const customer = (await rs.json<{ c: string }>())[0]!.c;
  const ranges = [
    { from: iso(FROM), to: iso(TO) },
    { from: iso(FROM - DAY), to: iso(TO + HOUR) },
    { from: iso(FROM), to: iso(W - 2 * HOUR) }, // entirely before the watermark
    { from: iso(W), to: iso(TO + 2 * HOUR) }, // entirely edge
    { from: iso(FROM + 5 * HOUR), to: iso(Date.now()) }, // ends after every watermark, off the hour
    // Ends inside hours before the watermark: those hours are read job by job.
    { from: iso(FROM + 90_000), to: iso(TO) },
    { from: iso(FROM + 7 * HOUR + 29 * MINUTE), to: iso(W - 2 * HOUR + MINUTE) },
    { from: iso(W - 40 * MINUTE - 1), to: iso(W + 50 * MINUTE) },
  ];
  for (const range of ranges) {
    await same(range);
    await same({ ...range, tenant: TENANT });
    await same({ ...range, tenant: TENANT, region: 'EMEA' });
    await same({ ...range, region: 'APAC' });
    await same({ ...range, tenant: TENANT, customer });
    await same({ ...range, tenant: ONLY_JOBS });
  }
  const all = await same({ from: iso(FROM), to: iso(TO) });
  expect(all.regions.reduce((n, r) => n + r.jobs, 0)).toBeGreaterThan(30);
}

const handRange = { tenant: TENANT, customer: 'handc', from: iso(W - 12 * HOUR), to: iso(TO + HOUR) };

// ---- the test -------------------------------------------------------------------------------------

describe('field execution from the region rollups', () => {
  it('answers as live, with the watermark mid-data, after late events and a pass', {
    timeout: 400_000,
  }, async () => {
    await emitAndWait([...story, ...handFirst]);
    const first = await pass(MID);
    expect(first.runs.map((r) => [r.tenant, r.to])).toEqual([
      [TENANT, W],
      [ONLY_JOBS, W],
    ]);
    const completed = (cmp: string) =>
      scalar(
        `SELECT count() AS n FROM field_job_facts FINAL WHERE status = 'completed' AND customer != 'handc'
         AND completed_at ${cmp} toDateTime('${toClickHouseTime(W).slice(0, 19)}', 'UTC')`,
      );
    // Both parts hold jobs: completed before the watermark (rollup) and at or after it (edge).
    expect(await completed('<')).toBeGreaterThan(20);
    expect(await completed('>=')).toBeGreaterThan(3);
    await checkAll();

    // By hand: HJ1 (dispatch 1 800 s, arrival 1 800 s) before W, HJ2 (3 600 s, 3 600 s) in the edge;
    // percentiles interpolate between the two.
    const hand = (await same(handRange)).regions;
    expect(
      hand.map((r) => [r.region, r.jobs, r.dispatchLatencyP50Seconds, r.dispatchLatencyP90Seconds]),
    ).toEqual([['EMEA', 2, 2_700, 3_420]]);

    await emitAndWait(handLate);
    const stale = await apis.get('rollup', PATH, handRange);
    const fresh = await apis.get('live', PATH, handRange);
    expect(stale.source).toBe('rollup');
    expect(stale.body).not.toEqual(fresh.body);

    // The next hour closes; field events leave no markers, so this is the pass that sees them.
    const second = await pass(MID + HOUR);
    expect(second.runs.map((r) => [r.tenant, r.to])).toEqual([
      [TENANT, W + HOUR],
      [ONLY_JOBS, W + HOUR],
    ]);
    await checkAll();
    // By hand: HJ1 and HJ2 went back for a revisit; HJ3 (dispatch 3 600 s, arrival 1 800 s) completed.
    const after = (await same(handRange)).regions;
    expect(after.map((r) => [r.region, r.jobs, r.dispatchLatencyP50Seconds, r.arrivalP50Seconds])).toEqual([
      ['EMEA', 1, 3_600, 1_800],
    ]);
  });
});
