import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { eventId, type TicketEvent } from '../../core/events/index.js';
import { createMessageBus, type IncomingMessage, type MessageBus } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { createPipelineMetrics, type PipelineMetrics } from '../../core/metrics.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { HistoryTransform } from '../../transforms/history/transform.js';
import { ticketFamily } from '../../transforms/lifecycle/family.js';
import { sampleOnce } from '../../transforms/pipeline-stats.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// The pipeline-stats job against the real Kafka and ClickHouse, with offsets known by hand: a
// two-partition topic holds 3 records on partition 0 and 5 on partition 1 (written to explicit
// partitions); one group has offsets set to 1 and 4, one committed nothing, one consumed it all.
// Then the transforms' dead letters in ClickHouse: one row per poison record, however often its
// batch is redone.

let config: Config;
let logger: Logger;
let bus: MessageBus;
let ch: ClickHouseClient;
let kafka: Kafka;
let topic: string;
let dlqTopic: string;

const SAMPLED_AT = Date.parse('2026-11-30T10:00:00.000Z');

beforeAll(async () => {
  config = isolatedConfig('pstats');
  logger = testLogger(config, 'pstats');
  await migrateDatabase(config, logger);
  ch = createClickHouse(config);
  bus = createMessageBus(config, logger, { retries: 2 });
  topic = `${config.KAFKA_TOPIC_PREFIX}stats.v1`;
  dlqTopic = `${config.KAFKA_TOPIC_PREFIX}dead-letter.v1`;
  await bus.ensureTopics([
    { key: 'ticketEvents', name: topic, partitions: 2 },
    { key: 'deadLetter', name: dlqTopic, partitions: 1 },
  ]);
  kafka = new Kafka({ clientId: 'pstats-test', brokers: config.KAFKA_BROKERS, logLevel: logLevel.ERROR });
});

afterAll(async () => {
  await bus?.deleteTopics([topic, dlqTopic]);
  await bus?.close();
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await ch?.close();
});

async function produce(partition: number, n: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: n }, (_, i) => ({ partition, key: `k${i}`, value: `v${i}` })),
  });
  await producer.disconnect();
}

describe('pipeline stats', () => {
  let metrics: PipelineMetrics;
  const group = (name: string) => `${config.TRANSFORM_GROUP_ID}.${name}`;
  const subscriptions = () => ['consumed', 'none', 'set'].map((g) => ({ groupId: group(g), topic }));

  beforeAll(async () => {
    metrics = createPipelineMetrics('pstats-test');
    await produce(0, 3);
    await produce(1, 5);

    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: group('set'),
      topic,
      partitions: [
        { partition: 0, offset: '1' },
        { partition: 1, offset: '4' },
      ],
    });

    // A consumer of Baton's own kind reads all 8 and commits after each batch.
    let seen = 0;
    let allSeen: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allSeen = resolve;
    });
    const consumer = await bus.runConsumer({
      groupId: group('consumed'),
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (batch) => {
        seen += batch.messages.length;
        if (seen >= 8) allSeen();
      },
    });
    await done;
    // The commit follows the handler: stop only once both partitions are committed to their end.
    const committed = await eventually(
      async () => {
        const res = await admin.fetchOffsets({ groupId: group('consumed'), topics: [topic] });
        return (res[0]?.partitions ?? []).map((p) => `${p.partition}:${p.offset}`).sort();
      },
      (offsets) => offsets.join() === '0:3,1:5',
      30_000,
      200,
    );
    expect(committed).toEqual(['0:3', '1:5']);
    await consumer.stop();
    await admin.disconnect();
  });

  const lags = async () =>
    (
      await sampleOnce({
        bus,
        ch,
        subscriptions: subscriptions(),
        gauge: metrics.consumerLag,
        now: () => SAMPLED_AT,
      })
    ).map((s) => [s.groupId.split('.').pop(), s.partition, s.endOffset, s.committedOffset, s.lag]);

  it('samples end, committed offset and lag per group and partition', async () => {
    expect(await lags()).toEqual([
      ['consumed', 0, 3, 3, 0],
      ['consumed', 1, 5, 5, 0],
      ['none', 0, 3, -1, 3],
      ['none', 1, 5, -1, 5],
      ['set', 0, 3, 1, 2],
      ['set', 1, 5, 4, 1],
    ]);

    const rs = await ch.query({
      query: `SELECT toString(sampled_at) AS sampled_at, group_id, partition, end_offset, committed_offset, lag
              FROM pipeline_stats ORDER BY group_id, partition`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const stored = await rs.json<Record<string, unknown>>();
    expect(stored).toEqual(
      [
        ['consumed', 0, 3, 3, 0],
        ['consumed', 1, 5, 5, 0],
        ['none', 0, 3, -1, 3],
        ['none', 1, 5, -1, 5],
        ['set', 0, 3, 1, 2],
        ['set', 1, 5, 4, 1],
      ].map(([g, partition, end_offset, committed_offset, lag]) => ({
        sampled_at: '2026-11-30 10:00:00.000',
        group_id: group(String(g)),
        partition,
        end_offset,
        committed_offset,
        lag,
      })),
    );

    const gauge = await metrics.consumerLag.get();
    const byLabels = Object.fromEntries(
      gauge.values.map((v) => [`${String(v.labels.group).split('.').pop()}/${v.labels.partition}`, v.value]),
    );
    expect(byLabels).toEqual({
      'consumed/0': 0,
      'consumed/1': 0,
      'none/0': 3,
      'none/1': 5,
      'set/0': 2,
      'set/1': 1,
    });
    expect(await metrics.registry.metrics()).toContain('# TYPE baton_consumer_lag gauge');
  });

  it('follows new records: 2 more on partition 0', async () => {
    await produce(0, 2);
    expect(await lags()).toEqual([
      ['consumed', 0, 5, 3, 2],
      ['consumed', 1, 5, 5, 0],
      ['none', 0, 5, -1, 5],
      ['none', 1, 5, -1, 5],
      ['set', 0, 5, 1, 4],
      ['set', 1, 5, 4, 1],
    ]);
  });
});

