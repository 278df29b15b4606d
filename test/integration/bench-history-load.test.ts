import { afterAll, beforeAll, expect, it } from 'vitest';
import { historyLoadCost } from '../../bench/lib/history-load.js';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { insertTicketEvents } from '../../transforms/lifecycle/sink.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';
import { ticketHistories } from '../helpers/ticket-histories.js';

// The benchmark's history read-back stage: every stored event gathered under one tenant, stored
// tickets read back as a transform reads them, and the stage's own database dropped afterwards.

let config: Config;
let ch: ClickHouseClient;
// Every ticket has three events, so a batch's events do not depend on which tickets it samples. The
// same ticket ids in both tenants are two tickets each: gathered under one tenant they must stay apart.
const tenants = ['north', 'south'];
const perTenant = 30;
const eventsPerTicket = 3;

beforeAll(async () => {
  config = isolatedConfig('bench_history_load');
  await migrateDatabase(config, testLogger(config, 'bench_history_load'));
  ch = createClickHouse(config);
  const events = ticketHistories(tenants, perTenant, () => eventsPerTicket);
  await insertTicketEvents(ch, events);
});
afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await ch?.close();
});

it('reads back whole histories of stored tickets under one tenant, and leaves no database behind', async () => {
  const databases = async () =>
    (
      await (
        await ch.query({
          query: 'SELECT name FROM system.databases WHERE startsWith(name, {prefix:String}) ORDER BY name',
          query_params: { prefix: config.CLICKHOUSE_DATABASE },
          format: 'JSONEachRow',
        })
      ).json<{ name: string }>()
    ).map((r) => r.name);
  // 60 stored tickets: a warm-up batch of 25, then a counted one of 25 (30 tickets, had the
  // tenants' ids met, would leave it 5).
  const cost = await historyLoadCost({ ch, config }, { tickets: 25, rounds: 1 });
  expect(cost.storedEvents).toBe(tenants.length * perTenant * eventsPerTicket);
  expect(cost.tickets).toBe(25);
  expect(cost.events).toBe(25 * eventsPerTicket);
  expect(Number.isFinite(cost.medianMs)).toBe(true);
  expect(await databases()).toEqual([config.CLICKHOUSE_DATABASE]);
});
