import type { FieldJobEvent } from '../../core/events/field-job.js';

// The facts of one field job, derived from its whole event history. Recomputing from the full
// history (rather than patching state) is what places late and out-of-order events correctly.
// Durations are in seconds (millisecond precision); an interval whose end precedes its start
// (source clocks that disagree) counts as 0 rather than as negative time.

export type JobStatus = 'open' | 'completed' | 'cancelled';
export type PartsWaitReason = 'requested' | 'faulty';

export interface JobFacts {
  tenant: string;
  jobId: string;
  /** Number of distinct events the facts were computed from: grows with the history. */
  version: number;
  ticketId: string;
  site: string;
  region: string;
  customer: string;
  priority: string;
  status: JobStatus;
  createdAt: number;
  scheduledAt: number | null;
  plannedStart: number | null;
  plannedEnd: number | null;
  /** First dispatch; `engineer` is the one of the latest dispatch (who holds the job). */
  dispatchedAt: number | null;
  engineer: string;
  dispatches: number;
  firstOnSiteAt: number | null;
  lastOnSiteAt: number | null;
  visits: number;
  completedAt: number | null;
  fixed: boolean;
  cancelledAt: number | null;
  dispatchLatencySeconds: number | null;
  arrivalSeconds: number | null;
  accessDelays: number;
  accessDelaySeconds: number;
  /** Start of an access delay still unresolved when the history ends (open jobs only). */
  accessDelayedSince: number | null;
  hadParts: boolean;
  partsRequests: number;
  /** Time during which at least one part was awaited; null when no part was ever awaited. */
  partsDelaySeconds: number | null;
  partsLate: boolean;
  partsFaulty: number;
  partsWaitingSince: number | null;
  partsWaitingReason: PartsWaitReason | '';
  revisitsRequired: number;
  revisits: number;
  firstTimeFix: boolean;
  plannedSeconds: number | null;
  actualSeconds: number | null;
  scopeChanges: number;
}

// Same-millisecond events apply in lifecycle order, so e.g. a creation precedes its dispatch.
const typeOrder: Record<FieldJobEvent['type'], number> = {
  'job.created': 0,
  'job.scheduled': 1,
  'job.scope_changed': 2,
  'job.dispatched': 3,
  'job.en_route': 4,
  'job.on_site': 5,
  'job.access_delayed': 6,
  'job.access_granted': 7,
  'job.parts_requested': 8,
  'job.parts_arrived': 9,
  'job.parts_faulty': 10,
  'job.revisit_required': 11,
  'job.completed': 12,
  'job.cancelled': 13,
};

export function orderJobEvents(events: readonly FieldJobEvent[]): FieldJobEvent[] {
  const unique = new Map<string, FieldJobEvent>();
  for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  return [...unique.values()].sort(
    (a, b) =>
      Date.parse(a.occurredAt) - Date.parse(b.occurredAt) ||
      typeOrder[a.type] - typeOrder[b.type] ||
      (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0),
  );
}

const seconds = (from: number, to: number) => Math.max(0, to - from) / 1000;

interface PartWait {
  key: string;
  since: number;
  reason: PartsWaitReason;
}

