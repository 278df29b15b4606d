import { fieldProblems } from '../../core/events/common.js';
import { type RosterEvent, rosterEventSchema } from '../../core/events/roster.js';
import type { IncomingMessage } from '../../core/kafka.js';
import { dlq, type Outcome, ok } from '../../core/outcome.js';

/** A Kafka record to a canonical roster event, or the precise reason it is unusable. */
export function parseRosterMessage(message: IncomingMessage): Outcome<RosterEvent> {
  if (!message.value || message.value.length === 0) return dlq('empty record');
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return dlq(`invalid JSON: ${(err as Error).message}`);
  }
  const parsed = rosterEventSchema.safeParse(json);
  if (!parsed.success) return dlq('not a canonical roster event v1', fieldProblems(parsed.error));
  if (message.key !== null && message.key !== parsed.data.agentId) {
    return dlq(
      `record key ${JSON.stringify(message.key)} is not the agentId ${JSON.stringify(parsed.data.agentId)}`,
    );
  }
  return ok(parsed.data);
}
