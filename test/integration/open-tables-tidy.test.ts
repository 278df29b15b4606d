import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import { loadMigrations, migrate } from '../../sql/migrate.js';
import { tidyOpenTables } from '../../transforms/backlog/materialise.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// The open copies (ticket_facts_open, ticket_sla_open) after each region-rollup pass: a ticket that
// closed is dropped from them, a late row re-opening a closed ticket is marked deleted again, and
// while nothing closed the whole-table cleanup is not run at all (it would rewrite every part).

const config = isolatedConfig('open_tidy');
const logger = testLogger(config, 'open_tidy');
const admin = createClickHouse(config, { database: null });
let ch: ClickHouseClient;

const facts = (ticket: string, version: number, open: boolean) => ({
  tenant: 'ot',
  ticket_id: ticket,
  version,
  is_open: open ? 1 : 0,
});
const sla = (ticket: string, version: number, stopped: boolean) => ({
  tenant: 'ot',
  ticket_id: ticket,
  version,
  stopped: stopped ? 1 : 0,
});

/** Tickets the copy answers as open (FINAL, as every reader takes it). */
async function openIn(table: string): Promise<string[]> {
  const rs = await ch.query({
    query: `SELECT ticket_id FROM ${table} FINAL ORDER BY ticket_id`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ ticket_id: string }>()).map((r) => r.ticket_id);
}

/** Rows stored in the copy, superseded and deleted ones included. */
async function storedRows(table: string): Promise<{ ticket_id: string; is_deleted: number }[]> {
  const rs = await ch.query({
    query: `SELECT ticket_id, is_deleted FROM ${table} ORDER BY ticket_id, version, is_deleted`,
    format: 'JSONEachRow',
  });
  return rs.json();
}

beforeAll(async () => {
  ch = createClickHouse(config);
  await migrate(admin, ch, config.CLICKHOUSE_DATABASE, logger, await loadMigrations());
});

afterAll(async () => {
  await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await Promise.all([admin.close(), ch?.close()]);
});

describe('tidyOpenTables', () => {
  it('skips the cleanup while nothing closed, drops closed tickets, and re-marks a late re-opening', async () => {
    for (const t of ['a', 'b', 'c']) {
      await ch.insert({ table: 'ticket_facts', format: 'JSONEachRow', values: [facts(t, 1, true)] });
      await ch.insert({ table: 'ticket_sla', format: 'JSONEachRow', values: [sla(t, 1, false)] });
    }

    // Only open rows: no deleted row stored, so no cleanup; the answers are the three tickets.
    expect(await tidyOpenTables(ch)).toEqual({ cleaned: [] });
    expect(await openIn('ticket_facts_open')).toEqual(['a', 'b', 'c']);
    expect(await openIn('ticket_sla_open')).toEqual(['a', 'b', 'c']);

    // b closes (facts) and its clock stops (SLA): the views copy the closing rows as deleted.
    await ch.insert({ table: 'ticket_facts', format: 'JSONEachRow', values: [facts('b', 2, false)] });
    await ch.insert({ table: 'ticket_sla', format: 'JSONEachRow', values: [sla('b', 2, true)] });
    expect(await tidyOpenTables(ch)).toEqual({ cleaned: ['ticket_facts_open', 'ticket_sla_open'] });
    // The cleanup ran: b's rows are physically gone, not only hidden by FINAL.
    for (const table of ['ticket_facts_open', 'ticket_sla_open']) {
      expect(await storedRows(table)).toEqual([
        { ticket_id: 'a', is_deleted: 0 },
        { ticket_id: 'c', is_deleted: 0 },
      ]);
    }

    // A late, older evaluation re-opens b in the copies (its closed row in the main table stays newest).
    await ch.insert({ table: 'ticket_facts', format: 'JSONEachRow', values: [facts('b', 1, true)] });
    await ch.insert({ table: 'ticket_sla', format: 'JSONEachRow', values: [sla('b', 1, false)] });
    expect(await openIn('ticket_facts_open')).toEqual(['a', 'b', 'c']);
    expect(await tidyOpenTables(ch)).toEqual({ cleaned: ['ticket_facts_open', 'ticket_sla_open'] });
    expect(await openIn('ticket_facts_open')).toEqual(['a', 'c']);
    expect(await openIn('ticket_sla_open')).toEqual(['a', 'c']);

    // Nothing closed since: skipped again.
    expect(await tidyOpenTables(ch)).toEqual({ cleaned: [] });
  });
});
