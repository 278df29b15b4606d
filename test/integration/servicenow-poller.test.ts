import { afterAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import type { TicketEvent } from '../../core/events/index.js';
import { createMessageBus, type MessageBus, type RunningConsumer } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { buildMappings } from '../../core/mapping.js';
import { allTopics, topicName } from '../../core/topics.js';
import { clickHouseStateStore } from '../../ingest/connectors/connector-state.js';
import type { TableCursor } from '../../ingest/connectors/servicenow/cursor.js';
import {
  CURSOR_KEY,
  connectorName,
  createServiceNowPoller,
  type ServiceNowPoller,
} from '../../ingest/connectors/servicenow/poller.js';
import { createEventSink, type EventSink, KafkaUnavailableError } from '../../ingest/sink.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { type FakeServiceNow, incident, startFakeServiceNow } from '../fakes/servicenow-table-api.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// The ServiceNow Table API poller against the real Kafka and the real ClickHouse engine. ServiceNow
// itself is replaced by test/fakes/servicenow-table-api.ts, a MOCK that follows the vendor's
// documented Table API contract (see test/fakes/README.md) — ServiceNow cannot be run locally.
// The steps build on each other (one instance, one cursor); each asserts exactly what reached Kafka.
// A missing Kafka or ClickHouse makes every test fail: set-up runs inside the tests, not in a hook.

const TENANT = 'acme';
const PAGE = 3;
const APAC: [string, string] = ['grp-apac', 'Service Desk APAC'];
const EMEA: [string, string] = ['grp-emea', 'Service Desk EMEA'];

interface Env {
  config: Config;
  logger: Logger;
  bus: MessageBus;
  sink: EventSink;
  clickhouse: ClickHouseClient;
  fake: FakeServiceNow;
  consumer: RunningConsumer;
  events: TicketEvent[];
  letters: DeadLetter[];
}

let ready: Promise<Env> | undefined;
function setUp(): Promise<Env> {
  ready ??= (async () => {
    const config = isolatedConfig('snpoll');
    const logger = testLogger(config, 'servicenow-poller-it');
    await migrateDatabase(config, logger);
    const bus = createMessageBus(config, logger, { retries: 2 });
    await bus.ensureTopics(allTopics(config));
    const events: TicketEvent[] = [];
    const letters: DeadLetter[] = [];
    const ticketTopic = topicName(config, 'ticketEvents');
    const consumer = await bus.runConsumer({
      groupId: `${config.TRANSFORM_GROUP_ID}.reader`,
      topics: [ticketTopic, topicName(config, 'deadLetter')],
      fromBeginning: true,
      async handleBatch(batch) {
        for (const m of batch.messages) {
          const value = JSON.parse(m.value!.toString('utf8'));
          if (batch.topic === ticketTopic) events.push(value as TicketEvent);
          else letters.push(value as DeadLetter);
        }
      },
    });
    return {
      config,
      logger,
      bus,
      sink: createEventSink(config, bus, logger),
      clickhouse: createClickHouse(config),
      fake: await startFakeServiceNow(),
      consumer,
      events,
      letters,
    };
  })();
  return ready;
}

afterAll(async () => {
  const env = await ready?.catch(() => undefined);
  if (!env) return;
  await env.consumer.stop();
  await env.sink.close();
  await env.bus.deleteTopics(allTopics(env.config).map((t) => t.name));
  await env.bus.close();
  await env.fake.close();
  await env.clickhouse.command({ query: `DROP DATABASE IF EXISTS ${env.config.CLICKHOUSE_DATABASE}` });
  await env.clickhouse.close();
});

function newPoller(env: Env, sink: EventSink = env.sink): ServiceNowPoller {
  return createServiceNowPoller({
    instanceUrl: env.fake.url,
    tenant: TENANT,
    auth: { user: 'baton', password: 'secret' },
    sink,
    state: clickHouseStateStore(env.clickhouse, connectorName(env.fake.url), TENANT),
    mapping: buildMappings().get('servicenow')!,
    logger: env.logger,
    pageSize: PAGE,
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
  });
}

async function storedCursor(env: Env): Promise<TableCursor | undefined> {
  const store = clickHouseStateStore(env.clickhouse, connectorName(env.fake.url), TENANT);
  const text = (await store.get([CURSOR_KEY])).get(CURSOR_KEY);
  return text === undefined ? undefined : (JSON.parse(text) as TableCursor);
}

/** Waits until Kafka handed over `count` events in all, lets stragglers arrive, returns the new ones. */
async function eventsSince(env: Env, from: number, count: number): Promise<string[]> {
  await eventually(
    async () => env.events.length,
    (n) => n >= from + count,
    30_000,
  );
  await new Promise((r) => setTimeout(r, 1_000));
  // Kafka keeps order per ticket (partition key), not across tickets: compare sorted.
  return env.events
    .slice(from)
    .map((e) => e.eventId)
    .sort();
}

const withoutReceivedAt = ({ receivedAt: _r, ...rest }: TicketEvent) => rest;

describe('ServiceNow Table API poller → Kafka, cursor in ClickHouse', () => {
  it('first poll: every incident over several pages, equal timestamps across a page boundary', async () => {
    const env = await setUp();
    const seed = [
      incident({
        sysId: 'a01',
        updatedOn: '2026-03-02 08:00:00',
        group: APAC,
        location: 'Japan',
        company: 'Contoso',
      }),
      incident({
        sysId: 'a02',
        updatedOn: '2026-03-02 08:05:00',
        location: 'Australia',
        company: 'Contoso',
        priority: '1',
      }),
      // a03 ends page 1, a04 and a05 start page 2: all three share one second.
      incident({
        sysId: 'a03',
        updatedOn: '2026-03-02 08:10:00',
        group: APAC,
        location: 'India',
        company: 'Fabrikam',
      }),
      incident({
        sysId: 'a04',
        updatedOn: '2026-03-02 08:10:00',
        location: 'Singapore',
        company: 'Fabrikam',
      }),
      incident({ sysId: 'a05', updatedOn: '2026-03-02 08:10:00', location: 'Atlantis', company: 'Fabrikam' }),
      incident({
        sysId: 'a06',
        updatedOn: '2026-03-02 08:20:00',
        openedAt: '2026-03-02 07:00:00',
        modCount: 3,
        state: '3',
        holdReason: ['1', 'Awaiting Caller'],
        group: EMEA,
        location: 'Ireland',
        company: 'Contoso',
      }),
      incident({ sysId: 'a07', updatedOn: '2026-03-02 08:30:00', location: 'Japan', company: 'Contoso' }),
    ];
    for (const r of seed) env.fake.put('incident', r);

    const result = await newPoller(env).pollOnce();
    // 4 pages: the third holds only records already handled at 08:10:00 and is stepped over.
    expect(result).toMatchObject({ pages: 4, records: 7, events: 10, deadLetters: 1 });
    const ids = await eventsSince(env, 0, 10);
    expect(ids).toEqual([
      // a01 and a03 are first seen as created (sys_mod_count 0): `created.*`, as a webhook insert.
      'servicenow:ticket:a01:created',
      'servicenow:ticket:a01:created.assigned',
      'servicenow:ticket:a02:created',
      'servicenow:ticket:a03:created',
      'servicenow:ticket:a03:created.assigned',
      'servicenow:ticket:a04:created',
      // a06 is first seen at sys_mod_count 3: its state then is named by that version.
      'servicenow:ticket:a06:3.assigned',
      'servicenow:ticket:a06:3.status',
      'servicenow:ticket:a06:created',
      'servicenow:ticket:a07:created',
    ]);
    const byId = new Map(env.events.map((e) => [e.eventId, e]));
    const at = (iso: string) => new Date(iso).toISOString();
    const head = { schemaVersion: 1, source: 'servicenow', tenant: TENANT };
    expect(withoutReceivedAt(byId.get('servicenow:ticket:a06:created')!)).toEqual({
      ...head,
      eventId: 'servicenow:ticket:a06:created',
      ticketId: 'INC0000006',
      type: 'ticket.created',
      occurredAt: at('2026-03-02T07:00:00Z'),
      customer: 'Contoso',
      region: 'EMEA',
      originalRegion: 'Ireland',
      priority: 'medium',
      originalPriority: '3 - Moderate',
      site: 'Ireland',
      category: 'Inquiry / Help',
      channel: 'phone',
      team: 'Service Desk EMEA',
    });
    expect(withoutReceivedAt(byId.get('servicenow:ticket:a06:3.assigned')!)).toEqual({
      ...head,
      eventId: 'servicenow:ticket:a06:3.assigned',
      ticketId: 'INC0000006',
      type: 'ticket.assigned',
      occurredAt: at('2026-03-02T08:20:00Z'),
      team: 'Service Desk EMEA',
      originalTeam: 'Service Desk EMEA',
      region: 'EMEA',
      originalRegion: 'Ireland',
    });
    expect(withoutReceivedAt(byId.get('servicenow:ticket:a06:3.status')!)).toEqual({
      ...head,
      eventId: 'servicenow:ticket:a06:3.status',
      ticketId: 'INC0000006',
      type: 'ticket.status_changed',
      occurredAt: at('2026-03-02T08:20:00Z'),
      status: 'on_hold',
      holdReason: 'customer',
      originalStatus: 'On Hold / Awaiting Caller',
    });
    expect(byId.get('servicenow:ticket:a02:created')).toMatchObject({
      ticketId: 'INC0000002',
      priority: 'critical',
      originalPriority: '1 - Critical',
      region: 'APAC',
    });

    // The unmappable record went to the dead-letter topic with its reason and raw record.
    await eventually(
      async () => env.letters.length,
      (n) => n >= 1,
      30_000,
    );
    expect(env.letters).toHaveLength(1);
    expect(env.letters[0]).toMatchObject({
      origin: { kind: 'poller', ref: 'incident:a05@2026-03-02 08:10:00#0', source: 'servicenow' },
      reason:
        'unknown region "Atlantis" for source "servicenow": add it to the "region" section of that source\'s mapping',
    });
    expect(JSON.parse(env.letters[0]!.raw).location).toEqual({
      value: 'loc-atlantis',
      display_value: 'Atlantis',
    });
    expect(await storedCursor(env)).toEqual({ updatedOn: '2026-03-02 08:30:00', seen: { a07: '0' } });
  });

  it('second poll after changes: only the new change events', async () => {
    const env = await setUp();
    const before = env.events.length;
    env.fake.put(
      'incident',
      incident({
        sysId: 'a01',
        updatedOn: '2026-03-02 09:00:00',
        modCount: 1,
        state: '2',
        group: APAC,
        location: 'Japan',
        company: 'Contoso',
      }),
    );
    env.fake.put(
      'incident',
      incident({
        sysId: 'a03',
        updatedOn: '2026-03-02 09:00:00',
        modCount: 1,
        group: EMEA,
        location: 'Germany',
        company: 'Fabrikam',
        assignedTo: ['usr-9', 'Jo Smith'],
      }),
    );
    const result = await newPoller(env).pollOnce();
    expect(result).toMatchObject({ records: 2, events: 2, deadLetters: 0 });
    expect(await eventsSince(env, before, 2)).toEqual([
      'servicenow:ticket:a01:1.status',
      'servicenow:ticket:a03:1.assigned',
    ]);
    expect(
      withoutReceivedAt(env.events.find((e) => e.eventId === 'servicenow:ticket:a03:1.assigned')!),
    ).toEqual({
      schemaVersion: 1,
      source: 'servicenow',
      tenant: TENANT,
      eventId: 'servicenow:ticket:a03:1.assigned',
      ticketId: 'INC0000003',
      type: 'ticket.assigned',
      occurredAt: new Date('2026-03-02T09:00:00Z').toISOString(),
      team: 'Service Desk EMEA',
      originalTeam: 'Service Desk EMEA',
      region: 'EMEA',
      originalRegion: 'Germany',
      agent: 'Jo Smith',
    });
    expect(await storedCursor(env)).toEqual({
      updatedOn: '2026-03-02 09:00:00',
      seen: { a01: '1', a03: '1' },
    });
  });

  it('429 with Retry-After, then a 500, then success: nothing lost', async () => {
    const env = await setUp();
    const before = env.events.length;
    const requestsBefore = env.fake.requests.length;
    env.fake.put(
      'incident',
      incident({
        sysId: 'a02',
        updatedOn: '2026-03-02 09:30:00',
        modCount: 1,
        state: '6',
        location: 'Australia',
        company: 'Contoso',
        priority: '1',
        resolvedAt: '2026-03-02 09:29:00',
      }),
    );
    env.fake.failNext(2, { status: 429, retryAfterSeconds: 1 });
    env.fake.failNext(1, { status: 500 });
    const started = Date.now();
    const result = await newPoller(env).pollOnce();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(env.fake.requests.slice(requestsBefore).map((r) => r.status)).toEqual([429, 429, 500, 200, 200]);
    expect(result).toMatchObject({ records: 1, events: 2 });
    expect(await eventsSince(env, before, 2)).toEqual([
      'servicenow:ticket:a02:1.resolved',
      'servicenow:ticket:a02:1.status',
    ]);
    expect(env.events.find((e) => e.eventId === 'servicenow:ticket:a02:1.resolved')!.occurredAt).toBe(
      new Date('2026-03-02T09:29:00Z').toISOString(),
    );
  });

  it('restart: a new poller resumes from the stored cursor — no duplicates, nothing missed', async () => {
    const env = await setUp();
    const before = env.events.length;
    // Nothing changed: a fresh instance finds nothing new.
    expect(await newPoller(env).pollOnce()).toMatchObject({ records: 0, events: 0 });
    // A change at the cursor's very second (a01 was seen there at mod 1) and a later one.
    env.fake.put(
      'incident',
      incident({
        sysId: 'a04',
        updatedOn: '2026-03-02 09:30:00',
        modCount: 1,
        state: '8',
        location: 'Singapore',
        company: 'Fabrikam',
      }),
    );
    env.fake.put(
      'incident',
      incident({ sysId: 'a08', updatedOn: '2026-03-02 09:40:00', location: 'Japan', company: 'Contoso' }),
    );
    const result = await newPoller(env).pollOnce();
    expect(result).toMatchObject({ records: 2, events: 3 });
    expect(await eventsSince(env, before, 3)).toEqual([
      'servicenow:ticket:a04:1.cancelled',
      'servicenow:ticket:a04:1.status',
      'servicenow:ticket:a08:created',
    ]);
    const all = env.events.map((e) => e.eventId);
    expect(new Set(all).size).toBe(all.length);
  });

  it('Kafka unavailable mid-poll: the cursor does not pass unacknowledged events', async () => {
    const env = await setUp();
    const before = env.events.length;
    for (const [id, at] of [
      ['b01', '2026-03-02 10:00:00'],
      ['b02', '2026-03-02 10:01:00'],
      ['b03', '2026-03-02 10:02:00'],
      ['b04', '2026-03-02 10:03:00'],
    ] as const) {
      env.fake.put('incident', incident({ sysId: id, updatedOn: at, location: 'Japan', company: 'Contoso' }));
    }
    // Page 1 (a08 again, b01, b02) goes to the real broker; page 2 to one nobody listens on.
    const deadBus = createMessageBus({ ...env.config, KAFKA_BROKERS: ['127.0.0.1:1'] }, env.logger, {
      retries: 1,
      connectionTimeoutMs: 300,
    });
    const deadSink = createEventSink(env.config, deadBus, env.logger);
    let emits = 0;
    const flaky: EventSink = {
      emit: (events) => (emits++ === 0 ? env.sink.emit(events) : deadSink.emit(events)),
      deadLetter: (letters) => env.sink.deadLetter(letters),
      close: async () => {},
    };
    await expect(newPoller(env, flaky).pollOnce()).rejects.toBeInstanceOf(KafkaUnavailableError);
    await deadSink.close();
    await deadBus.close();
    expect(await storedCursor(env)).toEqual({ updatedOn: '2026-03-02 10:01:00', seen: { b02: '0' } });

    const result = await newPoller(env).pollOnce();
    expect(result).toMatchObject({ records: 2, events: 2 });
    expect(await eventsSince(env, before, 4)).toEqual([
      'servicenow:ticket:b01:created',
      'servicenow:ticket:b02:created',
      'servicenow:ticket:b03:created',
      'servicenow:ticket:b04:created',
    ]);
    expect(await storedCursor(env)).toEqual({ updatedOn: '2026-03-02 10:03:00', seen: { b04: '0' } });
  });
});
