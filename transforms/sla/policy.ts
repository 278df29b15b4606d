import { z } from 'zod';
import { dimension } from '../../core/events/common.js';
import { holdReasonSchema, type Priority, prioritySchema } from '../../core/events/ticket.js';

// SLA policies: which targets apply to a ticket, in which business time.

export const slaPolicySchema = z.object({
  id: z.string().min(1).max(100),
  /** Every given field must equal the ticket's; an empty match is a default. */
  match: z
    .object({
      tenant: dimension.optional(),
      customer: dimension.optional(),
      priority: prioritySchema.optional(),
    })
    .strict()
    .default({}),
  responseTargetSeconds: z.number().int().positive(),
  resolutionTargetSeconds: z.number().int().positive(),
  /** A calendar id, or `owner`: the calendar of whichever region owns the ticket, segment by segment. */
  calendar: z.string().min(1),
  pauseOnHoldReasons: z.array(holdReasonSchema).default(['customer', 'vendor']),
  /**
   * Longest wait between two public updates of an open ticket, in business hours of the policy's
   * calendar (update staleness); when absent, the default of the ticket's priority.
   */
  updateIntervalBusinessHours: z.number().positive().max(10_000).optional(),
});

export type SlaPolicy = z.output<typeof slaPolicySchema>;

function matchKey(p: SlaPolicy): string {
  return JSON.stringify([p.match.tenant ?? null, p.match.customer ?? null, p.match.priority ?? null]);
}

export const slaPolicySetSchema = z.array(slaPolicySchema).superRefine((policies, ctx) => {
  const ids = new Set<string>();
  const matches = new Map<string, string>();
  policies.forEach((p, i) => {
    if (ids.has(p.id))
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate policy id ${p.id}` });
    ids.add(p.id);
    const key = matchKey(p);
    const other = matches.get(key);
    if (other !== undefined)
      ctx.addIssue({ code: 'custom', path: [i, 'match'], message: `same match as policy ${other}` });
    else matches.set(key, p.id);
  });
});

export interface TicketAttributes {
  tenant: string;
  customer: string;
  priority: Priority;
}

/**
 * Specificity of a policy's match: customer (4) outranks priority (2) outranks tenant (1), so
 * customer+priority > customer > priority > tenant > default. Each combination of fields has its
 * own score, and the set schema forbids two policies with the same match, so the winner is unique.
 */
export function specificity(p: SlaPolicy): number {
  return (p.match.customer ? 4 : 0) + (p.match.priority ? 2 : 0) + (p.match.tenant ? 1 : 0);
}

/** The most specific policy whose match fits the ticket, or null when none does. */
export function matchPolicy(policies: readonly SlaPolicy[], ticket: TicketAttributes): SlaPolicy | null {
  let best: SlaPolicy | null = null;
  for (const p of policies) {
    const m = p.match;
    if (m.tenant !== undefined && m.tenant !== ticket.tenant) continue;
    if (m.customer !== undefined && m.customer !== ticket.customer) continue;
    if (m.priority !== undefined && m.priority !== ticket.priority) continue;
    if (!best || specificity(p) > specificity(best)) best = p;
  }
  return best;
}

/**
 * Update interval when a policy sets none, in business hours: a critical ticket (usually on a
 * 24x7 calendar) hears every hour, a low one every two business days of 10 h.
 */
export const defaultUpdateIntervalHours: Readonly<Record<Priority, number>> = {
  critical: 1,
  high: 4,
  medium: 10,
  low: 20,
};

/** The update interval of a ticket under a policy, in whole milliseconds. */
export function updateIntervalMs(policy: SlaPolicy, priority: Priority): number {
  return Math.round((policy.updateIntervalBusinessHours ?? defaultUpdateIntervalHours[priority]) * 3_600_000);
}

const MINUTE = 60;
const HOUR = 3600;
/** A business day of the default calendars (08:00-18:00). */
const BUSINESS_DAY = 10 * HOUR;

/**
 * Demo policies. Critical tickets are worked around the clock (24x7); the others follow the
 * owning region's business calendar, so a follow-the-sun handover shows whose hours the clock
 * ran in. `globex` has a premium contract for high priority.
 */
export const defaultSlaPolicies: SlaPolicy[] = slaPolicySetSchema.parse([
  {
    id: 'critical',
    match: { priority: 'critical' },
    responseTargetSeconds: 15 * MINUTE,
    resolutionTargetSeconds: 4 * HOUR,
    calendar: '24x7',
  },
  {
    id: 'high',
    match: { priority: 'high' },
    responseTargetSeconds: HOUR,
    resolutionTargetSeconds: 8 * HOUR,
    calendar: 'owner',
  },
  {
    id: 'medium',
    match: { priority: 'medium' },
    responseTargetSeconds: 4 * HOUR,
    resolutionTargetSeconds: 3 * BUSINESS_DAY,
    calendar: 'owner',
  },
  {
    id: 'low',
    match: { priority: 'low' },
    responseTargetSeconds: 8 * HOUR,
    resolutionTargetSeconds: 5 * BUSINESS_DAY,
    calendar: 'owner',
  },
  {
    id: 'globex-high',
    match: { customer: 'globex', priority: 'high' },
    responseTargetSeconds: 30 * MINUTE,
    resolutionTargetSeconds: 4 * HOUR,
    calendar: 'owner',
  },
  {
    id: 'default',
    match: {},
    responseTargetSeconds: 4 * HOUR,
    resolutionTargetSeconds: 3 * BUSINESS_DAY,
    calendar: 'owner',
  },
]);
