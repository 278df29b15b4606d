import type { ClickHouseClient } from '../core/clickhouse.js';
import { toClickHouseTime } from '../core/clickhouse.js';
import type { MessageBus } from '../core/kafka.js';
import type { Logger } from '../core/logger.js';
import type { PipelineMetrics } from '../core/metrics.js';
import { tables } from '../core/tables.js';
import { type PeriodicJob, startPeriodic } from './periodic.js';

// Consumer lag as data: every interval, for each consumer group the transforms run and each
// partition of its topic, the log end, the group's committed offset and their difference go to
// `pipeline_stats` (the Pipeline Health dashboard reads it) and to the baton_consumer_lag gauge.
// A sample is a fact about one moment and is never revised, so a failed pass just leaves a gap.

export interface Subscription {
  groupId: string;
  topic: string;
}

export interface PartitionLag {
  groupId: string;
  topic: string;
  partition: number;
  endOffset: number;
  /** -1 when the group has committed nothing on the partition. */
  committedOffset: number;
  lag: number;
}

/**
 * Records the group has yet to commit. A group that committed nothing reads the partition from
 * its start, so all of it counts (records removed by retention would be overstated). A committed
 * offset past the end (the topic was recreated) is no lag.
 */
export function lagOf(endOffset: number, committedOffset: number): number {
  return Math.max(committedOffset < 0 ? endOffset : endOffset - committedOffset, 0);
}

export interface PipelineStatsDeps {
  bus: Pick<MessageBus, 'committedOffsets' | 'endOffsets'>;
  ch: ClickHouseClient;
  subscriptions: readonly Subscription[];
  gauge?: PipelineMetrics['consumerLag'];
  /** Wall clock of the sample: offsets are read now, whatever clock the metrics run on. */
  now?: () => number;
}

/** One sample of every subscription's partitions, stored and set on the gauge. */
export async function sampleOnce(deps: PipelineStatsDeps): Promise<PartitionLag[]> {
  const sampledAt = toClickHouseTime((deps.now ?? Date.now)());
  const out: PartitionLag[] = [];
  const ends = new Map<string, Map<number, string>>();
  for (const { groupId, topic } of deps.subscriptions) {
    let end = ends.get(topic);
    if (!end) {
      end = await deps.bus.endOffsets(topic);
      ends.set(topic, end);
    }
    const committed = await deps.bus.committedOffsets(groupId, topic);
    for (const [partition, high] of [...end].sort(([a], [b]) => a - b)) {
      const endOffset = Number(high);
      const committedOffset = Number(committed.get(partition) ?? '-1');
      out.push({
        groupId,
        topic,
        partition,
        endOffset,
        committedOffset,
        lag: lagOf(endOffset, committedOffset),
      });
    }
  }
  if (out.length > 0) {
    await deps.ch.insert({
      table: tables.pipelineStats,
      format: 'JSONEachRow',
      values: out.map((s) => ({
        sampled_at: sampledAt,
        group_id: s.groupId,
        topic: s.topic,
        partition: s.partition,
        end_offset: s.endOffset,
        committed_offset: s.committedOffset,
        lag: s.lag,
      })),
    });
  }
  for (const s of out) {
    deps.gauge?.set({ group: s.groupId, topic: s.topic, partition: String(s.partition) }, s.lag);
  }
  return out;
}

export function startPipelineStats(
  deps: PipelineStatsDeps & { logger: Logger; intervalSeconds: number },
): PeriodicJob<PartitionLag[]> {
  const log = deps.logger.child({ component: 'pipeline-stats' });
  return startPeriodic('pipeline stats', deps.intervalSeconds, () => sampleOnce(deps), log);
}
