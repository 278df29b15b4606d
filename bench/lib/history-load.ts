// What a transform pays to read back the histories its cache does not hold (after a restart or a
// partition rebalance, or with more active tickets than HISTORY_CACHE_MAX_MB keeps): one batch's
// worth of a tenant's stored tickets, read as the transform reads them. ticket_events is sorted by
// (tenant, ticket_id), so each ticket costs the engine a whole granule of the tenant's events: the
// read grows with the tenant's stored events until the batch's tickets cover every granule. The
// seeded histories spread over tenants of the same size, so every stored event is first gathered
// under one tenant, in a database of its own (ticket ids prefixed with their tenant's).
import { randomBytes } from 'node:crypto';
import { createClickHouse } from '../../core/clickhouse.js';
import { loadHistoriesInGroups } from '../../transforms/history/transform.js';
import { loadTicketHistories } from '../../transforms/lifecycle/sink.js';
import type { BenchEnvironment } from './environment.js';
import { quantile } from './stats.js';

export interface HistoryLoadCost {
  /** Ticket events of the one tenant: every event of the seeded history. */
  storedEvents: number;
  /** Tickets read back per batch (all stored, none cached). */
  tickets: number;
  /** Events those tickets' histories hold, mean per batch. */
  events: number;
  /** Wall time of one batch's read-back, median over the rounds. */
  medianMs: number;
}

const ONE_TENANT = 'one';

/** Reads back `tickets` stored tickets of a one-tenant copy of `env`'s events, `rounds` times, each a different sample. */
export async function historyLoadCost(
  env: Pick<BenchEnvironment, 'ch' | 'config'>,
  opts: { tickets?: number; rounds?: number } = {},
): Promise<HistoryLoadCost> {
  // About the distinct tickets of one transform batch (TRANSFORM_FETCH_MAX_BYTES) of simulator events.
  const tickets = opts.tickets ?? 700;
  const rounds = opts.rounds ?? 5;
  const source = env.config.CLICKHOUSE_DATABASE;
  const database = `${source}_one_${randomBytes(3).toString('hex')}`;
  const ch = createClickHouse(
    { ...env.config, CLICKHOUSE_DATABASE: database },
    { application: 'baton-bench' },
  );
  const run = (query: string) => env.ch.command({ query });
  try {
    await run(`CREATE DATABASE ${database}`);
    await run(`CREATE TABLE ${database}.ticket_events AS ${source}.ticket_events`);
    await run(
      `INSERT INTO ${database}.ticket_events SELECT * REPLACE ('${ONE_TENANT}' AS tenant, concat(tenant, '/', ticket_id) AS ticket_id) FROM ${source}.ticket_events`,
    );
    const stored = await ch.query({ query: 'SELECT count() AS n FROM ticket_events', format: 'JSONEachRow' });
    const storedEvents = Number((await stored.json<{ n: number }>())[0]?.n ?? 0);
    const sample = await ch.query({
      query: `SELECT DISTINCT ticket_id FROM ticket_events ORDER BY cityHash64(ticket_id) LIMIT {n:UInt32}`,
      query_params: { n: tickets * (rounds + 1) },
      format: 'JSONEachRow',
    });
    const ids = (await sample.json<{ ticket_id: string }>()).map((r) => r.ticket_id);
    if (ids.length === 0) throw new Error('history load: no stored ticket to read back');
    const times: number[] = [];
    let events = 0;
    // The first round warms the connection and the engine's caches of marks; it is not counted.
    for (let round = 0; round <= rounds; round++) {
      const batch = ids.slice(round * tickets, (round + 1) * tickets);
      if (batch.length === 0) break;
      const t0 = performance.now();
      const histories = await loadHistoriesInGroups(loadTicketHistories, ch, ONE_TENANT, batch);
      const ms = performance.now() - t0;
      if (round === 0) continue;
      times.push(ms);
      for (const h of histories.values()) events += h.length;
    }
    return {
      storedEvents,
      tickets: Math.min(tickets, ids.length),
      events: times.length > 0 ? Math.round(events / times.length) : 0,
      medianMs: quantile(times, 0.5),
    };
  } finally {
    await ch.close();
    await run(`DROP DATABASE IF EXISTS ${database}`);
  }
}
