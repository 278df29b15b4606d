import { z } from 'zod';
import { baseFields, dimension, identifier, isoUtc } from './common.js';
import { tierSchema } from './ticket.js';

// Canonical roster events, schema version 1: who is in which team and region, at what FTE, and
// when they are on shift. Headcount per region comes from these.

const base = { ...baseFields, agentId: identifier };

export const rosterEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('roster.member_joined'),
    team: dimension,
    region: dimension,
    role: dimension,
    tier: tierSchema.optional(),
    fte: z.number().gt(0).max(1),
  }),
  z.object({ ...base, type: z.literal('roster.member_left') }),
  z.object({
    ...base,
    type: z.literal('roster.shift'),
    region: dimension,
    team: dimension.optional(),
    start: isoUtc,
    end: isoUtc,
  }),
]);

export type RosterEvent = z.infer<typeof rosterEventSchema>;
