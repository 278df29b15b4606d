import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../../api/main.js';
import { createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { eventId, type TicketEvent } from '../../core/events/ticket.js';
import type { EventProducer, MessageBus } from '../../core/kafka.js';
import { topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { readKey } from '../helpers/api-keys.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { referenceBacklog } from '../helpers/reference-backlog.js';
import { eventually } from '../helpers/services.js';

// Walking skeleton, end to end on the real broker and engine: events → Kafka → transform →
// ClickHouse → HTTP API. Expected figures are worked out by hand (first scenario) or by a
// reference replay written here, independent of the transform (second scenario).

interface Point {
  start: string;
  end: string;
  backlog: number;
  inflow: number;
  outflow: number;
}
interface BacklogResponse {
  series: { region: string; points: Point[] }[];
}

let config: Config;
let bus: MessageBus;
let producer: EventProducer;
let api: RunningApi;
let apiHeaders: Record<string, string>;

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline('e2e');
  ({ config, bus } = pipeline);
  producer = await bus.createProducer();
  const key = readKey(config);
  apiHeaders = key.headers;
  api = await startApi(key.config, pipeline.logger);
});

afterAll(async () => {
  await api?.stop();
  await pipeline?.close();
});

async function backlog(query: Record<string, string>): Promise<BacklogResponse> {
  const res = await fetch(`${api.url}/v1/metrics/backlog?${new URLSearchParams(query)}`, {
    headers: apiHeaders,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as BacklogResponse;
}

/** region → [backlog, inflow, outflow] per bucket, the compact form the expectations are written in. */
function compact(r: BacklogResponse): Record<string, [number, number, number][]> {
  return Object.fromEntries(
    r.series.map((s) => [s.region, s.points.map((p) => [p.backlog, p.inflow, p.outflow])]),
  );
}

function handEvent(
  ticketId: string,
  seq: number,
  type: TicketEvent['type'],
  at: string,
  body = {},
): TicketEvent {
  const iso = new Date(`2026-03-02T${at}Z`).toISOString();
  return {
    eventId: eventId('hand', 'ticket', ticketId, String(seq)),
    schemaVersion: 1,
    source: 'hand',
    tenant: 'hand',
    ticketId,
    occurredAt: iso,
    receivedAt: iso,
    type,
    ...body,
  } as TicketEvent;
}

describe('backlog from events to the API', () => {
  it('matches a scenario worked out by hand, with disorder, duplicates, a late event and poison', async () => {
    const created = (id: string, at: string, region: string) =>
      handEvent(id, 0, 'ticket.created', at, { customer: 'acme', region, priority: 'high' });
    const t4Reopen = handEvent('T4', 3, 'ticket.reopened', '11:30:00');
    const events = [
      created('T1', '08:15:00', 'APAC'),
      handEvent('T1', 1, 'ticket.assigned', '08:20:00', { team: 'apac-l1', region: 'APAC' }),
      handEvent('T1', 2, 'ticket.resolved', '10:30:00'),
      created('T2', '09:05:00', 'APAC'),
      handEvent('T2', 1, 'ticket.assigned', '11:10:00', { team: 'emea-l1', region: 'EMEA' }),
      handEvent('T2', 2, 'ticket.resolved', '13:40:00'),
      created('T3', '07:00:00', 'EMEA'),
      handEvent('T3', 1, 'ticket.cancelled', '12:00:00'),
      created('T4', '09:50:00', 'APAC'),
      handEvent('T4', 1, 'ticket.resolved', '10:10:00'),
      created('T5', '13:59:59', 'AMER'),
    ];
    // Newest first, with every ticket's resolution re-delivered: order and repeats must not matter.
    const delivery = [...events].reverse().concat(events.filter((e) => e.type === 'ticket.resolved'));
    const topic = topicName(config, 'ticketEvents');
    await emitTicketEvents(producer, topic, delivery);
    await producer.send(topic, [
      { key: 'T9', value: '{"type": "ticket.created", ' },
      { key: 'T9', value: JSON.stringify({ ...events[0], ticketId: 'T9', priority: 'urgent' }) },
    ]);

    const query = {
      tenant: 'hand',
      from: '2026-03-02T08:00:00Z',
      to: '2026-03-02T14:00:00Z',
      interval: 'hour',
    };
    // Worked out by hand from the events above: [backlog at bucket end, inflow, outflow] per hour 08..13.
    const beforeReopen = {
      AMER: [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 1, 0],
      ],
      APAC: [
        [1, 1, 0],
        [3, 2, 0],
        [1, 0, 2],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ],
      EMEA: [
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [2, 0, 0],
        [1, 0, 1],
        [0, 0, 1],
      ],
    };
    const first = await eventually(
      () => backlog(query),
      (r) => JSON.stringify(compact(r)) === JSON.stringify(beforeReopen),
    );
    expect(compact(first)).toEqual(beforeReopen);
    expect(first.series[0]?.points[0]).toEqual({
      start: '2026-03-02T08:00:00.000Z',
      end: '2026-03-02T09:00:00.000Z',
      backlog: 0,
      inflow: 0,
      outflow: 0,
    });

    // T4 is reopened at 11:30, delivered late: APAC's backlog from that hour on gains it back.
    await emitTicketEvents(producer, topic, [t4Reopen]);
    const afterReopen = structuredClone(beforeReopen);
    afterReopen.APAC[3] = [1, 1, 0];
    afterReopen.APAC[4] = [1, 0, 0];
    afterReopen.APAC[5] = [1, 0, 0];
    const second = await eventually(
      () => backlog(query),
      (r) => JSON.stringify(compact(r)) === JSON.stringify(afterReopen),
    );
    expect(compact(second)).toEqual(afterReopen);

    // One region asked for: only its series; a day bucket holds the whole window.
    const apacDay = await backlog({ ...query, region: 'APAC', interval: 'day' });
    expect(compact(apacDay)).toEqual({ APAC: [[1, 4, 2]] });

    // Ledger: every distinct good event stored once; both poison records dead-lettered, nothing else.
    const ch = createClickHouse(config);
    const stored = await ch.query({
      query: "SELECT count() AS n, uniqExact(event_id) AS u FROM ticket_events FINAL WHERE tenant = 'hand'",
      format: 'JSONEachRow',
    });
    expect(await stored.json()).toEqual([{ n: events.length + 1, u: events.length + 1 }]);
    await ch.close();
    const deadLetters = await readAll(topicName(config, 'deadLetter'), 2);
    expect(deadLetters.map((d) => d.reason).sort()).toEqual([
      expect.stringMatching(/^invalid JSON/),
      'not a canonical ticket event v1',
    ]);
    expect(deadLetters.find((d) => d.problems)?.problems).toEqual([
      { path: 'priority', message: expect.stringContaining('expected one of') },
    ]);
  });

  it('matches an independent replay of a simulated multi-region day, and commits every offset', async () => {
    const from = Date.parse('2026-03-09T00:00:00Z');
    const to = from + 36 * 3_600_000;
    const events = ticketsCreatedBetween({ seed: 7, tenant: 'sim' }, from - 12 * 3_600_000, to);
    expect(events.length).toBeGreaterThan(300);
    await emitTicketEvents(producer, topicName(config, 'ticketEvents'), events);

    const expected = referenceBacklog(events, from, to, 3_600_000);
    const query = { tenant: 'sim', from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const got = await eventually(
      () => backlog(query),
      (r) => JSON.stringify(compact(r)) === JSON.stringify(expected),
    );
    expect(compact(got)).toEqual(expected);
    expect(Object.keys(expected).sort()).toEqual(['AMER', 'APAC', 'EMEA']);

    // Offsets never ahead, nothing left behind: the group's committed offsets reach the log end.
    const topic = topicName(config, 'ticketEvents');
    const ends = await kafkaAdmin(async (admin) => admin.fetchTopicOffsets(topic));
    const committed = await eventually(
      () => bus.committedOffsets(`${config.TRANSFORM_GROUP_ID}.lifecycle`, topic),
      (c) => ends.every((e) => c.get(e.partition) === e.high),
      30_000,
    );
    for (const e of ends) expect(committed.get(e.partition)).toBe(e.high);
  });
});

async function kafkaAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

interface DeadLetterRecord {
  reason: string;
  problems?: { path: string; message: string }[];
}

async function readAll(topic: string, expected: number): Promise<DeadLetterRecord[]> {
  const kafka = new Kafka({ brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${config.TRANSFORM_GROUP_ID}.reader` });
  const out: DeadLetterRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      out.push(JSON.parse(message.value?.toString('utf8') ?? '{}') as DeadLetterRecord);
    },
  });
  await eventually(
    async () => out.length,
    (n) => n >= expected,
    30_000,
  );
  await new Promise((r) => setTimeout(r, 1_000)); // anything beyond the expected would show up here
  await consumer.disconnect();
  return out;
}
