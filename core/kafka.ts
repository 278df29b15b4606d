import { type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { TopicSpec } from './topics.js';

// The only module that imports kafkajs: the client can be swapped behind this interface.

export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  key: string | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
  headers: Record<string, string>;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
}

export interface EventProducer {
  /** Resolves only after every broker in the ISR acknowledged the write (acks=all). */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /**
   * Called once per fetched partition batch. The batch's offsets are committed only after the
   * returned promise resolves, so the handler must make its results durable before resolving.
   * A rejection makes the consumer fetch the same batch again.
   */
  handleBatch(batch: PartitionBatch): Promise<void>;
  /** Called when this member's partition assignment may have changed (a group join). */
  onAssignment?(): void;
}

export interface MessageBus {
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  deleteTopics(names: string[]): Promise<void>;
  createProducer(): Promise<EventProducer>;
  runConsumer(opts: ConsumerOptions): Promise<RunningConsumer>;
  /** Committed offsets of a group, per topic and partition (`-1` when nothing committed). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  /** The next offset to be written on each partition of a topic (its high watermark). */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /**
   * Reads a topic from its start up to its end as of the call, in offset order per partition,
   * without committing anything (a throw-away group, deleted afterwards). Rejects after `timeoutMs`.
   */
  readTopic(
    topic: string,
    onMessage: (message: IncomingMessage & { partition: number }) => void,
    opts?: { timeoutMs?: number },
  ): Promise<void>;
  close(): Promise<void>;
}

const boundedRetriesWarning = 'Limiting retries for the idempotent producer';
const kafkaLevelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

