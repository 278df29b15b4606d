import type { TicketEvent, TicketStatus } from '../../../core/events/index.js';

/** Fields every canonical ticket event of one vendor change shares. */
export interface Common {
  schemaVersion: 1;
  source: string;
  tenant: string;
  ticketId: string;
  receivedAt: string;
}

type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A ticket event without the fields `Common` supplies. */
export type TicketEventBody = Without<TicketEvent, keyof Common>;

export function ticketEvent(common: Common, body: TicketEventBody): TicketEvent {
  return { ...common, ...body } as TicketEvent;
}

const finished = new Set<TicketStatus>(['resolved', 'closed']);

/**
 * The lifecycle event a status transition implies besides `ticket.status_changed`: resolved,
 * closed and cancelled on entering those states, reopened on leaving resolved/closed for work.
 */
export function lifecycleType(
  previous: TicketStatus | undefined,
  next: TicketStatus,
): 'ticket.resolved' | 'ticket.closed' | 'ticket.cancelled' | 'ticket.reopened' | null {
  if (previous === next) return null;
  if (next === 'resolved') return 'ticket.resolved';
  if (next === 'closed') return 'ticket.closed';
  if (next === 'cancelled') return 'ticket.cancelled';
  if (previous && finished.has(previous)) return 'ticket.reopened';
  return null;
}

/** `2024-05-01 09:30:00` (ServiceNow's UTC internal format) or ISO-8601 → ISO UTC; null if invalid. */
export function toIsoUtc(value: string | number): string | null {
  const text = typeof value === 'number' ? value : value.trim();
  const ms =
    typeof text === 'number'
      ? text
      : /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)
        ? Date.parse(`${text.replace(' ', 'T')}Z`)
        : /(?:Z|[+-]\d{2}:?\d{2})$/.test(text)
          ? Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
          : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
