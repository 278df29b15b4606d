import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent, TicketEvent } from '../../core/events/index.js';
import type { Priority } from '../../core/events/ticket.js';
import { DAY, HOUR } from '../../ingest/simulator/generate.js';
import { startRegionRollups } from '../../transforms/backlog/materialise.js';
import { type RollupAndLiveApis, roundedFloats, startRollupAndLiveApis } from '../helpers/api-pair.js';
import { fixedStory } from '../helpers/fixed-story.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The handover and escalation routes answered from the region rollups (api/rollups.ts) against
// the same routes answered live (API_READ_ROLLUPS=false) over one database: a simulated operation
// through Kafka and the transforms, the rollups materialised with the clock in the middle of it
// (so an answer is rollup hours + the recent edge), then late events before the watermark, which
// the rollup answer shows only after the next pass. The live queries are checked against an
// independent fold of the simulator's events in scenario-api.test.ts; here the rollup path must
// give the same answers, and the response header says which path answered.

// The story ends at the current hour: the recent copies keep tickets with an event in the last day.
const TO = Math.floor(Date.now() / HOUR) * HOUR;
const FROM = TO - 4 * DAY;
const MID = TO - 20 * HOUR + 20 * 60_000; // the materialiser's clock: W = its hour
const W = Math.floor(MID / HOUR) * HOUR;
const TENANT = 'rollup';
// A team (owner at the first resolution), a customer and a priority (the ticket's current one) with
// resolutions before and after W.
const TEAM = 'emea-l1';
const CUSTOMER = 'acme';
const PRIORITY: Priority = 'high';
// The end of the window the late operation is generated for (a Thursday; see the test).
const LATE_REFERENCE_END = Date.parse('2026-01-08T18:00:00Z');

// The end of the window the story is generated for, a Wednesday morning: its last 20 hours (after
// W) hold resolutions of every filtered kind (test/helpers/fixed-story.ts says why it is fixed).
const REFERENCE_END = Date.parse('2026-01-07T06:00:00Z');

const story = fixedStory(
  { seed: 3, tenant: TENANT, scenario: 'seam-stall', ticketScale: 0.3 },
  REFERENCE_END,
  TO - FROM,
  TO,
);
const iso = (ms: number) => new Date(ms).toISOString();

let pipeline: TestPipeline;
let apis: RollupAndLiveApis;
const get = (which: 'rollup' | 'live', path: string) => apis.get(which, path);

const isPendingAge = (key: string, value: unknown) => typeof value === 'number' && /pending.*Age/i.test(key);

/** Both answers with floating sums rounded (summation order differs), asOf = now and the pending ages masked. */
const comparable = (body: unknown): unknown =>
  roundedFloats(body, {
    replace: (key, value) => (key === 'asOf' ? 'now' : isPendingAge(key, value) ? 'age' : value),
  });

/**
 * The pending ages grow with each request's own clock. Turned back into the instants they are
 * measured from (asOf - age), they do not move: rounding the ages instead fails whenever two
 * requests a few milliseconds apart fall on either side of a rounding step.
 */
const pendingSince = (body: unknown): number[] => {
  const asOf = Date.parse((body as { asOf: string }).asOf);
  const since: number[] = [];
  JSON.stringify(body, (key, value) => {
    if (isPendingAge(key, value)) since.push(asOf - (value as number) * 1000);
    return value;
  });
  return since;
};

/** The rollup answer equals the live one, each pending age measured from the same instant (to 1 ms). */
function expectSameAnswer(fast: unknown, slow: unknown, label?: string): void {
  expect(comparable(fast), label).toEqual(comparable(slow));
  const [a, b] = [pendingSince(fast), pendingSince(slow)];
  expect(a.length, label).toBe(b.length);
  for (const [i, since] of a.entries()) expect(Math.abs(since - b[i]!), label).toBeLessThan(1);
}

