import { z } from 'zod';
import {
  dimension,
  eventId,
  fieldProblems,
  holdReasonSchema,
  identifier,
  isoUtc,
  prioritySchema,
  type TicketEvent,
  type TicketStatus,
  ticketEventSchema,
  ticketStatusSchema,
  tierSchema,
} from '../../core/events/index.js';
import { dlq, type Outcome, ok } from '../../core/outcome.js';

// Snapshot diffing for sources that only deliver a record's current state (a Table API, an export):
// the normalised snapshot is compared with the last one seen for the same record and the difference
// becomes canonical change events. Pure: the caller loads the last-seen snapshot and stores the new
// one only after the events were acknowledged, so a crash in between derives the same events again,
// with the same ids. Ids are `<source>:ticket:<sourceKey>:created` for the creation and
// `<source>:ticket:<sourceKey>:<changeKey>.<kind>` for the rest (`created.<kind>` when the first
// snapshot is the record as created), kinds `assigned`, `priority`, `status`, `reopened`,
// `resolved`, `closed`, `cancelled` — the scheme ServiceNow's webhook converter shares.

/** A ticket's current state, already normalised, with the vendor's own values beside. */
export const ticketSnapshotSchema = z.object({
  /** The ticket as people and exports name it (ServiceNow `number`); may change on renumbering. */
  ticketId: identifier,
  /** The vendor's immutable record key (ServiceNow `sys_id`): event ids are built from it. */
  sourceKey: identifier,
  /** Grows with every change of the record (ServiceNow sys_mod_count); older snapshots are ignored. */
  version: z.number().int().nonnegative(),
  /** The change's name in event ids (`<source>:ticket:<sourceKey>:<changeKey>.<kind>`). */
  changeKey: z.string().min(1).max(100),
  /** The record as created (no change since): first-sight events are `created.<kind>`, as at an insert. */
  atCreation: z.boolean().optional(),
  createdAt: isoUtc,
  updatedAt: isoUtc,
  resolvedAt: isoUtc.optional(),
  closedAt: isoUtc.optional(),
  status: ticketStatusSchema,
  originalStatus: z.string().optional(),
  holdReason: holdReasonSchema.optional(),
  priority: prioritySchema,
  originalPriority: z.string().optional(),
  customer: dimension,
  region: dimension,
  originalRegion: z.string().optional(),
  team: dimension.optional(),
  /** The region of the assignment (the team's own, else the ticket's); default `region`. */
  teamRegion: dimension.optional(),
  originalTeam: z.string().optional(),
  tier: tierSchema.optional(),
  agent: identifier.optional(),
  site: dimension.optional(),
  category: dimension.optional(),
  channel: z.enum(['phone', 'email', 'portal', 'chat', 'monitoring', 'other']).optional(),
});

export type TicketSnapshot = z.infer<typeof ticketSnapshotSchema>;

export interface DiffContext {
  source: string;
  tenant: string;
  receivedAt: string;
}

const terminal = new Set<TicketStatus>(['resolved', 'closed', 'cancelled']);

/**
 * The events that turn `previous` (undefined: never seen) into `next`. Returns no events when
 * `next` is not newer than `previous`. Every event is validated; an invalid one dead-letters the record.
 */
export function diffTicketSnapshot(
  previous: TicketSnapshot | undefined,
  next: TicketSnapshot,
  ctx: DiffContext,
): Outcome<TicketEvent[]> {
  if (previous && next.version <= previous.version) return ok([]);
  return ticketChangeEvents(previous, next, ctx);
}

/**
 * The events that turn `previous` into `next` whatever their versions: for sources that deliver both
 * states of one change together (a ServiceNow business rule's `previous` and `current`).
 */
export function ticketChangeEvents(
  previous: TicketSnapshot | undefined,
  next: TicketSnapshot,
  ctx: DiffContext,
): Outcome<TicketEvent[]> {
  const events: Record<string, unknown>[] = [];
  const add = (change: string, occurredAt: string, body: Record<string, unknown>) => {
    const defined = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    events.push({
      eventId: eventId(ctx.source, 'ticket', next.sourceKey, change),
      schemaVersion: 1,
      source: ctx.source,
      tenant: ctx.tenant,
      ticketId: next.ticketId,
      occurredAt,
      receivedAt: ctx.receivedAt,
      ...defined,
    });
  };
  const created = !previous && next.atCreation === true;
  const at = (kind: string) => `${created ? 'created' : next.changeKey}.${kind}`;
  const assignmentRegion = (s: TicketSnapshot) => s.teamRegion ?? s.region;
  const assignment = (s: TicketSnapshot) => ({
    team: s.team,
    region: assignmentRegion(s),
    tier: s.tier,
    agent: s.agent,
    originalTeam: s.originalTeam,
    originalRegion: s.originalRegion,
  });

  if (!previous) {
    // First sight. The creation's id does not depend on the version it was first seen at.
    add('created', next.createdAt, {
      type: 'ticket.created',
      customer: next.customer,
      region: next.region,
      priority: next.priority,
      originalPriority: next.originalPriority,
      originalRegion: next.originalRegion,
      site: next.site,
      category: next.category,
      channel: next.channel,
      team: next.team,
      tier: next.tier,
    });
    // At creation the assignment dates from the creation; first seen later, from that version.
    if (next.team)
      add(at('assigned'), created ? next.createdAt : next.updatedAt, {
        type: 'ticket.assigned',
        ...assignment(next),
      });
  } else {
    const moved =
      next.team !== previous.team ||
      assignmentRegion(next) !== assignmentRegion(previous) ||
      next.tier !== previous.tier ||
      next.agent !== previous.agent;
    // A record left without a team is not an assignment; its next team will be.
    if (moved && next.team)
      add(at('assigned'), next.updatedAt, { type: 'ticket.assigned', ...assignment(next) });
    if (next.priority !== previous.priority || next.originalPriority !== previous.originalPriority) {
      add(at('priority'), next.updatedAt, {
        type: 'ticket.priority_changed',
        priority: next.priority,
        originalPriority: next.originalPriority,
      });
    }
  }

  const before = previous?.status ?? 'new';
  const statusChanged =
    before !== next.status ||
    (previous !== undefined &&
      (previous.holdReason !== next.holdReason || previous.originalStatus !== next.originalStatus));
  if (statusChanged) {
    add(at('status'), next.updatedAt, {
      type: 'ticket.status_changed',
      status: next.status,
      originalStatus: next.originalStatus,
      holdReason: next.holdReason,
    });
    if (terminal.has(before) && !terminal.has(next.status)) {
      add(at('reopened'), next.updatedAt, { type: 'ticket.reopened' });
    }
    // A ticket seen closed without having been seen resolved was resolved in between.
    if (
      (next.status === 'resolved' || next.status === 'closed') &&
      before !== 'resolved' &&
      before !== 'closed'
    ) {
      add(at('resolved'), next.resolvedAt ?? next.updatedAt, { type: 'ticket.resolved' });
    }
    if (next.status === 'closed' && before !== 'closed') {
      add(at('closed'), next.closedAt ?? next.updatedAt, { type: 'ticket.closed' });
    }
    if (next.status === 'cancelled' && before !== 'cancelled') {
      add(at('cancelled'), next.updatedAt, { type: 'ticket.cancelled' });
    }
  }

  const parsed = z.array(ticketEventSchema).safeParse(events);
  if (!parsed.success)
    return dlq('the record does not make valid canonical events', fieldProblems(parsed.error));
  return ok(parsed.data);
}
