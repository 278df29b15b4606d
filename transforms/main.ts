import { createClickHouse } from '../core/clickhouse.js';
import type { Config } from '../core/config.js';
import { createMessageBus } from '../core/kafka.js';
import type { Logger } from '../core/logger.js';
import { createPipelineMetrics, serveMetrics } from '../core/metrics.js';
import { allTopics, topicName } from '../core/topics.js';
import { fieldJobFamily, fieldJobProjections } from './field/family.js';
import { HistoryTransform } from './history/transform.js';
import { ticketFamily, ticketProjections } from './lifecycle/family.js';
import { rosterFamily, rosterProjections } from './roster/family.js';
import { loadSlaSettings } from './sla/settings.js';
import { startSlaSweep } from './sla/sweep.js';

export interface RunningTransforms {
  stop(): Promise<void>;
}

export interface TransformOptions {
  /** The clock of time-dependent figures (SLA); tests inject one to let time pass. */
  now?: () => number;
}

/** Starts the transform consumers; offsets are committed only after their results are stored. */
export async function startTransforms(
  config: Config,
  logger: Logger,
  options: TransformOptions = {},
): Promise<RunningTransforms> {
  const log = logger.child({ component: 'transforms' });
  // Read first: a bad policies or calendars file stops the start with its exact error.
  const sla = loadSlaSettings(config);
  const metrics = createPipelineMetrics('baton-transforms');
  const metricsServer =
    config.METRICS_PORT > 0
      ? await serveMetrics(metrics.registry, config.METRICS_HOST, config.METRICS_PORT)
      : null;
  const bus = createMessageBus(config, log, {
    fetchMaxBytes: config.TRANSFORM_FETCH_MAX_BYTES,
    sessionTimeoutMs: config.TRANSFORM_SESSION_TIMEOUT_MS,
  });
  const ch = createClickHouse(config, { application: 'baton-transforms' });
  await bus.ensureTopics(allTopics(config));
  const deadLetters = await bus.createProducer();
  const lifecycle = new HistoryTransform({
    family: ticketFamily,
    projections: ticketProjections(sla),
    ch,
    deadLetters,
    deadLetterTopic: topicName(config, 'deadLetter'),
    logger: log,
    now: options.now,
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
  // Roster: one agent's events share a partition, so its membership periods are rebuilt in order.
  const roster = new HistoryTransform({
    family: rosterFamily,
    projections: rosterProjections,
    ch,
    deadLetters,
    deadLetterTopic: topicName(config, 'deadLetter'),
    logger: log,
  });
  const rosterConsumer = await bus.runConsumer({
    groupId: `${config.TRANSFORM_GROUP_ID}.roster`,
    topics: [topicName(config, 'rosterEvents')],
    fromBeginning: true,
    onAssignment: () => roster.forgetCachedHistories(),
    handleBatch: async (batch) => {
      const timer = metrics.batchSeconds.startTimer({ step: 'roster' });
      const result = await roster.handleBatch(batch);
      timer();
      metrics.eventsIn.inc({ topic: batch.topic }, batch.messages.length);
      metrics.deadLettered.inc({ topic: batch.topic }, result.deadLettered);
      metrics.rowsWritten.inc({ table: 'roster_events' }, result.events);
      for (const [table, n] of Object.entries(result.rowsWritten)) metrics.rowsWritten.inc({ table }, n);
      log.debug({ partition: batch.partition, ...result }, 'roster batch stored');
    },
  });
  // Field jobs: one job's events share a partition, so its facts are rebuilt from its whole history.
  const field = new HistoryTransform({
    family: fieldJobFamily,
    projections: fieldJobProjections,
    ch,
    deadLetters,
    deadLetterTopic: topicName(config, 'deadLetter'),
    logger: log,
  });
  const fieldConsumer = await bus.runConsumer({
    groupId: `${config.TRANSFORM_GROUP_ID}.field`,
    topics: [topicName(config, 'fieldJobEvents')],
    fromBeginning: true,
    onAssignment: () => field.forgetCachedHistories(),
    handleBatch: async (batch) => {
      const timer = metrics.batchSeconds.startTimer({ step: 'field' });
      const result = await field.handleBatch(batch);
      timer();
      metrics.eventsIn.inc({ topic: batch.topic }, batch.messages.length);
      metrics.deadLettered.inc({ topic: batch.topic }, result.deadLettered);
      metrics.rowsWritten.inc({ table: 'field_job_events' }, result.events);
      for (const [table, n] of Object.entries(result.rowsWritten)) metrics.rowsWritten.inc({ table }, n);
      log.debug({ partition: batch.partition, ...result }, 'field batch stored');
    },
  });
  const slaSweep = startSlaSweep({
    ch,
    settings: sla,
    logger: log,
    intervalSeconds: config.SLA_SWEEP_INTERVAL_SECONDS,
    pageSize: config.SLA_SWEEP_PAGE_SIZE,
    now: options.now,
  });
  log.info('transforms running');
  return {
    async stop() {
      await slaSweep.stop();
      await consumer.stop();
      await rosterConsumer.stop();
      await fieldConsumer.stop();
      metricsServer?.close();
      await bus.close();
      await ch.close();
    },
  };
}
