import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createMessageBus } from '../../core/kafka.js';

/**
 * What the "kafka clients" stage asks of a Kafka client, and nothing more: the same calls and
 * the same guarantees that Baton's adapter gives (acks=all, an idempotent producer, keys put on
 * partitions as the Java client does, offsets committed after each fetched batch was handled).
 */
export interface BenchKafkaClient {
  readonly name: string;
  readonly version: string;
  createProducer(): Promise<BenchProducer>;
  /**
   * Subscribes `topic` in `groupId` from the beginning and hands over every message; resolves
   * once `count` messages were handed over and the offsets of every batch that held one of them
   * were committed. Messages arriving after that still go to `onMessage` until `stop`.
   */
  consume(opts: {
    topic: string;
    groupId: string;
    count: number;
    onMessage(key: string, value: string, partition: number): void;
  }): Promise<BenchConsumer>;
  /** Releases what the client holds beyond its producers and consumers. */
  close(): Promise<void>;
}

export interface BenchConsumer {
  /** Commits made so far: one per batch handed over. */
  readonly commits: number;
  stop(): Promise<void>;
}

export interface BenchProducer {
  /** Resolves once every message was acknowledged by all in-sync replicas. */
  send(topic: string, messages: readonly { key: string; value: string }[]): Promise<void>;
  close(): Promise<void>;
}

export const clientNames = ['kafkajs', '@platformatic/kafka', '@confluentinc/kafka-javascript'] as const;
export type ClientName = (typeof clientNames)[number];

/** Resolves when `count` messages were handed over and the batch holding the last one committed. */
function countdown(count: number) {
  let seen = 0;
  let done: () => void = () => undefined;
  const reached = new Promise<void>((r) => {
    done = r;
  });
  return {
    reached,
    add(n: number) {
      seen += n;
    },
    /** Called after a commit: only then is reaching the count final. */
    committed() {
      if (seen >= count) done();
    },
  };
}

function kafkajsViaAdapter(brokers: string[]): BenchKafkaClient {
  const bus = createMessageBus(
    { KAFKA_BROKERS: brokers, KAFKA_CLIENT_ID: 'baton-bench-kafkajs' },
    pino({ level: 'error' }),
  );
  const version = (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version;
  return {
    name: 'kafkajs',
    version,
    async createProducer() {
      const producer = await bus.createProducer();
      return {
        send: (topic, messages) => producer.send(topic, [...messages]),
        close: () => producer.disconnect(),
      };
    },
    async consume({ topic, groupId, count, onMessage }) {
      let seen = 0;
      let batches = 0;
      let reached: () => void = () => undefined;
      const allSeen = new Promise<void>((r) => {
        reached = r;
      });
      const consumer = await bus.runConsumer({
        groupId,
        topics: [topic],
        fromBeginning: true,
        handleBatch: async (batch) => {
          for (const m of batch.messages)
            onMessage(m.key ?? '', m.value?.toString('utf8') ?? '', batch.partition);
          seen += batch.messages.length;
          batches++;
          if (seen >= count) reached();
        },
      });
      await allSeen;
      // The adapter commits after the handler resolved, and says nothing when it did: the last
      // commit is awaited by reading the group's offsets until they reach the end of the topic.
      const sum = (offsets: Map<number, string>) =>
        [...offsets.values()].reduce((s, o) => s + (BigInt(o) < 0n ? 0n : BigInt(o)), 0n);
      const end = sum(await bus.endOffsets(topic));
      const deadline = Date.now() + 60_000;
      while (sum(await bus.committedOffsets(groupId, topic)) < end && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      return {
        stop: () => consumer.stop(),
        get commits() {
          return batches;
        },
      };
    },
    close: () => bus.close(),
  };
}

// Only what is used of @platformatic/kafka, typed here: the package lives outside the project's
// dependencies, so its own types are not there to compile against.
interface PlatformaticModule {
  Producer: new (
    opts: Record<string, unknown>,
  ) => {
    send(opts: { messages: { topic: string; key: string; value: string }[] }): Promise<unknown>;
    close(): Promise<void>;
  };
  Consumer: new (
    opts: Record<string, unknown>,
  ) => {
    consume(opts: Record<string, unknown>): Promise<PlatformaticStream>;
    commit(opts: {
      offsets: { topic: string; partition: number; offset: bigint; leaderEpoch: number }[];
    }): Promise<void>;
    close(force?: boolean): Promise<void>;
  };
  stringSerializers: unknown;
  stringDeserializers: unknown;
  compatibilityPartitioner: unknown;
  ProduceAcks: { ALL: number };
}
interface PlatformaticMessage {
  key: string;
  value: string;
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
}
interface PlatformaticStream {
  on(event: 'data', fn: (m: PlatformaticMessage) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

function platformatic(mod: PlatformaticModule, version: string, brokers: string[]): BenchKafkaClient {
  return {
    name: '@platformatic/kafka',
    version,
    async createProducer() {
      const producer = new mod.Producer({
        clientId: 'baton-bench-platformatic',
        bootstrapBrokers: brokers,
        serializers: mod.stringSerializers,
        acks: mod.ProduceAcks.ALL,
        idempotent: true,
        // The Java client's murmur2 (the default partitioner differs: it does not mask the sign bit).
        partitioner: mod.compatibilityPartitioner,
        autocreateTopics: false,
      });
      return {
        async send(topic, messages) {
          await producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value })) });
        },
        close: () => producer.close(),
      };
    },
    async consume({ topic, groupId, count, onMessage }) {
      const progress = countdown(count);
      const consumer = new mod.Consumer({
        clientId: 'baton-bench-platformatic',
        groupId,
        bootstrapBrokers: brokers,
        deserializers: mod.stringDeserializers,
        autocommit: false,
      });
      const stream = await consumer.consume({
        topics: [topic],
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
      });
      // The stream hands over the records of a fetch one at a time, in one go: the commit waits
      // for the end of that run (setImmediate), then the stream pauses while the last offsets
      // seen on each partition are committed, as Baton's adapter does between batches.
      const pending = new Map<number, PlatformaticMessage>();
      let scheduled = false;
      let commits = 0;
      let failed: (err: Error) => void = () => undefined;
      const failure = new Promise<never>((_, reject) => {
        failed = reject;
      });
      const commitPending = () => {
        const offsets = [...pending.values()].map((p) => ({
          topic: p.topic,
          partition: p.partition,
          offset: p.offset + 1n,
          leaderEpoch: p.leaderEpoch,
        }));
        pending.clear();
        stream.pause();
        consumer.commit({ offsets }).then(
          () => {
            commits++;
            scheduled = false;
            progress.committed();
            stream.resume();
          },
          (err: Error) => failed(err),
        );
      };
      stream.on('error', (err) => failed(err));
      stream.on('data', (m) => {
        onMessage(m.key, m.value, m.partition);
        progress.add(1);
        pending.set(m.partition, m);
        if (!scheduled) {
          scheduled = true;
          setImmediate(commitPending);
        }
      });
      await Promise.race([progress.reached, failure]);
      return {
        async stop() {
          await stream.close();
          await consumer.close(true);
        },
        get commits() {
          return commits;
        },
      };
    },
    close: async () => undefined,
  };
}

