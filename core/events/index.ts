import { z } from 'zod';
import type { TopicKey } from '../topics.js';
import { type FieldJobEvent, fieldJobEventSchema } from './field-job.js';
import { type RosterEvent, rosterEventSchema } from './roster.js';
import { type TicketEvent, ticketEventSchema } from './ticket.js';

export * from './common.js';
export * from './field-job.js';
export * from './roster.js';
export * from './ticket.js';

/** Any canonical event; the `type` prefix (ticket., job., roster.) names its family. */
export const canonicalEventSchema = z.union([ticketEventSchema, fieldJobEventSchema, rosterEventSchema]);
export type CanonicalEvent = TicketEvent | FieldJobEvent | RosterEvent;

const families = {
  ticket: { schema: ticketEventSchema, topic: 'ticketEvents' },
  job: { schema: fieldJobEventSchema, topic: 'fieldJobEvents' },
  roster: { schema: rosterEventSchema, topic: 'rosterEvents' },
} as const;

export type EventFamily = keyof typeof families;

/** The family a `type` value belongs to, or null when it names none. */
export function familyOf(type: unknown): EventFamily | null {
  if (typeof type !== 'string') return null;
  const prefix = type.slice(0, type.indexOf('.'));
  return prefix in families ? (prefix as EventFamily) : null;
}

/**
 * Validates one event against its family's schema (picked by the `type` prefix), so errors name
 * the fields of that family instead of every alternative of a union.
 */
export function parseCanonicalEvent(input: unknown): z.ZodSafeParseResult<CanonicalEvent> {
  const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
  const family = familyOf(type);
  if (!family) {
    return canonicalEventSchema.safeParse(
      typeof input === 'object' && input !== null ? { ...input, type: String(type ?? '') } : input,
    );
  }
  return families[family].schema.safeParse(input) as z.ZodSafeParseResult<CanonicalEvent>;
}

/** The entity key that partitions an event's topic: one entity's events stay in order. */
export function entityKey(event: CanonicalEvent): string {
  switch (familyOf(event.type)) {
    case 'ticket':
      return (event as TicketEvent).ticketId;
    case 'job':
      return (event as FieldJobEvent).jobId;
    default:
      return (event as RosterEvent).agentId;
  }
}

export function topicKeyOf(event: CanonicalEvent): TopicKey {
  return families[familyOf(event.type)!].topic;
}
