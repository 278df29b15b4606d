import { randomUUID } from 'node:crypto';
import { type Admin, type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';

// Smoke test of the Kafka the project runs against (the local stack from `infra/stack.sh up`, or
// KAFKA_BROKERS): keyed, idempotent, acks=all writes to a 3-partition topic come back exactly once
// and in per-key order. It talks to kafkajs directly because it tests the broker, not core/kafka.ts.
// When Kafka is unreachable it fails quickly (short timeouts, few retries); it never skips.

const KEYS = 12;
const PER_KEY = 50;
const TOTAL = KEYS * PER_KEY;
const BATCH = 40;

interface Received {
  key: string;
  seq: number;
  partition: number;
  offset: bigint;
}

const config = loadConfig();
const runId = randomUUID().slice(0, 8);
const topic = `baton-it-kafka-stack-${runId}`;
const groupId = `baton-it-kafka-stack-${runId}`;

const kafka = new Kafka({
  clientId: `baton-it-${runId}`,
  brokers: config.KAFKA_BROKERS,
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 2_000 },
  logLevel: logLevel.ERROR,
});

let admin: Admin | undefined;
let producer: Producer | undefined;
let consumer: Consumer | undefined;
let topicCreated = false;

function keyOf(i: number): string {
  return `ticket-${String(i % KEYS).padStart(2, '0')}`;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Connects once and creates the topic; called by each test so that an unreachable broker makes
// every test fail (a failing beforeAll would only mark them skipped).
let ready: Promise<Admin> | undefined;
function setUp(): Promise<Admin> {
  ready ??= (async () => {
    admin = kafka.admin();
    try {
      await admin.connect();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(
        `Kafka is not reachable at ${config.KAFKA_BROKERS.join(',')} (${reason}); ` +
          `start it with 'bash infra/stack.sh up' or set KAFKA_BROKERS`,
      );
    }
    topicCreated = await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 15_000,
    });
    return admin;
  })();
  return ready;
}

describe('local Kafka stack', () => {
  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (admin) {
      if (topicCreated) await admin.deleteTopics({ topics: [topic], timeout: 15_000 }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('creates the topic with 3 partitions', async () => {
    const admin = await setUp();
    expect(topicCreated).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers keyed idempotent acks=all writes exactly once, in per-key order', async () => {
    await setUp();
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();

    const perKeySeq = new Map<string, number>();
    for (let start = 0; start < TOTAL; start += BATCH) {
      const messages = [];
      for (let i = start; i < Math.min(start + BATCH, TOTAL); i++) {
        const key = keyOf(i);
        const seq = perKeySeq.get(key) ?? 0;
        perKeySeq.set(key, seq + 1);
        messages.push({ key, value: JSON.stringify({ key, seq, runId }) });
      }
      const acks = await producer.send({ topic, acks: -1, messages });
      for (const ack of acks) expect(ack.errorCode).toBe(0);
    }

    const received: Received[] = [];
    consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const body = JSON.parse(message.value?.toString() ?? 'null') as { key: string; seq: number };
        expect(message.key?.toString()).toBe(body.key);
        received.push({ key: body.key, seq: body.seq, partition, offset: BigInt(message.offset) });
      },
    });

    await waitFor(() => received.length >= TOTAL, 60_000, `${TOTAL} messages (got ${received.length})`);
    // Give duplicates, if any, a moment to show up.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    expect(received).toHaveLength(TOTAL);

    const byKey = new Map<string, Received[]>();
    for (const r of received) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    expect(byKey.size).toBe(KEYS);
    for (const [key, list] of byKey) {
      // Exactly once and in order: 0, 1, 2, ... PER_KEY-1 for every key.
      expect(
        list.map((r) => r.seq),
        key,
      ).toEqual(Array.from({ length: PER_KEY }, (_, i) => i));
      // One key, one partition, increasing offsets.
      expect(new Set(list.map((r) => r.partition)).size, key).toBe(1);
      for (let i = 1; i < list.length; i++) expect(list[i]!.offset > list[i - 1]!.offset, key).toBe(true);
    }
    // The keys spread over more than one partition.
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
  });
});
