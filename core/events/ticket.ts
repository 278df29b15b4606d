import { z } from 'zod';

// Canonical ticket events, schema version 1. Every source (vendor webhook, poller, file import,
// simulator) converts into these; transforms read nothing else.

export const TICKET_SCHEMA_VERSION = 1;

const isoUtc = z.iso
  .datetime({ offset: true, precision: undefined })
  .transform((s) => new Date(s).toISOString());
const identifier = z.string().min(1).max(200);
const dimension = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._:/-]*$/u, 'letters, digits, space and . _ : / - only');

export const prioritySchema = z.enum(['critical', 'high', 'medium', 'low']);
export const tierSchema = z.enum(['L1', 'L2', 'L3']);
export const ticketStatusSchema = z.enum([
  'new',
  'open',
  'in_progress',
  'on_hold',
  'resolved',
  'closed',
  'cancelled',
]);
export const holdReasonSchema = z.enum(['customer', 'vendor', 'change', 'other']);
export const escalationKindSchema = z.enum(['tier', 'functional', 'management']);

export type Priority = z.infer<typeof prioritySchema>;
export type Tier = z.infer<typeof tierSchema>;
export type TicketStatus = z.infer<typeof ticketStatusSchema>;

const base = {
  eventId: identifier,
  schemaVersion: z.literal(TICKET_SCHEMA_VERSION),
  source: dimension,
  tenant: dimension,
  ticketId: identifier,
  occurredAt: isoUtc,
  receivedAt: isoUtc,
};

export const ticketEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('ticket.created'),
    customer: dimension,
    region: dimension,
    priority: prioritySchema,
    originalPriority: z.string().optional(),
    site: dimension.optional(),
    category: dimension.optional(),
    channel: z.enum(['phone', 'email', 'portal', 'chat', 'monitoring', 'other']).optional(),
    team: dimension.optional(),
    tier: tierSchema.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('ticket.assigned'),
    team: dimension,
    region: dimension,
    tier: tierSchema.optional(),
    agent: identifier.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('ticket.status_changed'),
    status: ticketStatusSchema,
    originalStatus: z.string().optional(),
    holdReason: holdReasonSchema.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('ticket.priority_changed'),
    priority: prioritySchema,
    originalPriority: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('ticket.escalated'),
    kind: escalationKindSchema,
    toTier: tierSchema.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('ticket.commented'),
    visibility: z.enum(['public', 'internal']),
    team: dimension.optional(),
    agent: identifier.optional(),
  }),
  z.object({ ...base, type: z.literal('ticket.resolved') }),
  z.object({ ...base, type: z.literal('ticket.reopened') }),
  z.object({ ...base, type: z.literal('ticket.closed') }),
  z.object({ ...base, type: z.literal('ticket.cancelled') }),
]);

export type TicketEvent = z.infer<typeof ticketEventSchema>;
export type TicketEventType = TicketEvent['type'];
export type TicketEventInput = z.input<typeof ticketEventSchema>;

/** Deterministic event id: a re-delivered change of the same source record gets the same id. */
export function eventId(
  source: string,
  entity: 'ticket' | 'job' | 'agent',
  sourceKey: string,
  change: string,
): string {
  return `${source}:${entity}:${sourceKey}:${change}`;
}

export interface FieldProblem {
  path: string;
  message: string;
}

/** zod issues as `path: reason` pairs, paths in the `a.b[0].c` form users see in their payloads. */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.reduce<string>(
      (acc, part) =>
        typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
      '',
    ),
    message: issue.message,
  }));
}
