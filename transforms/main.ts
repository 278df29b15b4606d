import { createClickHouse } from '../core/clickhouse.js';
import type { Config } from '../core/config.js';
import { createMessageBus } from '../core/kafka.js';
import type { Logger } from '../core/logger.js';
import { createPipelineMetrics, serveMetrics } from '../core/metrics.js';
import { allTopics, topicName } from '../core/topics.js';
import { HistoryTransform } from './history/transform.js';
import { ticketFamily, ticketProjections } from './lifecycle/family.js';

export interface RunningTransforms {
  stop(): Promise<void>;
}

/** Starts the transform consumers; offsets are committed only after their results are stored. */
export async function startTransforms(config: Config, logger: Logger): Promise<RunningTransforms> {
  const log = logger.child({ component: 'transforms' });
  const metrics = createPipelineMetrics('baton-transforms');
  const metricsServer =
    config.METRICS_PORT > 0
      ? await serveMetrics(metrics.registry, config.METRICS_HOST, config.METRICS_PORT)
      : null;
  const bus = createMessageBus(config, log);
  const ch = createClickHouse(config, { application: 'baton-transforms' });
  await bus.ensureTopics(allTopics(config));
  const deadLetters = await bus.createProducer();
  const lifecycle = new HistoryTransform({
    family: ticketFamily,
    projections: ticketProjections,
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
      const timer = metrics.batchSeconds.startTimer({ step: 'lifecycle' });
      const result = await lifecycle.handleBatch(batch);
      timer();
      metrics.eventsIn.inc({ topic: batch.topic }, batch.messages.length);
      metrics.deadLettered.inc({ topic: batch.topic }, result.deadLettered);
      metrics.rowsWritten.inc({ table: 'ticket_events' }, result.events);
      for (const [table, n] of Object.entries(result.rowsWritten)) metrics.rowsWritten.inc({ table }, n);
      log.debug({ partition: batch.partition, ...result }, 'batch stored');
    },
  });
  log.info('transforms running');
  return {
    async stop() {
      await consumer.stop();
      metricsServer?.close();
      await bus.close();
      await ch.close();
    },
  };
}
