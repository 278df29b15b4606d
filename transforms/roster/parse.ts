import { type RosterEvent, rosterEventSchema } from '../../core/events/roster.js';
import { eventMessageParser } from '../history/parse.js';

/** A Kafka record to a canonical roster event, or the precise reason it is unusable. */
export const parseRosterMessage = eventMessageParser(
  rosterEventSchema,
  'roster',
  'agentId',
  (e: RosterEvent) => e.agentId,
);