async function stored(): Promise<number> {
  const rs = await pipeline.ch.query({
    query: "SELECT uniqExactIf(event_id, type != 'ticket.field_dispatched') AS n FROM ticket_events",
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}

async function emitAndWait(events: CanonicalEvent[], ticketEventCount: number): Promise<void> {
  await pipeline.sink.emit(events);
  // Field dispatches add a ticket.field_dispatched per linked job; they are left out of both
  // counts, or the wait could end while the last events sent are still on their way.
  await eventually(stored, (n) => n >= ticketEventCount, 300_000, 1_000);
  // The facts rows follow the events table within the same batch; give the last batch a moment.
  // A ticket's version counts its dispatches too.
  await eventually(
    async () => {
      const rs = await pipeline.ch.query({
        query: `SELECT (SELECT sum(version) FROM ticket_facts FINAL) AS f,
                       (SELECT uniqExactIf(event_id, type = 'ticket.field_dispatched') FROM ticket_events) AS d`,
        format: 'JSONEachRow',
      });
      const [r] = await rs.json<{ f: string; d: string }>();
      return Number(r!.f) - Number(r!.d) >= ticketEventCount;
    },
    (ok) => ok,
    120_000,
    500,
  );
}

const ticketEvents = (events: CanonicalEvent[]) =>
  events.filter((e): e is TicketEvent => e.type.startsWith('ticket.'));

beforeAll(async () => {
  let now = MID;
  pipeline = await startPipeline('e2e_rollup_api', {
    now: () => now,
    // The test drives the materialiser itself.
    overrides: { REGION_ROLLUP_INTERVAL_SECONDS: 86_400, ALERT_EVALUATION_INTERVAL_SECONDS: 86_400 },
  });
  await emitAndWait(story, ticketEvents(story).length);
  await pipeline.transforms.regionRollups.materialiseOnce();
  now = TO;
  apis = await startRollupAndLiveApis(pipeline, { rollupNow: () => MID });
}, 420_000);

afterAll(async () => {
  await apis?.close();
  await pipeline?.close();
});

const requests = [
  `/v1/metrics/handovers?from=${iso(FROM)}&to=${iso(TO)}`,
  `/v1/metrics/handovers?from=${iso(FROM + 30 * HOUR)}&to=${iso(TO - 5 * HOUR + 17 * 60_000)}&tenant=${TENANT}`,
  `/v1/metrics/handovers?from=${iso(FROM)}&to=${iso(TO)}&region=APAC`,
  `/v1/metrics/handovers?from=${iso(FROM)}&to=${iso(W)}`,
  // Ends inside hours: those hours are read handover by handover.
  `/v1/metrics/handovers?from=${iso(FROM + 90_000)}&to=${iso(TO)}`,
  `/v1/metrics/handovers?from=${iso(FROM + 13 * HOUR + 29 * 60_000)}&to=${iso(W - 3 * HOUR + 41 * 60_000 + 7)}&region=EMEA`,
  `/v1/metrics/handovers?from=${iso(W - 30 * 60_000)}&to=${iso(W + 30 * 60_000)}&tenant=${TENANT}`,
  // Pending at a past asOf: the open tickets untouched since and the tickets changed since.
  `/v1/metrics/handovers?from=${iso(FROM)}&to=${iso(TO)}&asOf=${iso(MID - DAY)}`,
  `/v1/metrics/handovers?from=${iso(FROM + 90_000)}&to=${iso(TO)}&asOf=${iso(W - 5 * HOUR + 7 * 60_000)}&region=EMEA`,
  `/v1/metrics/handovers?from=${iso(FROM)}&to=${iso(TO)}&asOf=${iso(TO - 3 * HOUR)}&tenant=${TENANT}`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=day`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=hour&region=EMEA`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=day&tz=America/New_York`,
  `/v1/metrics/escalations?from=${iso(FROM - 7 * DAY)}&to=${iso(TO + 7 * DAY)}&interval=week&tz=Europe/London`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=day&team=${TEAM}`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=hour&customer=${CUSTOMER}`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=day&tz=America/New_York&tenant=${TENANT}&region=EMEA&team=${TEAM}&customer=${CUSTOMER}`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=hour&priority=${PRIORITY}`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=day&tz=America/New_York&region=EMEA&priority=${PRIORITY}`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=day&team=${TEAM}&priority=${PRIORITY}`,
  // Edges inside hours: the split hours are taken resolution by resolution (a range from a
  // mid-hour instant, one ending inside an hour before the watermark, the days and hours of zones
  // 30 and 45 minutes off UTC).
  `/v1/metrics/escalations?from=${iso(FROM + 37 * 60_000)}&to=${iso(TO)}&interval=day`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(W - 2 * HOUR + 60_000)}&interval=day`,
  `/v1/metrics/escalations?from=${iso(FROM + 26 * HOUR + 1)}&to=${iso(W + 3 * HOUR + 59 * 60_000)}&interval=hour&region=EMEA`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=day&tz=Asia/Kolkata`,
  `/v1/metrics/escalations?from=${iso(FROM)}&to=${iso(TO)}&interval=hour&tz=Asia/Kathmandu&team=${TEAM}`,
  `/v1/metrics/escalations?from=${iso(FROM - 7 * DAY)}&to=${iso(TO + 7 * DAY)}&interval=week&tz=Asia/Kolkata&priority=${PRIORITY}`,
];
const resolvedIn = (body: unknown) =>
  (body as { periods: { resolved: number }[] }).periods.reduce((n, p) => n + p.resolved, 0);

describe('handovers and escalations from the region rollups', () => {
  it('the rollups hold the hours before the watermark, and the edge is not empty', async () => {
    const rs = await pipeline.ch.query({
      query: `SELECT
                (SELECT toUnixTimestamp(max(materialised_until)) * 1000 FROM rollup_watermark FINAL) AS w,
                (SELECT sum(handovers) FROM handovers_hourly FINAL) AS rolled,
                (SELECT countIf(ho_at >= toDateTime64({w:UInt64} / 1000, 3, 'UTC'))
                   FROM ticket_facts FINAL ARRAY JOIN ho_at) AS after_w,
                (SELECT count() FROM ticket_facts FINAL ARRAY JOIN ho_at WHERE ho_at < toDateTime64({w:UInt64} / 1000, 3, 'UTC')) AS before_w`,
      query_params: { w: W },
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<{ w: string; rolled: string; after_w: string; before_w: string }>();
    expect(Number(r!.w)).toBe(W);
    // Every handover made before W is in the rollup, once; some were made after it.
    expect(Number(r!.rolled)).toBe(Number(r!.before_w));
    expect(Number(r!.before_w)).toBeGreaterThan(20);
    expect(Number(r!.after_w)).toBeGreaterThan(5);
  });

  it('the team, the customer and the priority compared have resolutions in the rollup and in the edge', async () => {
    const rs = await pipeline.ch.query({
      query: `SELECT
                (SELECT sum(resolved) FROM escalations_hourly FINAL WHERE team = {team:String}) AS team_before_w,
                (SELECT sum(resolved) FROM escalations_hourly FINAL WHERE customer = {customer:String}) AS customer_before_w,
                (SELECT sum(resolved) FROM escalations_hourly FINAL WHERE priority = {priority:String}) AS priority_before_w,
                (SELECT sum(resolved) FROM escalations_hourly FINAL
                   WHERE priority = {priority:String} AND region = 'EMEA') AS priority_region_before_w,
                (SELECT sum(resolved) FROM escalations_hourly FINAL
                   WHERE priority = {priority:String} AND team = {team:String}) AS priority_team_before_w,
                (SELECT countIf(resolved_team = {team:String}) FROM ticket_facts_recent FINAL
                   WHERE resolved_at >= toDateTime64({w:UInt64} / 1000, 3, 'UTC')) AS team_after_w,
                (SELECT countIf(customer = {customer:String}) FROM ticket_facts_recent FINAL
                   WHERE resolved_at >= toDateTime64({w:UInt64} / 1000, 3, 'UTC')) AS customer_after_w,
                (SELECT countIf(priority = {priority:String}) FROM ticket_facts_recent FINAL
                   WHERE resolved_at >= toDateTime64({w:UInt64} / 1000, 3, 'UTC')) AS priority_after_w,
                (SELECT countIf(priority = {priority:String} AND resolved_region = 'EMEA') FROM ticket_facts_recent FINAL
                   WHERE resolved_at >= toDateTime64({w:UInt64} / 1000, 3, 'UTC')) AS priority_region_after_w,
                (SELECT countIf(priority = {priority:String} AND resolved_team = {team:String}) FROM ticket_facts_recent FINAL
                   WHERE resolved_at >= toDateTime64({w:UInt64} / 1000, 3, 'UTC')) AS priority_team_after_w`,
      query_params: { w: W, team: TEAM, customer: CUSTOMER, priority: PRIORITY },
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<Record<string, string>>();
    for (const [figure, n] of Object.entries(r!)) expect(Number(n), figure).toBeGreaterThan(0);
  });

  it.each(requests)('%s: rollup answer = live answer', async (path) => {
    const [fast, slow] = await Promise.all([get('rollup', path), get('live', path)]);
    expect(fast.source).toBe('rollup');
    expect(slow.source).toBe('live');
    expectSameAnswer(fast.body, slow.body);
    if (/[?&](team|customer|priority)=/.test(path)) expect(resolvedIn(fast.body)).toBeGreaterThan(0);
  });

  it('late events before the watermark show in the rollup answer after the next pass', async () => {
    // A second operation of the same tenant, entirely before W, sent in two parts split at T: the
    // second part can pick up handovers (and reopen resolutions) of hours before T, which the next
    // pass must rewrite although its dirty markers only reach back to T.
    // Generated for a fixed Tuesday to Thursday and moved to end at W - DAY, like the story.
    const lateEnd = W - DAY;
    const late = fixedStory(
      { seed: 11, tenant: TENANT, scenario: 'none', ticketScale: 0.2 },
      LATE_REFERENCE_END,
      lateEnd - FROM,
      lateEnd,
    )
      .filter((e): e is TicketEvent => e.type.startsWith('ticket.'))
      // Tickets of their own, not more events of the story's tickets.
      .map((e) => ({ ...e, ticketId: `late-${e.ticketId}`, eventId: `late-${e.eventId}` }));
    // T is the whole hour with the most tickets assigned (handed over) before it and still acted on
    // after it, among those with five tickets to change in the second part (below).
    const byTicket = new Map<string, TicketEvent[]>();
    for (const e of late) byTicket.set(e.ticketId, [...(byTicket.get(e.ticketId) ?? []), e]);
    const spanning = (t: number) =>
      [...byTicket.values()].filter(
        (h) =>
          h.some((e) => e.type === 'ticket.assigned' && Date.parse(e.occurredAt) < t) &&
          h.some((e) => Date.parse(e.occurredAt) >= t),
      ).length;
    // In the second part, tickets first resolved in an hour before T (and inside the requests'
    // range: the story's late tickets may have resolved before FROM) change to PRIORITY: the
    // resolution moves to it (the filter is the ticket's current priority) in an hour the pass's
    // markers do not reach.
    const firstResolution = (h: TicketEvent[]) =>
      Math.min(
        ...h
          .filter((e) => e.type === 'ticket.resolved' || e.type === 'ticket.closed')
          .map((e) => Date.parse(e.occurredAt)),
      );
    const toChange = (t: number) =>
      [...byTicket.values()].filter(
        (h) =>
          h[0]?.type === 'ticket.created' &&
          h[0].priority !== PRIORITY &&
          firstResolution(h) >= FROM &&
          firstResolution(h) < t - HOUR,
      );
    let T: number | undefined;
    for (let t = FROM + DAY; t < lateEnd - 6 * HOUR; t += HOUR)
      if (toChange(t).length >= 5 && (T === undefined || spanning(t) > spanning(T))) T = t;
    if (T === undefined) throw new Error('the late operation has no hour with five resolutions to move');
    const changedAt = iso(T + 30 * 60_000);
    const priorityChanges: TicketEvent[] = toChange(T)
      .slice(0, 5)
      .map(([created]) => ({
        eventId: `${created!.eventId}:priority`,
        schemaVersion: created!.schemaVersion,
        source: created!.source,
        tenant: created!.tenant,
        ticketId: created!.ticketId,
        occurredAt: changedAt,
        receivedAt: changedAt,
        type: 'ticket.priority_changed',
        priority: PRIORITY,
      }));
    expect(priorityChanges).toHaveLength(5);
    const priorityPath = requests.find((p) => p.includes('interval=hour&priority='))!;
    const ids = new Set(ticketEvents(story).map((e) => e.eventId));
    // The handover totals the rollups materialise: without the oldest pending age, which grows with
    // the live API's clock (a part that changes no handover would look like one that does), and
    // without the handovers pending at the range's end, which both answers read from the open
    // copy as they stand (a part that only changes those does not lag).
    const total = (b: unknown) => {
      const {
        pendingOldestAgeSeconds: _age,
        pending: _pending,
        ...counts
      } = (
        b as {
          totals: {
            handovers: number;
            pickedUp: number;
            pending: number;
            pendingOldestAgeSeconds: number | null;
          };
        }
      ).totals;
      return counts;
    };
    const path = requests[0]!;
    // No grace for markers: each pass sees only the markers of the part just sent (emitAndWait
    // waited for its rows), so the first part's markers cannot widen the second pass.
    const rollups = startRegionRollups({
      ch: pipeline.ch,
      logger: pipeline.logger,
      intervalSeconds: 86_400,
      now: () => TO,
      markerGraceSeconds: 0,
    });
    let liveBefore = total((await get('live', path)).body);
    for (const part of [
      late.filter((e) => Date.parse(e.occurredAt) < T),
      [...late.filter((e) => Date.parse(e.occurredAt) >= T), ...priorityChanges],
    ]) {
      for (const e of part) ids.add(e.eventId);
      await emitAndWait(part, ids.size);
      const [before, live] = await Promise.all([get('rollup', path), get('live', path)]);
      // Each part changes the handover totals, and until the pass the rollup answer lags.
      expect(total(live.body)).not.toEqual(liveBefore);
      expect(total(before.body)).not.toEqual(total(live.body));
      liveBefore = total(live.body);
      if (part.includes(priorityChanges[0]!)) {
        // The changes' rows first: the comparison below must not pass for want of them.
        await eventually(
          async () => {
            const rs = await pipeline.ch.query({
              query: `SELECT count() AS n FROM ticket_facts FINAL
                      WHERE ticket_id IN {ids:Array(String)} AND priority = {priority:String}`,
              query_params: { ids: priorityChanges.map((e) => e.ticketId), priority: PRIORITY },
              format: 'JSONEachRow',
            });
            return Number((await rs.json<{ n: string }>())[0]!.n);
          },
          (n) => n === priorityChanges.length,
          120_000,
          500,
        );
        // The resolutions that moved to PRIORITY show in the rollup answer only after the pass.
        const [fast, slow] = await Promise.all([get('rollup', priorityPath), get('live', priorityPath)]);
        expect(comparable(fast.body)).not.toEqual(comparable(slow.body));
      }
      await rollups.materialiseOnce();
      await new Promise((r) => setTimeout(r, 1_100)); // the API caches the watermarks for a second
      for (const p of requests) {
        const [fast, slow] = await Promise.all([get('rollup', p), get('live', p)]);
        // Requests that end inside an hour now before the watermark (the second) split it too.
        expect(fast.source, p).toBe('rollup');
        expectSameAnswer(fast.body, slow.body, p);
      }
    }
    await rollups.stop();
  });
});
