import type { ClickHouseClient } from '../../core/clickhouse.js';
import type { Logger } from '../../core/logger.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { loadHistoriesInGroups } from '../history/transform.js';
import { loadTicketHistories } from '../lifecycle/sink.js';
import { startPeriodic } from '../periodic.js';
import { slaRow } from './row.js';
import type { SlaSettings } from './settings.js';

// The SLA sweep: an open ticket's clock keeps running when no event arrives, so every interval the
// open tickets are read back from ticket_sla, their histories reloaded and their rows recomputed
// at the sweep's instant. Paged on (tenant, ticket_id), so memory is bounded by the page size.
//
// Safe to run in any number of transform instances at once: a sweep writes the same rows an
// event batch would (same history -> same figures at the same instant), and the version
// (history length, then as-of) lets the newest history and then the latest evaluation win; a
// sweep that read a history just before an event grew it loses to the event's row.

export interface SlaSweepOptions {
  ch: ClickHouseClient;
  settings: SlaSettings;
  logger: Logger;
  intervalSeconds: number;
  pageSize: number;
  now?: () => number;
}

export interface SweepResult {
  evaluated: number;
  ms: number;
}

export interface SlaSweep {
  /** One full pass at the current instant (the timer calls this; tests may too). */
  sweepOnce(): Promise<SweepResult>;
  /** Stops the timer and waits for a pass underway. */
  stop(): Promise<void>;
}

interface OpenTicket {
  tenant: string;
  ticket_id: string;
}

export function startSlaSweep(opts: SlaSweepOptions): SlaSweep {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'sla-sweep' });

  async function sweepPage(after: OpenTicket, asOf: number): Promise<OpenTicket[]> {
    const rs = await opts.ch.query({
      query: readQuery('sla-open-tickets'),
      query_params: { after_tenant: after.tenant, after_ticket: after.ticket_id, limit: opts.pageSize },
      format: 'JSONEachRow',
    });
    const page = await rs.json<OpenTicket>();
    const byTenant = new Map<string, string[]>();
    for (const t of page) byTenant.set(t.tenant, [...(byTenant.get(t.tenant) ?? []), t.ticket_id]);
    const rows: Record<string, unknown>[] = [];
    for (const [tenant, ids] of byTenant) {
      for (const history of (
        await loadHistoriesInGroups(loadTicketHistories, opts.ch, tenant, ids)
      ).values()) {
        const row = slaRow(history, opts.settings, asOf);
        if (row) rows.push(row);
      }
    }
    if (rows.length > 0)
      await opts.ch.insert({ table: tables.ticketSla, format: 'JSONEachRow', values: rows });
    return page;
  }

  async function sweepOnce(): Promise<SweepResult> {
    const started = Date.now();
    // One instant for the whole pass, so every ticket of it is judged at the same moment.
    const asOf = now();
    let after: OpenTicket = { tenant: '', ticket_id: '' };
    let evaluated = 0;
    for (;;) {
      const page = await sweepPage(after, asOf);
      evaluated += page.length;
      const last = page[page.length - 1];
      if (!last || page.length < opts.pageSize) break;
      after = last;
    }
    const result = { evaluated, ms: Date.now() - started };
    log.info({ ...result, asOf: new Date(asOf).toISOString() }, 'SLA sweep done');
    return result;
  }

  const job = startPeriodic('SLA sweep', opts.intervalSeconds, sweepOnce, log);
  return { sweepOnce: job.runOnce, stop: job.stop };
}
