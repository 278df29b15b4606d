import type { Config } from '../core/config.js';
import { type DeadLetter, sendDeadLetters } from '../core/dead-letter.js';
import { type CanonicalEvent, entityKey, topicKeyOf } from '../core/events/index.js';
import type { EventProducer, MessageBus } from '../core/kafka.js';
import type { Logger } from '../core/logger.js';
import { type TopicKey, topicName } from '../core/topics.js';

/** Most bytes of records sent at once, below the broker's default `message.max.bytes` of 1 MiB. */
const MAX_SEND_BYTES = 900_000;

/** Kafka did not acknowledge a write: the caller should retry later (HTTP 503, exit code, ...). */
export class KafkaUnavailableError extends Error {
  override readonly name = 'KafkaUnavailableError';
}

/** Where every connector puts what it produced: canonical events and dead letters, acks=all. */
export interface EventSink {
  emit(events: readonly CanonicalEvent[]): Promise<void>;
  deadLetter(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

export function createEventSink(
  config: Pick<Config, 'KAFKA_TOPIC_PREFIX'>,
  bus: MessageBus,
  logger: Logger,
  opts: { chunkSize?: number } = {},
): EventSink {
  const chunkSize = opts.chunkSize ?? 2_000;
  let producer: Promise<EventProducer> | null = null;
  const getProducer = () => {
    producer ??= bus.createProducer().catch((err: unknown) => {
      producer = null; // the next call tries to connect again
      throw err;
    });
    return producer;
  };
  const send = async (topic: string, messages: { key: string; value: string }[]) => {
    try {
      const p = await getProducer();
      for (let i = 0; i < messages.length; ) {
        // Bounded by bytes too: the broker refuses a record batch over its limit (1 MiB by
        // default), and one entity's events all go to one partition's batch.
        let end = i;
        let bytes = 0;
        while (end < messages.length && end - i < chunkSize) {
          const m = messages[end]!;
          const size = Buffer.byteLength(m.value, 'utf8') + Buffer.byteLength(m.key, 'utf8') + 64;
          if (end > i && bytes + size > MAX_SEND_BYTES) break;
          bytes += size;
          end++;
        }
        await p.send(topic, messages.slice(i, end));
        i = end;
      }
    } catch (err) {
      logger.warn({ err, topic }, 'kafka write failed');
      throw new KafkaUnavailableError(
        `Kafka did not acknowledge the write to ${topic}: ${(err as Error).message}`,
      );
    }
  };

  return {
    async emit(events) {
      const byTopic = new Map<TopicKey, { key: string; value: string }[]>();
      for (const e of events) {
        const k = topicKeyOf(e);
        const list = byTopic.get(k) ?? [];
        list.push({ key: entityKey(e), value: JSON.stringify(e) });
        byTopic.set(k, list);
      }
      for (const [k, messages] of byTopic) await send(topicName(config, k), messages);
    },
    async deadLetter(letters) {
      if (letters.length === 0) return;
      const topic = topicName(config, 'deadLetter');
      // Grouped by size, not count: a few big letters would exceed the broker's batch limit.
      await sendDeadLetters({ send: (_t, messages) => send(topic, messages) }, topic, letters);
    },
    async close() {
      if (producer) await (await producer.catch(() => null))?.disconnect();
    },
  };
}
