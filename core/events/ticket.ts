import { z } from 'zod';
import { baseFields, dimension, identifier, SCHEMA_VERSION } from './common.js';

export { eventId, type FieldProblem, fieldProblems } from './common.js';

// Canonical ticket events, schema version 1. Every source (vendor webhook, poller, file import,
// simulator) converts into these; transforms read nothing else.

export const TICKET_SCHEMA_VERSION = SCHEMA_VERSION;

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

const base = { ...baseFields, ticketId: identifier };

export const ticketEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('ticket.created'),
    customer: dimension,
    region: dimension,
    priority: prioritySchema,
    originalPriority: z.string().optional(),
    originalRegion: z.string().optional(),
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
    originalTeam: z.string().optional(),
    originalRegion: z.string().optional(),
    originalTier: z.string().optional(),
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
  z.object({
    ...base,
    type: z.literal('ticket.scope_changed'),
    description: z.string().max(2000).optional(),
  }),
  z.object({ ...base, type: z.literal('ticket.resolved') }),
  z.object({ ...base, type: z.literal('ticket.reopened') }),
  z.object({ ...base, type: z.literal('ticket.closed') }),
  z.object({ ...base, type: z.literal('ticket.cancelled') }),
  // A field job linked to the ticket was dispatched. The field transform writes it to the ticket's
  // topic (id derived from the job event's, so a re-emission is the same event), which lets the
  // ticket's own history see the dispatch as a pickup; a source may send it directly too.
  z.object({
    ...base,
    type: z.literal('ticket.field_dispatched'),
    jobId: identifier,
    engineer: identifier,
    team: dimension.optional(),
  }),
]);

export type TicketEvent = z.infer<typeof ticketEventSchema>;
export type TicketEventType = TicketEvent['type'];
export type TicketEventInput = z.input<typeof ticketEventSchema>;