describe('dead letters in ClickHouse', () => {
  const ticketTopic = () => `${config.KAFKA_TOPIC_PREFIX}baton.ticket-events.v1`;
  const good: TicketEvent = {
    eventId: eventId('desk', 'ticket', 'X1', '0'),
    schemaVersion: 1,
    source: 'desk',
    tenant: 'pstats',
    ticketId: 'X1',
    occurredAt: '2026-11-30T09:00:00.000Z',
    receivedAt: '2026-11-30T09:00:01.000Z',
    type: 'ticket.created',
    customer: 'acme',
    region: 'EMEA',
    priority: 'high',
  };
  const message = (offset: number, key: string, value: string): IncomingMessage => ({
    key,
    value: Buffer.from(value, 'utf8'),
    offset: String(offset),
    timestamp: '0',
    headers: {},
  });

  it('holds one row per poison record when its batch is redone', async () => {
    const producer = await bus.createProducer();
    let failNext = true;
    const transform = new HistoryTransform({
      family: ticketFamily,
      projections: [],
      ch,
      deadLetters: producer,
      deadLetterTopic: dlqTopic,
      logger,
      // The first attempt fails after the dead letters were written, as a crash before the commit would.
      beforeStore: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('ClickHouse went away');
        }
      },
    });
    const batch = {
      topic: ticketTopic(),
      partition: 4,
      messages: [
        message(10, 'P1', '{not json'),
        message(11, 'X1', JSON.stringify(good)),
        message(12, 'P2', '{"hello":"world"}'),
      ],
    };
    await expect(transform.handleBatch(batch)).rejects.toThrow('ClickHouse went away');
    expect(await transform.handleBatch(batch)).toMatchObject({ events: 1, deadLettered: 2 });
    // Redone once more, as after a failed offset commit.
    expect(await transform.handleBatch(batch)).toMatchObject({ events: 1, deadLettered: 2 });
    await producer.disconnect();

    const rs = await ch.query({
      query: `SELECT id, topic, partition, offset, family, reason_kind, raw_preview, raw_encoding
              FROM dead_letters FINAL ORDER BY id`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await rs.json()).toEqual([
      {
        id: `${ticketTopic()}/4/10`,
        topic: ticketTopic(),
        partition: 4,
        offset: 10,
        family: 'ticket',
        reason_kind: 'invalid JSON',
        raw_preview: '{not json',
        raw_encoding: 'utf8',
      },
      {
        id: `${ticketTopic()}/4/12`,
        topic: ticketTopic(),
        partition: 4,
        offset: 12,
        family: 'ticket',
        reason_kind: 'not a canonical ticket event v1',
        raw_preview: '{"hello":"world"}',
        raw_encoding: 'utf8',
      },
    ]);
    const counted = await ch.query({
      query: 'SELECT uniqExact(id) AS n FROM dead_letters',
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await counted.json()).toEqual([{ n: 2 }]);
  });
});
