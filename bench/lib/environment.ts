import { randomBytes } from 'node:crypto';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import { type Config, loadConfig } from '../../core/config.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { allTopics, type TopicKey, topicName } from '../../core/topics.js';
import { migrateDatabase } from '../../sql/migrate.js';

/** Topics, consumer groups and a database of one measurement's own, removed afterwards. */
export interface BenchEnvironment {
  config: Config;
  logger: Logger;
  bus: MessageBus;
  ch: ClickHouseClient;
  topic(key: TopicKey): string;
  /** Messages behind the end of the topic for a consumer group (summed over partitions). */
  lag(groupId: string, key: TopicKey): Promise<number>;
  close(): Promise<void>;
}

export async function benchEnvironment(label: string): Promise<BenchEnvironment> {
  const id = `${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const config = loadConfig(process.env, {
    KAFKA_TOPIC_PREFIX: `bench.${id}.`,
    CLICKHOUSE_DATABASE: `bench_${id}`,
    TRANSFORM_GROUP_ID: `bench.${id}`,
    LOG_LEVEL: 'error',
    // Seeding copies millions of rows in one statement (and the views fill the recent and open
    // copies with them): far longer than a request of the pipeline may take.
    CLICKHOUSE_REQUEST_TIMEOUT_MS: 900_000,
  });
  const logger = createLogger(config, `bench-${label}`);
  await migrateDatabase(config, logger);
  const bus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  const ch = createClickHouse(config, { application: 'baton-bench' });
  return {
    config,
    logger,
    bus,
    ch,
    topic: (key) => topicName(config, key),
    async lag(groupId, key) {
      const topic = topicName(config, key);
      const [committed, ends] = await Promise.all([
        bus.committedOffsets(groupId, topic),
        bus.endOffsets(topic),
      ]);
      let behind = 0;
      for (const [partition, end] of ends) {
        const c = Number(committed.get(partition) ?? '-1');
        behind += Number(end) - Math.max(c, 0);
      }
      return behind;
    },
    async close() {
      await bus.deleteTopics(allTopics(config).map((t) => t.name)).catch(() => undefined);
      await bus.close();
      await ch.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
      await ch.close();
    },
  };
}
