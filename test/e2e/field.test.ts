import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, toClickHouseTime } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { eventId, type FieldJobEvent } from '../../core/events/index.js';
import type { MessageBus } from '../../core/kafka.js';
import { readQuery } from '../../core/queries.js';
import { topicName } from '../../core/topics.js';
import type { EventSink } from '../../ingest/sink.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// Field execution end to end on the real broker and engine: job events → Kafka → field transform
// → field_job_facts → sql/queries/field-summary.sql and field-blocked.sql. Every expected figure is
// worked out by hand in the comments (docs/metrics.md, "Field execution", walks through APAC).

let config: Config;
let bus: MessageBus;
let sink: EventSink;
let ch: ClickHouseClient;

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline('field');
  ({ config, bus, sink, ch } = pipeline);
});

afterAll(async () => pipeline?.close());

const day = '2026-03-02';
let seq = 0;
/** An event at `hhmm` on 2 March 2026 (UTC), or at `+hhmm` on the next day. */
function ev(jobId: string, type: FieldJobEvent['type'], hhmm: string, body: object = {}): FieldJobEvent {
  const iso = hhmm.startsWith('+') ? `2026-03-03T${hhmm.slice(1)}:00.000Z` : `${day}T${hhmm}:00.000Z`;
  seq += 1;
  return {
    eventId: eventId('hand', 'job', jobId, String(seq)),
    schemaVersion: 1,
    source: 'hand',
    tenant: 'field',
    jobId,
    occurredAt: iso,
    receivedAt: iso,
    type,
    ...body,
  } as FieldJobEvent;
}

const planned = (from: string, to: string) => ({
  plannedStart: `${day}T${from}:00Z`,
  plannedEnd: `${day}T${to}:00Z`,
});
const apac = (id: string, hhmm: string, body: object = {}) =>
  ev(id, 'job.created', hhmm, { site: `SIN-${id}`, region: 'APAC', customer: 'globex', ...body });
const emea = (id: string, hhmm: string, body: object = {}) =>
  ev(id, 'job.created', hhmm, { site: `LON-${id}`, region: 'EMEA', customer: 'initech', ...body });
const dispatched = (id: string, hhmm: string) => ev(id, 'job.dispatched', hhmm, { engineer: `eng-${id}` });