// The KafkaJS-compatible API of @confluentinc/kafka-javascript (the one its docs recommend).
interface ConfluentModule {
  KafkaJS: {
    Kafka: new (
      cfg: Record<string, unknown>,
    ) => {
      producer(cfg: Record<string, unknown>): {
        connect(): Promise<void>;
        send(opts: { topic: string; messages: { key: string; value: string }[] }): Promise<unknown>;
        disconnect(): Promise<void>;
      };
      consumer(cfg: Record<string, unknown>): {
        connect(): Promise<void>;
        subscribe(opts: { topics: string[] }): Promise<void>;
        run(opts: {
          eachBatch(payload: {
            batch: {
              topic: string;
              partition: number;
              messages: { key: Buffer | null; value: Buffer | null; offset: string }[];
            };
          }): Promise<void>;
        }): Promise<void>;
        commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
        disconnect(): Promise<void>;
      };
    };
    logLevel: { ERROR: number };
  };
  librdkafkaVersion: string;
}

function confluent(mod: ConfluentModule, version: string, brokers: string[]): BenchKafkaClient {
  const kafka = new mod.KafkaJS.Kafka({
    kafkaJS: { clientId: 'baton-bench-confluent', brokers, logLevel: mod.KafkaJS.logLevel.ERROR },
  });
  return {
    name: '@confluentinc/kafka-javascript',
    version: `${version} (librdkafka ${mod.librdkafkaVersion})`,
    async createProducer() {
      const producer = kafka.producer({
        kafkaJS: { acks: -1, idempotent: true, allowAutoTopicCreation: false },
        // The Java client's partitioner (also this client's default, said here to be sure).
        partitioner: 'murmur2_random',
      });
      await producer.connect();
      return {
        async send(topic, messages) {
          await producer.send({ topic, messages: [...messages] });
        },
        close: () => producer.disconnect(),
      };
    },
    async consume({ topic, groupId, count, onMessage }) {
      const progress = countdown(count);
      let commits = 0;
      const consumer = kafka.consumer({
        kafkaJS: { groupId, fromBeginning: true, autoCommit: false },
        // Its batches default to 32 messages; -1 hands over what was fetched, like kafkajs.
        'js.consumer.max.batch.size': -1,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (batch.messages.length === 0) return;
          for (const m of batch.messages)
            onMessage(m.key?.toString('utf8') ?? '', m.value?.toString('utf8') ?? '', batch.partition);
          progress.add(batch.messages.length);
          const last = batch.messages[batch.messages.length - 1]!;
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
          commits++;
          progress.committed();
        },
      });
      await progress.reached;
      return {
        stop: () => consumer.disconnect(),
        get commits() {
          return commits;
        },
      };
    },
    close: async () => undefined,
  };
}

/** The installed version of a package under `root`'s node_modules. */
function versionUnder(root: string, pkg: string): string {
  // Read from disk: not every package exports its package.json.
  return (
    JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

/**
 * The client named, loaded from `installRoot` (where bench/kafka-clients is installed) for the
 * two compared with kafkajs. Rejects when that client cannot be loaded.
 */
export async function loadClient(
  name: ClientName,
  brokers: string[],
  installRoot: string,
): Promise<BenchKafkaClient> {
  if (name === 'kafkajs') return kafkajsViaAdapter(brokers);
  const entry = createRequire(join(installRoot, 'package.json')).resolve(name);
  const mod: unknown = await import(pathToFileURL(entry).href);
  if (name === '@platformatic/kafka')
    return platformatic(mod as PlatformaticModule, versionUnder(installRoot, name), brokers);
  // A CommonJS module: its exports are the default export's properties.
  const cjs = (mod as { default?: ConfluentModule }).default ?? (mod as ConfluentModule);
  return confluent(cjs, versionUnder(installRoot, name), brokers);
}
