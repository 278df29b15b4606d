import type { Config } from './config.js';

// Every Kafka topic Baton uses, with its version and partition count. Topics are keyed by
// entity id so one ticket's events stay in order on one partition.
export const topicRegistry = {
  ticketEvents: { base: 'baton.ticket-events', version: 1, partitions: 6 },
  fieldJobEvents: { base: 'baton.field-job-events', version: 1, partitions: 6 },
  rosterEvents: { base: 'baton.roster-events', version: 1, partitions: 3 },
  deadLetter: { base: 'baton.dead-letter', version: 1, partitions: 1 },
  // Every alert state transition, keyed by the alert's fingerprint (transforms/alerts).
  alerts: { base: 'baton.alerts', version: 1, partitions: 1 },
} as const;

export type TopicKey = keyof typeof topicRegistry;

export interface TopicSpec {
  key: TopicKey;
  name: string;
  partitions: number;
}

export function topicName(config: Pick<Config, 'KAFKA_TOPIC_PREFIX'>, key: TopicKey): string {
  const t = topicRegistry[key];
  return `${config.KAFKA_TOPIC_PREFIX}${t.base}.v${t.version}`;
}

export function allTopics(config: Pick<Config, 'KAFKA_TOPIC_PREFIX'>): TopicSpec[] {
  return (Object.keys(topicRegistry) as TopicKey[]).map((key) => ({
    key,
    name: topicName(config, key),
    partitions: topicRegistry[key].partitions,
  }));
}
