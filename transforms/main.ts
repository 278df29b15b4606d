import { createClickHouse } from '../core/clickhouse.js';
import type { Config } from '../core/config.js';
import { createMessageBus } from '../core/kafka.js';
import type { Logger } from '../core/logger.js';
import { allTopics, topicName } from '../core/topics.js';
import { LifecycleTransform } from './lifecycle/transform.js';

export interface RunningTransforms {
  stop(): Promise<void>;
}

/** Starts the transform consumers; offsets are committed only after their results are stored. */
export async function startTransforms(config: Config, logger: Logger): Promise<RunningTransforms> {
  const log = logger.child({ component: 'transforms' });
  const bus = createMessageBus(config, log);
  const ch = createClickHouse(config, { application: 'baton-transforms' });
  await bus.ensureTopics(allTopics(config));
  const deadLetters = await bus.createProducer();
  const lifecycle = new LifecycleTransform({
    ch,
    deadLetters,
    deadLetterTopic: topicName(config, 'deadLetter'),
    logger: log,
  });
  const consumer = await bus.runConsumer({
    groupId: `${config.TRANSFORM_GROUP_ID}.lifecycle`,
    topics: [topicName(config, 'ticketEvents')],
    fromBeginning: true,
    onAssignment: () => lifecycle.forgetCachedHistories(),
    handleBatch: async (batch) => {
      const result = await lifecycle.handleBatch(batch);
      log.debug({ partition: batch.partition, ...result }, 'batch stored');
    },
  });
  log.info('transforms running');
  return {
    async stop() {
      await consumer.stop();
      await bus.close();
      await ch.close();
    },
  };
}
