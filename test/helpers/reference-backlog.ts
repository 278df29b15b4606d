import type { TicketEvent } from '../../core/events/ticket.js';

// The tests' own backlog calculation, independent of the transform: slow and obvious on purpose.

/** region → [backlog at bucket end, inflow, outflow] per bucket. */
export type CompactBacklog = Record<string, [number, number, number][]>;

const terminal = new Set<TicketEvent['type']>(['ticket.resolved', 'ticket.closed', 'ticket.cancelled']);

/** Each ticket's events in time order (a stable sort: same-instant events keep their order). */
export function ticketsById(events: readonly TicketEvent[]): Map<string, TicketEvent[]> {
  const out = new Map<string, TicketEvent[]>();
  for (const e of events) out.set(e.ticketId, [...(out.get(e.ticketId) ?? []), e]);
  for (const h of out.values()) h.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
  return out;
}

/**
 * For every bucket end, replays each ticket's events that happened before it and counts the open
 * tickets of each region; inflow and outflow count the creations, reopens and closings in the bucket.
 */
export function referenceBacklog(
  events: readonly TicketEvent[],
  from: number,
  to: number,
  step: number,
): CompactBacklog {
  const tickets = ticketsById(events);
  const regions = [...new Set(events.flatMap((e) => ('region' in e ? [e.region] : [])))].sort();
  const result: CompactBacklog = Object.fromEntries(regions.map((r) => [r, []]));
  const stateAt = (history: TicketEvent[], before: number) => {
    let open = false;
    let region = '';
    for (const e of history) {
      if (Date.parse(e.occurredAt) >= before) break;
      if (e.type === 'ticket.created') [open, region] = [true, e.region];
      if (e.type === 'ticket.assigned') region = e.region;
      if (e.type === 'ticket.reopened') open = true;
      if (terminal.has(e.type)) open = false;
    }
    return { open, region };
  };
  for (let start = from; start < to; start += step) {
    const end = Math.min(start + step, to);
    const counts = Object.fromEntries(regions.map((r) => [r, [0, 0, 0] as [number, number, number]]));
    for (const history of tickets.values()) {
      const s = stateAt(history, end);
      if (s.open) counts[s.region]![0]++;
      for (const e of history) {
        const at = Date.parse(e.occurredAt);
        if (at < start || at >= end) continue;
        const before = stateAt(history, at);
        if (e.type === 'ticket.created') counts[e.region]![1]++;
        if (e.type === 'ticket.reopened' && !before.open) counts[before.region]![1]++;
        if (terminal.has(e.type) && before.open) counts[before.region]![2]++;
      }
    }
    for (const r of regions) result[r]!.push(counts[r]!);
  }
  return result;
}
