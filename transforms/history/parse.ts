import type { z } from 'zod';
import { fieldProblems } from '../../core/events/common.js';
import type { IncomingMessage } from '../../core/kafka.js';
import { dlq, type Outcome, ok } from '../../core/outcome.js';

/**
 * A parser of one event family's Kafka records: the record to a canonical event, or the precise
 * reason it is unusable (empty, not JSON, not the family's schema, keyed by another entity).
 */
export function eventMessageParser<S extends z.ZodType>(
  schema: S,
  family: string,
  keyField: string,
  keyOf: (event: z.infer<S>) => string,
): (message: IncomingMessage) => Outcome<z.infer<S>> {
  return (message) => {
    if (!message.value || message.value.length === 0) return dlq('empty record');
    let json: unknown;
    try {
      json = JSON.parse(message.value.toString('utf8'));
    } catch (err) {
      return dlq(`invalid JSON: ${(err as Error).message}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return dlq(`not a canonical ${family} event v1`, fieldProblems(parsed.error));
    const key = keyOf(parsed.data);
    // Without the entity key a record may sit on another partition than the entity's other events,
    // where another instance could rebuild the same entity concurrently from a partial history.
    if (message.key === null)
      return dlq(`record has no key; it must be the ${keyField} ${JSON.stringify(key)}`);
    if (message.key !== key) {
      return dlq(`record key ${JSON.stringify(message.key)} is not the ${keyField} ${JSON.stringify(key)}`);
    }
    return ok(parsed.data);
  };
}