function headersToStrings(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (Buffer.isBuffer(v)) out[k] = v.toString('utf8');
    else if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export function createMessageBus(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  logger: Logger,
  opts: {
    connectionTimeoutMs?: number;
    retries?: number;
    fetchMaxBytes?: number;
    sessionTimeoutMs?: number;
    /** Batches of different partitions handled at once by a consumer (default 1). */
    partitionsConcurrently?: number;
  } = {},
): MessageBus {
  const log = logger.child({ client: 'kafkajs' });
  const kafka = new Kafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    connectionTimeout: opts.connectionTimeoutMs ?? 3_000,
    retry: { retries: opts.retries ?? 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        // Baton bounds producer retries on purpose (a dead broker becomes a 503 within seconds);
        // exactly-once comes from deterministic event ids and idempotent sinks, not from the
        // producer, so kafkajs's warning about it is noise on every start: logged at debug.
        const name = message?.startsWith(boundedRetriesWarning)
          ? 'debug'
          : (kafkaLevelNames[level] ?? 'info');
        log[name](rest, message);
      },
  });
  const admin = kafka.admin();
  let adminConnected: Promise<void> | null = null;
  const connectAdmin = () => {
    adminConnected ??= admin.connect();
    return adminConnected;
  };
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];

  return {
    async ensureTopics(topics) {
      await connectAdmin();
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
      });
      log.info({ topics: missing.map((t) => t.name) }, 'created topics');
    },

    async deleteTopics(names) {
      await connectAdmin();
      const existing = new Set(await admin.listTopics());
      const present = names.filter((n) => existing.has(n));
      if (present.length > 0) await admin.deleteTopics({ topics: present });
    },

    async createProducer() {
      const producer = kafka.producer({
        // The Java client's murmur2 partitioning, so other producers put a key on the same partition.
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: true,
        maxInFlightRequests: 5,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      producers.push(producer);
      return {
        async send(topic, messages) {
          if (messages.length === 0) return;
          await producer.send({ topic, acks: -1, messages });
        },
        async disconnect() {
          await producer.disconnect();
        },
      };
    },

    async runConsumer({ groupId, topics, fromBeginning = true, handleBatch, onAssignment }) {
      const consumer = kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
        ...(opts.fetchMaxBytes
          ? { maxBytesPerPartition: opts.fetchMaxBytes, maxBytes: opts.fetchMaxBytes * 4 }
          : {}),
      });
      consumers.push(consumer);
      if (onAssignment) consumer.on(consumer.events.GROUP_JOIN, () => onAssignment());
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 1,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          await handleBatch({
            topic: batch.topic,
            partition: batch.partition,
            messages: batch.messages.map((m) => ({
              key: m.key ? m.key.toString('utf8') : null,
              value: m.value,
              offset: m.offset,
              timestamp: m.timestamp,
              headers: headersToStrings(m.headers),
            })),
          });
          const last = batch.messages[batch.messages.length - 1]!;
          // Advances the fetch position; the commit below makes it survive a restart.
          resolveOffset(last.offset);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
          await heartbeat();
        },
      });
      return {
        async stop() {
          await consumer.disconnect();
        },
      };
    },

    async committedOffsets(groupId, topic) {
      await connectAdmin();
      const res = await admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, string>();
      for (const t of res) for (const p of t.partitions) out.set(p.partition, p.offset);
      return out;
    },

    async endOffsets(topic) {
      await connectAdmin();
      const res = await admin.fetchTopicOffsets(topic);
      return new Map(res.map((p) => [p.partition, p.high]));
    },

    async readTopic(topic, onMessage, { timeoutMs = 60_000 } = {}) {
      await connectAdmin();
      const offsets = await admin.fetchTopicOffsets(topic);
      // The last offset to read on each partition that holds anything.
      const pending = new Map<number, bigint>();
      for (const p of offsets)
        if (BigInt(p.high) > BigInt(p.low)) pending.set(p.partition, BigInt(p.high) - 1n);
      if (pending.size === 0) return;
      const groupId = `${config.KAFKA_CLIENT_ID}.reader.${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
      let finish: (err?: Error) => void = () => undefined;
      const done = new Promise<void>((resolve, reject) => {
        finish = (err) => (err ? reject(err) : resolve());
      });
      const timer = setTimeout(
        () => finish(new Error(`reading ${topic} took longer than ${timeoutMs} ms`)),
        timeoutMs,
      );
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const last = pending.get(batch.partition);
            if (last === undefined) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) > last) break;
              onMessage({
                partition: batch.partition,
                key: m.key ? m.key.toString('utf8') : null,
                value: m.value,
                offset: m.offset,
                timestamp: m.timestamp,
                headers: headersToStrings(m.headers),
              });
            }
            // lastOffset() counts records the client does not hand over (e.g. transaction markers).
            if (BigInt(batch.lastOffset()) >= last || batch.messages.some((m) => BigInt(m.offset) >= last))
              pending.delete(batch.partition);
            if (pending.size === 0) finish();
          },
        });
        await done;
      } finally {
        clearTimeout(timer);
        await consumer.disconnect().catch(() => undefined);
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    },

    async close() {
      await Promise.allSettled([...producers, ...consumers].map((c) => c.disconnect()));
      if (adminConnected) await admin.disconnect();
    },
  };
}

export interface KafkaProbe {
  /** Resolves when a broker answered a metadata request within the timeout; rejects otherwise. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A cheap reachability check for readiness probes: one admin connection, kept between checks,
 * asking for the cluster's metadata with no retries, bounded by `timeoutMs`. Silent: a probe
 * that fails is reported by its caller, not logged once per attempt by the client.
 */
export function createKafkaProbe(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  timeoutMs: number,
): KafkaProbe {
  const kafka = new Kafka({
    clientId: `${config.KAFKA_CLIENT_ID}-probe`,
    brokers: config.KAFKA_BROKERS,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  return {
    async check() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([admin.connect().then(() => admin.describeCluster()), timeout]);
      } catch (err) {
        // A half-open connection would make the next check wait again: start it afresh.
        await admin.disconnect().catch(() => undefined);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await admin.disconnect();
    },
  };
}
