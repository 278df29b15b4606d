import type { ClickHouseClient } from '../core/clickhouse.js';
import type { TicketEvent } from '../core/events/ticket.js';
import type { Logger } from '../core/logger.js';
import {
  type EntityEvent,
  type EntityFamily,
  loadHistoriesInGroups,
  type Projection,
} from './history/transform.js';
import { markBacklogDirty } from './lifecycle/backlog-dirty.js';
import { ticketFamily, ticketProjections } from './lifecycle/family.js';
import type { SlaSettings } from './sla/settings.js';

export interface ReplayRange {
  from: Date;
  to: Date;
  /** Empty: every tenant. */
  tenant: string;
}

export interface ReplayResult {
  entities: number;
  rowsWritten: Record<string, number>;
}

/**
 * Recomputes every derived row of the entities that had an event in the range, from their whole
 * stored history. After a definition change this leaves the tables as a clean run of the new code
 * would: rows are rewritten with the same version, and ClickHouse keeps the last one inserted.
 */
export async function replayFamily<E extends EntityEvent>(
  ch: ClickHouseClient,
  family: EntityFamily<E>,
  projections: Projection<E>[],
  range: ReplayRange,
  logger: Logger,
  opts: {
    pageSize?: number;
    now?: () => number;
    /** Called with a page's whole histories before its rows are rewritten (e.g. backlog dirty markers). */
    beforeStore?: (events: readonly E[]) => Promise<void>;
  } = {},
): Promise<ReplayResult> {
  if (!family.entitiesWithEventsBetween)
    throw new Error(`the ${family.name} family cannot list its entities`);
  const pageSize = opts.pageSize ?? 2_000;
  const result: ReplayResult = { entities: 0, rowsWritten: {} };
  let after = { tenant: '', id: '' };
  for (;;) {
    const page = await family.entitiesWithEventsBetween(ch, range, after, pageSize);
    if (page.length === 0) break;
    const byTenant = new Map<string, string[]>();
    for (const e of page) byTenant.set(e.tenant, [...(byTenant.get(e.tenant) ?? []), e.id]);
    const histories: E[][] = [];
    for (const [tenant, ids] of byTenant) {
      histories.push(...(await loadHistoriesInGroups(family.loadHistories, ch, tenant, ids)).values());
    }
    if (opts.beforeStore) await opts.beforeStore(histories.flat());
    const ctx = { now: (opts.now ?? Date.now)() };
    for (const projection of projections) {
      const rows = histories.map((h) => projection.rowFor(h, ctx)).filter((r) => r !== null);
      if (rows.length > 0) await ch.insert({ table: projection.table, format: 'JSONEachRow', values: rows });
      result.rowsWritten[projection.table] = (result.rowsWritten[projection.table] ?? 0) + rows.length;
    }
    result.entities += page.length;
    after = page[page.length - 1]!;
    logger.info({ family: family.name, entities: result.entities }, 'replay progress');
  }
  return result;
}

/**
 * Replays tickets. Rewritten periods may change any hour of a ticket's life, so the backlog rollup
 * is told to recompute from each tenant's earliest replayed event on (its dirty markers).
 */
export function replayTickets(
  ch: ClickHouseClient,
  settings: SlaSettings,
  range: ReplayRange,
  logger: Logger,
  opts: { pageSize?: number; now?: () => number } = {},
): Promise<ReplayResult> {
  return replayFamily<TicketEvent>(ch, ticketFamily, ticketProjections(settings), range, logger, {
    ...opts,
    beforeStore: (events) => markBacklogDirty(ch, events),
  });
}
