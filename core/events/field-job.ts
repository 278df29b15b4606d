import { z } from 'zod';
import { baseFields, dimension, identifier, isoUtc } from './common.js';
import { prioritySchema } from './ticket.js';

// Canonical field-job (dispatch) events, schema version 1.

const base = { ...baseFields, jobId: identifier };

export const fieldJobEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('job.created'),
    ticketId: identifier.optional(),
    customer: dimension.optional(),
    site: dimension,
    region: dimension,
    originalRegion: z.string().optional(),
    priority: prioritySchema.optional(),
    plannedStart: isoUtc.optional(),
    plannedEnd: isoUtc.optional(),
  }),
  z.object({ ...base, type: z.literal('job.scheduled'), plannedStart: isoUtc, plannedEnd: isoUtc }),
  z.object({ ...base, type: z.literal('job.dispatched'), engineer: identifier, team: dimension.optional() }),
  z.object({ ...base, type: z.literal('job.en_route') }),
  z.object({ ...base, type: z.literal('job.on_site') }),
  z.object({ ...base, type: z.literal('job.access_delayed'), reason: z.string().min(1).max(500) }),
  z.object({ ...base, type: z.literal('job.access_granted') }),
  z.object({ ...base, type: z.literal('job.parts_requested'), part: z.string().max(200).optional() }),
  z.object({
    ...base,
    type: z.literal('job.parts_arrived'),
    part: z.string().max(200).optional(),
    late: z.boolean(),
  }),
  z.object({ ...base, type: z.literal('job.parts_faulty'), part: z.string().max(200).optional() }),
  z.object({ ...base, type: z.literal('job.completed'), fixed: z.boolean() }),
  z.object({ ...base, type: z.literal('job.revisit_required'), reason: z.string().max(500).optional() }),
  z.object({ ...base, type: z.literal('job.scope_changed'), description: z.string().max(2000).optional() }),
  z.object({ ...base, type: z.literal('job.cancelled') }),
]);

export type FieldJobEvent = z.infer<typeof fieldJobEventSchema>;
