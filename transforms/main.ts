import { createClickHouse } from '../core/clickhouse.js';
import type { Config } from '../core/config.js';
import { createMessageBus, type RunningConsumer } from '../core/kafka.js';
import type { Logger } from '../core/logger.js';
import { createPipelineMetrics, serveMetrics } from '../core/metrics.js';
import { tables } from '../core/tables.js';
import { allTopics, type TopicKey, topicName } from '../core/topics.js';
import { type Alerting, loadAlertingSettings, startAlerting } from './alerts/index.js';
import { type BacklogRollup, startBacklogRollup, startRegionRollups } from './backlog/materialise.js';
import { fieldJobFamily, fieldJobProjections } from './field/family.js';
import { linkDispatchesToTickets } from './field/ticket-link.js';
import {
  type EntityEvent,
  type EntityFamily,
  HistoryTransform,
  type Projection,
} from './history/transform.js';
import { markBacklogDirty } from './lifecycle/backlog-dirty.js';
import { ticketFamily, ticketProjections } from './lifecycle/family.js';
import type { PeriodicJob } from './periodic.js';
import { type PartitionLag, type Subscription, startPipelineStats } from './pipeline-stats.js';
import { rosterFamily, rosterProjections } from './roster/family.js';
import { loadSlaSettings } from './sla/settings.js';
import { startSlaSweep } from './sla/sweep.js';

export interface RunningTransforms {
  /** The alert evaluator and its notifier; null when ALERTS_ENABLED is false. */
  alerts: Alerting | null;
  /** Samples consumer lag into pipeline_stats; tests call `runOnce` instead of waiting. */
  pipelineStats: PeriodicJob<PartitionLag[]>;
  /** The API's region rollups; tests call `materialiseOnce` instead of waiting. */
  regionRollups: BacklogRollup;
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
  const alertSettings = config.ALERTS_ENABLED ? loadAlertingSettings(config) : null;
  const metrics = createPipelineMetrics('baton-transforms');
  const metricsServer =
    config.METRICS_PORT > 0
      ? await serveMetrics(metrics.registry, config.METRICS_HOST, config.METRICS_PORT)
      : null;
  const bus = createMessageBus(config, log, {
    fetchMaxBytes: config.TRANSFORM_FETCH_MAX_BYTES,
    sessionTimeoutMs: config.TRANSFORM_SESSION_TIMEOUT_MS,
    partitionsConcurrently: config.TRANSFORM_PARTITIONS_CONCURRENTLY,
  });
  const ch = createClickHouse(config, { application: 'baton-transforms' });
  await bus.ensureTopics(allTopics(config));
  const deadLetters = await bus.createProducer();
  const subscriptions: Subscription[] = [];
  // One consumer group per entity family: an entity's events share a partition, so its derived
  // rows are rebuilt in order from its whole history.
  const runFamily = async <E extends EntityEvent>(
    name: string,
    family: EntityFamily<E>,
    projections: Projection<E>[],
    topic: TopicKey,
    eventsTable: string,
    beforeStore?: (events: readonly E[]) => Promise<void>,
    afterStore?: (histories: readonly (readonly E[])[], events: readonly E[]) => Promise<void>,
  ): Promise<RunningConsumer> => {
    const transform = new HistoryTransform({
      family,
      projections,
      ch,
      deadLetters,
      deadLetterTopic: topicName(config, 'deadLetter'),
      logger: log,
      cacheMaxBytes: config.HISTORY_CACHE_MAX_MB * 1024 * 1024,
      now: options.now,
      beforeStore,
      afterStore,
    });
    const groupId = `${config.TRANSFORM_GROUP_ID}.${name}`;
    subscriptions.push({ groupId, topic: topicName(config, topic) });
    return bus.runConsumer({
      groupId,
      topics: [topicName(config, topic)],
      fromBeginning: true,
      onAssignment: () => transform.forgetCachedHistories(),
      handleBatch: async (batch) => {
        const timer = metrics.batchSeconds.startTimer({ step: name });
        const result = await transform.handleBatch(batch);
        timer();
        metrics.eventsIn.inc({ topic: batch.topic }, batch.messages.length);
        metrics.deadLettered.inc({ topic: batch.topic }, result.deadLettered);
        metrics.rowsWritten.inc({ table: eventsTable }, result.events);
        for (const [table, n] of Object.entries(result.rowsWritten)) metrics.rowsWritten.inc({ table }, n);
        log.debug({ family: name, partition: batch.partition, ...result }, 'batch stored');
      },
    });
  };
  const consumers = [
    // The backlog rollup's dirty markers are written before the batch's rows (see backlog/materialise.ts).
    await runFamily(
      'lifecycle',
      ticketFamily,
      ticketProjections(sla),
      'ticketEvents',
      tables.ticketEvents,
      (events) => markBacklogDirty(ch, events),
    ),
    await runFamily('roster', rosterFamily, rosterProjections, 'rosterEvents', tables.rosterEvents),
    // A dispatch of a job linked to a ticket is written to the ticket's topic: a handover pickup.
    await runFamily(
      'field',
      fieldJobFamily,
      fieldJobProjections,
      'fieldJobEvents',
      tables.fieldJobEvents,
      undefined,
      linkDispatchesToTickets(deadLetters, topicName(config, 'ticketEvents')),
    ),
  ];
  const slaSweep = startSlaSweep({
    ch,
    settings: sla,
    logger: log,
    intervalSeconds: config.SLA_SWEEP_INTERVAL_SECONDS,
    pageSize: config.SLA_SWEEP_PAGE_SIZE,
    now: options.now,
  });
  const backlogRollup = startBacklogRollup({
    ch,
    logger: log,
    intervalSeconds: config.BACKLOG_ROLLUP_INTERVAL_SECONDS,
    now: options.now,
  });
  const regionRollups = startRegionRollups({
    ch,
    logger: log,
    intervalSeconds: config.REGION_ROLLUP_INTERVAL_SECONDS,
    now: options.now,
  });
  const pipelineStats = startPipelineStats({
    bus,
    ch,
    subscriptions,
    gauge: metrics.consumerLag,
    logger: log,
    intervalSeconds: config.PIPELINE_STATS_INTERVAL_SECONDS,
  });
  const alerts = alertSettings
    ? startAlerting(
        config,
        { ch, producer: await bus.createProducer(), logger: log, now: options.now },
        alertSettings,
      )
    : null;
  log.info('transforms running');
  return {
    alerts,
    pipelineStats,
    regionRollups,
    async stop() {
      await alerts?.stop();
      await pipelineStats.stop();
      await slaSweep.stop();
      await backlogRollup.stop();
      await regionRollups.stop();
      for (const c of consumers) await c.stop();
      metricsServer?.close();
      await bus.close();
      await ch.close();
    },
  };
}
