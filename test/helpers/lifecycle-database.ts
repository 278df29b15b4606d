import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { isolatedConfig, testLogger } from './services.js';

/**
 * A database of its own holding hand-made ticket_lifecycle rows, also in the recent copy (a rollup
 * query's edge reads only what is at or after the watermark: here the copy holds every ticket), with
 * `materialise` (an hourly rollup's materialise query) run over [from, to) for each tenant.
 */
export async function lifecycleDatabase(
  label: string,
  rows: Record<string, unknown>[],
  opts: { tenants: string[]; from: number; to: number; materialise: string },
): Promise<{ ch: ClickHouseClient; drop: () => Promise<void> }> {
  const config = isolatedConfig(label);
  await migrateDatabase(config, testLogger(config, label));
  const ch = createClickHouse(config);
  await ch.insert({ table: tables.ticketLifecycle, format: 'JSONEachRow', values: rows });
  await ch.insert({ table: tables.ticketLifecycleRecent, format: 'JSONEachRow', values: rows });
  const hour = (ms: number) => toClickHouseTime(ms).slice(0, 19);
  for (const tenant of opts.tenants)
    await ch.command({
      query: readQuery(opts.materialise),
      query_params: { tenant, from: hour(opts.from), to: hour(opts.to), version: 1 },
    });
  return {
    ch,
    drop: async () => {
      await ch.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
      await ch.close();
    },
  };
}
