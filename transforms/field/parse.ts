import { fieldProblems } from '../../core/events/common.js';
import { type FieldJobEvent, fieldJobEventSchema } from '../../core/events/field-job.js';
import type { IncomingMessage } from '../../core/kafka.js';
import { dlq, type Outcome, ok } from '../../core/outcome.js';

/** A Kafka record to a canonical field-job event, or the precise reason it is unusable. */
export function parseFieldJobMessage(message: IncomingMessage): Outcome<FieldJobEvent> {
  if (!message.value || message.value.length === 0) return dlq('empty record');
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return dlq(`invalid JSON: ${(err as Error).message}`);
  }
  const parsed = fieldJobEventSchema.safeParse(json);
  if (!parsed.success) return dlq('not a canonical field-job event v1', fieldProblems(parsed.error));
  if (message.key !== null && message.key !== parsed.data.jobId) {
    return dlq(
      `record key ${JSON.stringify(message.key)} is not the jobId ${JSON.stringify(parsed.data.jobId)}`,
    );
  }
  return ok(parsed.data);
}
