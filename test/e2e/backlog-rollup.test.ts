import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { eventId, type TicketEvent } from '../../core/events/ticket.js';
import { createMessageBus, type EventProducer, type MessageBus } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { readQuery } from '../../core/queries.js';
import { allTopics, topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { type BacklogRollup, startBacklogRollup } from '../../transforms/backlog/materialise.js';
import { type RunningTransforms, startTransforms } from '../../transforms/main.js';
import { type CompactBacklog, referenceBacklog, ticketsById } from '../helpers/reference-backlog.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// The hourly backlog rollup through the real pipeline: simulated events → Kafka → lifecycle
// transform (which writes dirty markers) → materialiser with an injected clock → backlog_hourly.
// The rollup read must equal the live backlog.sql and an independent replay, before and after late
// events that change past hours, and a run with nothing dirty must change nothing.

const HOUR = 3_600_000;
const from = Date.parse('2026-03-09T00:00:00Z');
const to = from + 36 * HOUR;

type Compact = CompactBacklog;
interface SeriesRow {
  region: string;
  bucket_start: string;
  backlog: number;
  inflow: number;
  outflow: number;
}

let config: Config;
let logger: Logger;
let bus: MessageBus;
let producer: EventProducer;
let transforms: RunningTransforms;
let ch: ClickHouseClient;
let rollup: BacklogRollup;

beforeAll(async () => {
  // The transforms' own rollup timer must not fire during the test: the test drives its own.
  config = isolatedConfig('rollup', { BACKLOG_ROLLUP_INTERVAL_SECONDS: 86_400 });
  logger = testLogger(config, 'e2e');
  await migrateDatabase(config, logger);
  bus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  producer = await bus.createProducer();
  transforms = await startTransforms(config, logger);
  ch = createClickHouse(config);
  // The clock stands at `to`: the hours before it are closed. No grace: the test waits for its rows.
  rollup = startBacklogRollup({ ch, logger, intervalSeconds: 86_400, now: () => to, markerGraceSeconds: 0 });
});

afterAll(async () => {
  await rollup?.stop();
  await transforms?.stop();
  await ch?.close();
  await bus?.deleteTopics(allTopics(config).map((t) => t.name));
  await bus?.close();
  const admin = createClickHouse(config, { database: null });
  await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await admin.close();
});

function compact(rows: SeriesRow[]): Compact {
  const out: Compact = {};
  for (const r of rows) out[r.region] = [...(out[r.region] ?? []), [r.backlog, r.inflow, r.outflow]];
  return out;
}

async function series(query: 'backlog' | 'backlog-rollup'): Promise<Compact> {
  const rs = await ch.query({
    query: readQuery(query),
    query_params: {
      tenant: 'sim',
      region: '',
      from: toClickHouseTime(from),
      to: toClickHouseTime(to),
      step_seconds: 3600,
    },
    format: 'JSONEachRow',
  });
  return compact(await rs.json<SeriesRow>());
}

/** Backlog per full slice and hour, by brute force from the periods (non-zero entries only). */
async function sliceBacklogLive(): Promise<Record<string, number>> {
  const rs = await ch.query({
    query: `
      SELECT concat(iv_customer, '|', iv_region, '|', iv_team, '|', iv_priority, '|', toString(h)) AS k, count() AS n
      FROM ticket_lifecycle FINAL
      ARRAY JOIN iv_customer, iv_region, iv_team, iv_priority, iv_opened_at, iv_closed_at
      ARRAY JOIN arrayMap(i -> toDateTime({from:DateTime('UTC')}, 'UTC') + toIntervalHour(i), range(36)) AS h
      WHERE tenant = 'sim' AND iv_opened_at < h + toIntervalHour(1)
        AND (iv_closed_at IS NULL OR iv_closed_at >= h + toIntervalHour(1))
      GROUP BY k`,
    query_params: { from: toClickHouseTime(from).slice(0, 19) },
    format: 'JSONEachRow',
  });
  return Object.fromEntries((await rs.json<{ k: string; n: number }>()).map((r) => [r.k, r.n]));
}

async function sliceBacklogRollup(): Promise<Record<string, number>> {
  const rs = await ch.query({
    query: `
      SELECT concat(customer, '|', region, '|', team, '|', priority, '|', toString(hour)) AS k, backlog AS n
      FROM backlog_hourly FINAL
      WHERE tenant = 'sim' AND hour >= {from:DateTime('UTC')} AND hour < {to:DateTime('UTC')} AND backlog != 0`,
    query_params: { from: toClickHouseTime(from).slice(0, 19), to: toClickHouseTime(to).slice(0, 19) },
    format: 'JSONEachRow',
  });
  return Object.fromEntries((await rs.json<{ k: string; n: number }>()).map((r) => [r.k, r.n]));
}

async function storedRollup(): Promise<{ n: number; v: number }[]> {
  const rs = await ch.query({
    query: "SELECT count() AS n, max(version) AS v FROM backlog_hourly WHERE tenant = 'sim'",
    format: 'JSONEachRow',
  });
  return rs.json<{ n: number; v: number }>();
}

/** Waits until the transform has stored everything (the live query equals the reference). */
async function settled(expected: Compact): Promise<void> {
  const live = await eventually(
    () => series('backlog'),
    (r) => JSON.stringify(r) === JSON.stringify(expected),
  );
  expect(live).toEqual(expected);
}

describe('hourly backlog rollup', () => {
  it('equals the live query and a replay, also after late events, and idles when nothing is dirty', async () => {
    const events = [...ticketsCreatedBetween({ seed: 11, tenant: 'sim' }, from - 12 * HOUR, to), ...solo];
    expect(events.length).toBeGreaterThan(300);
    await emitTicketEvents(producer, topicName(config, 'ticketEvents'), events);
    const expected = referenceBacklog(events, from, to, HOUR);
    expect(Object.keys(expected).sort()).toEqual(['AMER', 'APAC', 'EMEA']);
    await settled(expected);

    const first = await rollup.materialiseOnce();
    expect(first.runs.map((r) => r.tenant)).toEqual(['sim']);
    expect(first.runs[0]?.to).toBe(to);
    expect(await series('backlog-rollup')).toEqual(expected);
    expect(await sliceBacklogRollup()).toEqual(await sliceBacklogLive());
    expect(Object.keys(await sliceBacklogRollup()).filter((k) => k.includes('solo-team'))).toHaveLength(
      36 - 7,
    );

    // Nothing dirty since: a re-run writes nothing.
    const before = await storedRollup();
    expect((await rollup.materialiseOnce()).runs).toEqual([]);
    expect(await storedRollup()).toEqual(before);

    // Late events changing past hours: a reopen mid-range and a cancellation of an open ticket.
    const late = lateEvents(events);
    await emitTicketEvents(producer, topicName(config, 'ticketEvents'), late);
    const all = [...events, ...late];
    const expectedLate = referenceBacklog(all, from, to, HOUR);
    expect(expectedLate).not.toEqual(expected);
    await settled(expectedLate);

    const repair = await rollup.materialiseOnce();
    const earliestLate = Math.min(...late.map((e) => Date.parse(e.occurredAt)));
    expect(repair.runs).toEqual([{ tenant: 'sim', from: Math.floor(earliestLate / HOUR) * HOUR, to }]);
    expect(await series('backlog-rollup')).toEqual(expectedLate);
    expect(await sliceBacklogRollup()).toEqual(await sliceBacklogLive());
    expect(Object.keys(await sliceBacklogRollup()).filter((k) => k.includes('solo'))).toEqual([]);

    const after = await storedRollup();
    expect((await rollup.materialiseOnce()).runs).toEqual([]);
    expect(await storedRollup()).toEqual(after);
  });
});

/** The only ticket of customer `solo`: created at +5 h, assigned to its own team at +7 h, left open. */
const solo: TicketEvent[] = [
  {
    eventId: eventId('hand', 'ticket', 'SOLO', '0'),
    schemaVersion: 1,
    source: 'hand',
    tenant: 'sim',
    ticketId: 'SOLO',
    occurredAt: new Date(from + 5 * HOUR).toISOString(),
    receivedAt: new Date(from + 5 * HOUR).toISOString(),
    type: 'ticket.created',
    customer: 'solo',
    region: 'EMEA',
    priority: 'low',
  },
  {
    eventId: eventId('hand', 'ticket', 'SOLO', '1'),
    schemaVersion: 1,
    source: 'hand',
    tenant: 'sim',
    ticketId: 'SOLO',
    occurredAt: new Date(from + 7 * HOUR).toISOString(),
    receivedAt: new Date(from + 7 * HOUR).toISOString(),
    type: 'ticket.assigned',
    team: 'solo-team',
    region: 'EMEA',
  },
];

const terminal = new Set(['ticket.resolved', 'ticket.closed', 'ticket.cancelled']);

/** Late events that change past hours: a reopen, and cancellations of open tickets. */
function lateEvents(events: TicketEvent[]): TicketEvent[] {
  const histories = [...ticketsById(events).values()];
  const late = (e: TicketEvent, type: 'ticket.reopened' | 'ticket.cancelled', at: number): TicketEvent => ({
    eventId: eventId('late', 'ticket', e.ticketId, type),
    schemaVersion: 1,
    source: e.source,
    tenant: e.tenant,
    ticketId: e.ticketId,
    occurredAt: new Date(at).toISOString(),
    receivedAt: new Date(to).toISOString(),
    type,
  });
  // Resolved once mid-range, then closed: reopened halfway between, it is open again until closed.
  const resolvedMid = histories.find((h) => {
    const [resolved, closed] = h.slice(-2);
    if (resolved?.type !== 'ticket.resolved' || closed?.type !== 'ticket.closed') return false;
    const at = Date.parse(resolved.occurredAt);
    return (
      h.filter((e) => e.type === 'ticket.resolved').length === 1 &&
      at >= from + 8 * HOUR &&
      at < from + 20 * HOUR &&
      Date.parse(closed.occurredAt) - at > 2 * HOUR
    );
  });
  const cancelAt = from + 15 * HOUR + 17 * 60_000;
  const openMid = histories.find(
    (h) =>
      h[0]?.type === 'ticket.created' &&
      h !== resolvedMid &&
      Date.parse(h[0].occurredAt) < cancelAt - HOUR &&
      !h.some((e) => terminal.has(e.type) && Date.parse(e.occurredAt) < cancelAt) &&
      h.every(
        (e) => Date.parse(e.occurredAt) < cancelAt || terminal.has(e.type) || e.type === 'ticket.commented',
      ),
  );
  // Cancelled a minute after creation, before its first assignment: the slice of that assignment
  // loses the ticket's period altogether, so its stored hours must be rewritten (to 0 if it was alone).
  expect(resolvedMid).toBeDefined();
  expect(openMid).toBeDefined();
  const [resolved, closed] = resolvedMid!.slice(-2);
  const reopenAt = (Date.parse(resolved!.occurredAt) + Date.parse(closed!.occurredAt)) / 2;
  return [
    late(resolved!, 'ticket.reopened', Math.floor(reopenAt)),
    late(openMid![0]!, 'ticket.cancelled', cancelAt),
    // Cancelled before its assignment: the assigned slice, which held only this ticket, drops to 0.
    late(solo[0]!, 'ticket.cancelled', Date.parse(solo[0]!.occurredAt) + 60_000),
  ];
}
