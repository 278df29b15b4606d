import type { ClickHouseClient } from '../../core/clickhouse.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import { tables } from '../../core/tables.js';

const HOUR = 3_600_000;

// Dirty markers of the backlog rollup (transforms/backlog/materialise.ts): an event at t only
// changes a ticket's periods from t on, so the earliest event of a batch, floored to the hour, is
// the first hour of backlog_hourly the batch can change. Written before the batch is stored.

export interface DirtyMarker {
  tenant: string;
  fromHour: number;
}

/** One marker per tenant: the hour of the tenant's earliest event in the batch. */
export function dirtyMarkers(events: readonly TicketEvent[]): DirtyMarker[] {
  const earliest = new Map<string, number>();
  for (const e of events) {
    const at = Date.parse(e.occurredAt);
    const prev = earliest.get(e.tenant);
    if (prev === undefined || at < prev) earliest.set(e.tenant, at);
  }
  return [...earliest].map(([tenant, at]) => ({ tenant, fromHour: Math.floor(at / HOUR) * HOUR }));
}

export async function markBacklogDirty(ch: ClickHouseClient, events: readonly TicketEvent[]): Promise<void> {
  const markers = dirtyMarkers(events);
  if (markers.length === 0) return;
  await ch.insert({
    table: tables.backlogDirty,
    format: 'JSONEachRow',
    values: markers.map((m) => ({ tenant: m.tenant, from_hour: toClickHouseTime(m.fromHour).slice(0, 19) })),
  });
}