// Per job: dispatch latency (created → dispatched), arrival (dispatched → first on site), ...
const events: FieldJobEvent[] = [
  // A1: dispatch 600 s, arrival 1800 s, actual 08:40 → 10:40 = 7200 s of 7200 planned (ratio 1), first-time fix.
  apac('A1', '08:00', planned('09:00', '11:00')),
  dispatched('A1', '08:10'),
  ev('A1', 'job.on_site', '08:40'),
  ev('A1', 'job.completed', '10:40', { fixed: true }),
  // A2: dispatch 1200, arrival 2700, access delay 09:10 → 09:40 = 1800, actual 5400 of 3600 (1.5), FTF.
  apac('A2', '08:00', planned('09:00', '10:00')),
  dispatched('A2', '08:20'),
  ev('A2', 'job.on_site', '09:05'),
  ev('A2', 'job.access_delayed', '09:10', { reason: 'no badge' }),
  ev('A2', 'job.access_granted', '09:40'),
  ev('A2', 'job.completed', '10:35', { fixed: true }),
  // A3: dispatch 1800, arrival 3600, parts 09:45 → 11:45 late = 7200, one scope change,
  //     actual 09:30 → 12:30 = 10800 of 7200 (1.5), FTF.
  apac('A3', '08:00', planned('10:00', '12:00')),
  dispatched('A3', '08:30'),
  ev('A3', 'job.on_site', '09:30'),
  ev('A3', 'job.parts_requested', '09:45', { part: 'disk' }),
  ev('A3', 'job.scope_changed', '09:50'),
  ev('A3', 'job.parts_arrived', '11:45', { part: 'disk', late: true }),
  ev('A3', 'job.completed', '12:30', { fixed: true }),
  // A4: dispatch 2400, arrival 5400; parts 10:20 → 11:20 (3600) then faulty 11:30 → 13:30 (7200) = 10800;
  //     a second visit (revisit); access delay 14:05 → 14:35 = 1800; actual 10:10 → 16:10 = 21600 of 3600 (6).
  apac('A4', '08:00', planned('10:00', '11:00')),
  dispatched('A4', '08:40'),
  ev('A4', 'job.on_site', '10:10'),
  ev('A4', 'job.parts_requested', '10:20', { part: 'psu' }),
  ev('A4', 'job.parts_arrived', '11:20', { part: 'psu', late: false }),
  ev('A4', 'job.parts_faulty', '11:30', { part: 'psu' }),
  ev('A4', 'job.revisit_required', '11:40'),
  ev('A4', 'job.parts_arrived', '13:30', { part: 'psu', late: false }),
  ev('A4', 'job.en_route', '13:45'),
  ev('A4', 'job.on_site', '14:00'),
  ev('A4', 'job.access_delayed', '14:05', { reason: 'cage locked' }),
  ev('A4', 'job.access_granted', '14:35'),
  ev('A4', 'job.completed', '16:10', { fixed: true }),
  // A5: dispatch 3600, arrival 7200, completed unfixed, no planned window (no ratio).
  apac('A5', '08:00'),
  dispatched('A5', '09:00'),
  ev('A5', 'job.on_site', '11:00'),
  ev('A5', 'job.completed', '12:00', { fixed: false }),
  // Not in the summary: A6 cancelled, A7 completed after the range.
  apac('A6', '08:00'),
  dispatched('A6', '08:05'),
  ev('A6', 'job.cancelled', '09:00'),
  apac('A7', '20:00'),
  dispatched('A7', '21:00'),
  ev('A7', 'job.on_site', '23:30'),
  ev('A7', 'job.completed', '+00:30', { fixed: true }),
  // Open and blocked: A8 on access since 09:30; A9 on a faulty part since 13:00; A10 on access
  // since 10:15 and on a part since 11:00.
  apac('A8', '08:00'),
  dispatched('A8', '08:30'),
  ev('A8', 'job.on_site', '09:00'),
  ev('A8', 'job.access_delayed', '09:30', { reason: 'site closed' }),
  apac('A9', '08:00'),
  ev('A9', 'job.parts_requested', '10:00'),
  ev('A9', 'job.parts_arrived', '12:00', { late: true }),
  ev('A9', 'job.parts_faulty', '13:00'),
  apac('A10', '08:00'),
  ev('A10', 'job.on_site', '10:00'),
  ev('A10', 'job.access_delayed', '10:15', { reason: 'no escort' }),
  ev('A10', 'job.parts_requested', '11:00'),
  // E1: dispatch 600, arrival 3600, one scope change, actual 3600 of 3600 (1), FTF.
  emea('E1', '09:00', planned('10:00', '11:00')),
  dispatched('E1', '09:10'),
  ev('E1', 'job.on_site', '10:10'),
  ev('E1', 'job.scope_changed', '10:30'),
  ev('E1', 'job.completed', '11:10', { fixed: true }),
  // E2: dispatch 1800, arrival 1800; unfixed, revisit, fixed on the second visit; no planned window.
  emea('E2', '09:00'),
  dispatched('E2', '09:30'),
  ev('E2', 'job.on_site', '10:00'),
  ev('E2', 'job.completed', '11:00', { fixed: false }),
  ev('E2', 'job.revisit_required', '11:05'),
  ev('E2', 'job.on_site', '14:00'),
  ev('E2', 'job.completed', '15:00', { fixed: true }),
];

// Exact percentiles, linear between ranks: of n sorted values, p sits at rank h = (n − 1)·p.
const expectedSummary = [
  {
    region: 'APAC',
    jobs: 5,
    // 600, 1200, 1800, 2400, 3600: p50 = rank 2 = 1800; p90: h = 3.6 → 2400 + 0.6·1200 = 3120
    dispatch_latency_p50_seconds: 1800,
    dispatch_latency_p90_seconds: 3120,
    // 1800, 2700, 3600, 5400, 7200: p50 = 3600; p90 = 5400 + 0.6·1800 = 6480
    arrival_p50_seconds: 3600,
    arrival_p90_seconds: 6480,
    access_delay_total_seconds: 3600, // A2 1800 + A4 1800
    access_delayed_share: 0.4, // A2, A4 of 5
    parts_delay_p50_seconds: 9000, // 7200, 10800: h = 0.5 → 9000
    jobs_with_parts: 2, // A3, A4
    late_parts_rate: 0.5, // A3 of 2
    faulty_on_arrival_rate: 0.5, // A4 of 2
    first_time_fix_rate: 0.6, // A1, A2, A3 of 5
    revisit_rate: 0.2, // A4 of 5
    planned_vs_actual_ratio: 2.5, // (1 + 1.5 + 1.5 + 6) / 4
    scope_change_rate: 0.2, // A3 of 5
  },
  {
    region: 'EMEA',
    jobs: 2,
    dispatch_latency_p50_seconds: 1200, // 600, 1800: h = 0.5 → 1200
    dispatch_latency_p90_seconds: 1680, // h = 0.9 → 600 + 0.9·1200
    arrival_p50_seconds: 2700, // 1800, 3600 → 2700
    arrival_p90_seconds: 3420, // 1800 + 0.9·1800
    access_delay_total_seconds: 0,
    access_delayed_share: 0,
    parts_delay_p50_seconds: null, // no job awaited parts
    jobs_with_parts: 0,
    late_parts_rate: null,
    faulty_on_arrival_rate: null,
    first_time_fix_rate: 0.5, // E1 of 2
    revisit_rate: 0.5, // E2 of 2
    planned_vs_actual_ratio: 1, // E1 only
    scope_change_rate: 0.5, // E1 of 2
  },
];