/** Returns null until the job's creation event has arrived: without it region and site are unknown. */
export function computeJobFacts(events: readonly FieldJobEvent[]): JobFacts | null {
  const ordered = orderJobEvents(events);
  const created = ordered.find((e) => e.type === 'job.created');
  if (created?.type !== 'job.created') return null;
  const createdAt = Date.parse(created.occurredAt);

  const f: JobFacts = {
    tenant: created.tenant,
    jobId: created.jobId,
    version: ordered.length,
    ticketId: created.ticketId ?? '',
    site: created.site,
    region: created.region,
    customer: created.customer ?? '',
    priority: created.priority ?? '',
    status: 'open',
    createdAt,
    scheduledAt: null,
    plannedStart: created.plannedStart ? Date.parse(created.plannedStart) : null,
    plannedEnd: created.plannedEnd ? Date.parse(created.plannedEnd) : null,
    dispatchedAt: null,
    engineer: '',
    dispatches: 0,
    firstOnSiteAt: null,
    lastOnSiteAt: null,
    visits: 0,
    completedAt: null,
    fixed: false,
    cancelledAt: null,
    dispatchLatencySeconds: null,
    arrivalSeconds: null,
    accessDelays: 0,
    accessDelaySeconds: 0,
    accessDelayedSince: null,
    hadParts: false,
    partsRequests: 0,
    partsDelaySeconds: null,
    partsLate: false,
    partsFaulty: 0,
    partsWaitingSince: null,
    partsWaitingReason: '',
    revisitsRequired: 0,
    revisits: 0,
    firstTimeFix: false,
    plannedSeconds: null,
    actualSeconds: null,
    scopeChanges: 0,
  };

  // Access: one delay at a time; a second report while one is open is the same delay.
  let accessSince: number | null = null;
  const endAccessDelay = (at: number) => {
    if (accessSince === null) return;
    f.accessDelaySeconds += seconds(accessSince, at);
    accessSince = null;
  };
  // Parts: waits per part name; the parts delay is the time at least one wait was open, so two
  // parts awaited together count once.
  const waits: PartWait[] = [];
  let partsDelayMs = 0;
  let waitingSince: number | null = null;
  const openWait = (key: string, at: number, reason: PartsWaitReason) => {
    if (waits.some((w) => w.key === key)) return;
    if (waits.length === 0) waitingSince = at;
    waits.push({ key, since: at, reason });
  };
  const closeWait = (index: number, at: number) => {
    waits.splice(index, 1);
    if (waits.length === 0 && waitingSince !== null) {
      partsDelayMs += Math.max(0, at - waitingSince);
      waitingSince = null;
    }
  };
  // A new visit starts at an on_site that follows the start, a dispatch, an en_route, a
  // completion or a revisit request; repeated on_site reports within one visit are one visit.
  let visitOpen = false;

  for (const e of ordered) {
    const at = Date.parse(e.occurredAt);
    switch (e.type) {
      case 'job.created':
        break;
      case 'job.scheduled':
        f.scheduledAt ??= at;
        f.plannedStart = Date.parse(e.plannedStart);
        f.plannedEnd = Date.parse(e.plannedEnd);
        break;
      case 'job.dispatched':
        f.dispatchedAt ??= at;
        f.engineer = e.engineer;
        f.dispatches += 1;
        visitOpen = false;
        if (f.status === 'completed') [f.status, f.completedAt] = ['open', null];
        break;
      case 'job.en_route':
        visitOpen = false;
        break;
      case 'job.on_site':
        endAccessDelay(at);
        f.firstOnSiteAt ??= at;
        f.lastOnSiteAt = at;
        if (!visitOpen) f.visits += 1;
        visitOpen = true;
        if (f.status === 'completed') [f.status, f.completedAt] = ['open', null];
        break;
      case 'job.access_delayed':
        if (accessSince === null) {
          accessSince = at;
          f.accessDelays += 1;
        }
        break;
      case 'job.access_granted':
        endAccessDelay(at);
        break;
      case 'job.parts_requested':
        f.hadParts = true;
        f.partsRequests += 1;
        openWait(e.part ?? '', at, 'requested');
        break;
      case 'job.parts_arrived': {
        f.hadParts = true;
        if (e.late) f.partsLate = true;
        // The wait for this part, else (unnamed or unmatched) the oldest wait.
        const exact = waits.findIndex((w) => w.key === (e.part ?? ''));
        const index = exact >= 0 ? exact : waits.length > 0 ? 0 : -1;
        if (index >= 0) closeWait(index, at);
        break;
      }
      case 'job.parts_faulty':
        // The part that came is unusable: the job waits again, for its replacement.
        f.hadParts = true;
        f.partsFaulty += 1;
        openWait(e.part ?? '', at, 'faulty');
        break;
      case 'job.revisit_required':
        f.revisitsRequired += 1;
        visitOpen = false;
        if (f.status === 'completed') [f.status, f.completedAt] = ['open', null];
        break;
      case 'job.scope_changed':
        f.scopeChanges += 1;
        break;
      case 'job.completed':
        if (f.status === 'cancelled') break;
        endAccessDelay(at);
        [f.status, f.completedAt, f.fixed] = ['completed', at, e.fixed];
        visitOpen = false;
        break;
      case 'job.cancelled':
        endAccessDelay(at);
        [f.status, f.cancelledAt] = ['cancelled', at];
        break;
    }
  }

  // A wait for parts outlives an unfixed completion (a revisit may follow) and ends only when the
  // job is closed for good: at its final completion or cancellation.
  const closedAt = f.status === 'completed' ? f.completedAt : f.status === 'cancelled' ? f.cancelledAt : null;
  if (closedAt !== null) while (waits.length > 0) closeWait(0, closedAt);
  // Still-open blocks stay open: their age depends on when one looks, so it is left to the reader.
  f.accessDelayedSince = accessSince;
  f.partsWaitingSince = waitingSince;
  f.partsWaitingReason = waits[0]?.reason ?? '';
  const everWaited = f.partsRequests > 0 || f.partsFaulty > 0;
  f.partsDelaySeconds = everWaited ? partsDelayMs / 1000 : null;

  if (f.dispatchedAt !== null) f.dispatchLatencySeconds = seconds(createdAt, f.dispatchedAt);
  if (f.dispatchedAt !== null && f.firstOnSiteAt !== null) {
    f.arrivalSeconds = seconds(f.dispatchedAt, f.firstOnSiteAt);
  }
  f.revisits = Math.max(f.revisitsRequired, f.visits - 1);
  f.firstTimeFix = f.status === 'completed' && f.fixed && f.revisits === 0;
  if (f.plannedStart !== null && f.plannedEnd !== null) {
    f.plannedSeconds = seconds(f.plannedStart, f.plannedEnd);
  }
  if (f.completedAt !== null && f.firstOnSiteAt !== null) {
    f.actualSeconds = seconds(f.firstOnSiteAt, f.completedAt);
  }
  return f;
}
