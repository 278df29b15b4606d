import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { allTopics } from '../../core/topics.js';
import { createEventSink, type EventSink } from '../../ingest/sink.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { type RunningTransforms, startTransforms, type TransformOptions } from '../../transforms/main.js';
import { isolatedConfig, testLogger } from './services.js';

/** A whole pipeline of its own for one test file: topics, database, sink and the transforms. */
export interface TestPipeline {
  config: Config;
  logger: Logger;
  bus: MessageBus;
  sink: EventSink;
  ch: ClickHouseClient;
  transforms: RunningTransforms;
  /** Stops everything and deletes the topics and the database. */
  close(): Promise<void>;
}

export async function startPipeline(
  label: string,
  opts: TransformOptions & { overrides?: Partial<Config> } = {},
): Promise<TestPipeline> {
  const config = isolatedConfig(label, opts.overrides);
  const logger = testLogger(config, label);
  await migrateDatabase(config, logger);
  const bus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  const sink = createEventSink(config, bus, logger);
  const ch = createClickHouse(config);
  const transforms = await startTransforms(config, logger, opts.now ? { now: opts.now } : {});
  let closed = false;
  return {
    config,
    logger,
    bus,
    sink,
    ch,
    transforms,
    async close() {
      if (closed) return;
      closed = true;
      await transforms.stop();
      await sink.close();
      await bus.deleteTopics(allTopics(config).map((t) => t.name));
      await bus.close();
      await ch.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
      await ch.close();
    },
  };
}