// At 18:00: A8 since 09:30 = 8.5 h; A10 access since 10:15 = 7.75 h, parts since 11:00 = 7 h;
// A9 since 13:00 = 5 h.
const expectedBlocked = [
  { job_id: 'A8', block: 'access', since: `${day} 09:30:00.000`, blocked_seconds: 30600 },
  { job_id: 'A10', block: 'access', since: `${day} 10:15:00.000`, blocked_seconds: 27900 },
  { job_id: 'A10', block: 'parts', since: `${day} 11:00:00.000`, blocked_seconds: 25200 },
  { job_id: 'A9', block: 'faulty_parts', since: `${day} 13:00:00.000`, blocked_seconds: 18000 },
];

async function query<T>(name: string, params: Record<string, string>): Promise<T[]> {
  const rs = await ch.query({
    query: readQuery(name),
    query_params: { tenant: 'field', region: '', customer: '', ...params },
    format: 'JSONEachRow',
  });
  return rs.json<T>();
}

const range = {
  from: toClickHouseTime(new Date(`${day}T00:00:00Z`)),
  to: toClickHouseTime(new Date('2026-03-03T00:00:00Z')),
};
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('field execution from events to the queries', () => {
  it('summarises completed jobs per region and lists blocked open jobs, worked out by hand', async () => {
    // Newest first, and every completion delivered twice: order and repeats must not matter.
    const delivery = [...events].reverse().concat(events.filter((e) => e.type === 'job.completed'));
    await sink.emit(delivery);

    const summary = await eventually(
      () => query<Record<string, unknown>>('field-summary', range),
      (rows) => same(rows, expectedSummary),
    );
    expect(summary).toEqual(expectedSummary);

    const blocked = await eventually(
      () => query<Record<string, unknown>>('field-blocked', { as_of: `${day} 18:00:00.000` }),
      (rows) => rows.length === expectedBlocked.length,
    );
    expect(blocked).toEqual(
      expectedBlocked.map((b) => ({
        tenant: 'field',
        region: 'APAC',
        site: `SIN-${b.job_id}`,
        customer: 'globex',
        engineer: b.job_id === 'A8' ? 'eng-A8' : '',
        ...b,
      })),
    );

    // Filters: one region; one customer; nothing for a tenant without jobs.
    expect(await query('field-summary', { ...range, region: 'EMEA' })).toEqual([expectedSummary[1]]);
    expect(await query('field-summary', { ...range, customer: 'globex' })).toEqual([expectedSummary[0]]);
    expect(await query('field-summary', { ...range, tenant: 'nobody' })).toEqual([]);

    // A late grant for A8 unblocks it: it leaves the blocked list.
    await sink.emit([ev('A8', 'job.access_granted', '17:00')]);
    const after = await eventually(
      () => query<{ job_id: string }>('field-blocked', { as_of: `${day} 18:00:00.000` }),
      (rows) => rows.length === 3,
    );
    expect(after.map((r) => r.job_id)).toEqual(['A10', 'A10', 'A9']);

    // Every distinct event stored once.
    const stored = await ch.query({
      query:
        "SELECT count() AS n, uniqExact(event_id) AS u FROM field_job_events FINAL WHERE tenant = 'field'",
      format: 'JSONEachRow',
    });
    expect(await stored.json()).toEqual([{ n: events.length + 1, u: events.length + 1 }]);

    // Offsets never ahead, nothing left behind: the field group's committed offsets reach the log end.
    const topic = topicName(config, 'fieldJobEvents');
    const admin = new Kafka({ brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    const committed = await eventually(
      () => bus.committedOffsets(`${config.TRANSFORM_GROUP_ID}.field`, topic),
      (c) => ends.every((e) => c.get(e.partition) === e.high),
      30_000,
    );
    for (const e of ends) expect(committed.get(e.partition)).toBe(e.high);
  });
});
