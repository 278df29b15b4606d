import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import { tables } from '../../core/tables.js';
import { loadMigrations, migrate } from '../../sql/migrate.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// 0021_backlog_hourly_by_month.sql on a database that already holds backlog_hourly rows (several
// versions of some keys, hours over four months): FINAL still picks the same rows, the table is partitioned by month, and a read of two weeks touches only the
// partitions of those weeks — the reason for the migration.

const config = isolatedConfig('backlog_by_month');
const logger = testLogger(config, 'backlog_by_month');
const admin = createClickHouse(config, { database: null });
let ch: ClickHouseClient;

const HOUR = 3_600_000;
const JAN = Date.UTC(2026, 0, 1);
const MAY = Date.UTC(2026, 4, 1);

interface Row {
  tenant: string;
  customer: string;
  region: string;
  team: string;
  priority: string;
  hour: string;
  backlog: number;
  inflow: number;
  outflow: number;
  version: number;
}

// Two slices, one row every 12 hours from January to April, and a second version of every tenth.
const rows: Row[] = [];
for (const [team, priority] of [
  ['t1', 'high'],
  ['t2', 'low'],
] as const) {
  for (let at = JAN, i = 0; at < MAY; at += 12 * HOUR, i++) {
    const row = {
      tenant: 'bm',
      customer: 'c1',
      region: 'EMEA',
      team,
      priority,
      hour: toClickHouseTime(at).slice(0, 19),
      backlog: i % 7,
      inflow: i % 3,
      outflow: i % 2,
      version: 1,
    };
    rows.push(row);
    if (i % 10 === 0) rows.push({ ...row, backlog: row.backlog + 100, version: 2 });
  }
}
/** What FINAL must give: per key, the row of the highest version. */
const newest = [...new Map(rows.map((r) => [`${r.team}/${r.priority}/${r.hour}`, r])).values()];

async function stored(): Promise<Row[]> {
  const rs = await ch.query({
    query: `SELECT toString(tenant) AS tenant, toString(customer) AS customer, toString(region) AS region,
                   toString(team) AS team, toString(priority) AS priority, toString(hour) AS hour,
                   backlog, inflow, outflow, version
            FROM ${tables.backlogHourly} FINAL
            ORDER BY team, priority, hour`,
    format: 'JSONEachRow',
  });
  return (await rs.json<Record<string, unknown>>()).map((r) => ({
    ...(r as unknown as Row),
    backlog: Number(r.backlog),
    inflow: Number(r.inflow),
    outflow: Number(r.outflow),
    version: Number(r.version),
  }));
}

const byKey = (a: Row, b: Row) =>
  a.team.localeCompare(b.team) || a.priority.localeCompare(b.priority) || a.hour.localeCompare(b.hour);

beforeAll(async () => {
  const files = await loadMigrations();
  ch = createClickHouse(config);
  await migrate(
    admin,
    ch,
    config.CLICKHOUSE_DATABASE,
    logger,
    files.filter((m) => m.version < 21),
  );
  // Two inserts, so that the versions of a key lie in different parts, as the materialiser leaves them.
  await ch.insert({
    table: tables.backlogHourly,
    format: 'JSONEachRow',
    values: rows.filter((r) => r.version === 1),
  });
  await ch.insert({
    table: tables.backlogHourly,
    format: 'JSONEachRow',
    values: rows.filter((r) => r.version === 2),
  });
});

afterAll(async () => {
  await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await Promise.all([admin.close(), ch?.close()]);
});

describe('0021_backlog_hourly_by_month.sql', () => {
  it('keeps the rows FINAL picks, and the table is partitioned by month', async () => {
    // (Without FINAL the count depends on which background merges have run: not compared.)
    expect(await stored()).toEqual([...newest].sort(byKey));

    const result = await migrate(
      admin,
      ch,
      config.CLICKHOUSE_DATABASE,
      logger,
      (await loadMigrations()).filter((m) => m.version <= 21),
    );
    expect(result.applied).toEqual([21]);

    expect(await stored()).toEqual([...newest].sort(byKey));
    const rs = await ch.query({
      query: `SELECT partition_key, sorting_key FROM system.tables
              WHERE database = currentDatabase() AND name = {t:String}`,
      query_params: { t: tables.backlogHourly },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { partition_key: 'toYYYYMM(hour)', sorting_key: 'tenant, region, team, priority, customer, hour' },
    ]);
    const parts = await ch.query({
      query: `SELECT groupUniqArray(partition) AS p FROM system.parts
              WHERE database = currentDatabase() AND table = {t:String} AND active`,
      query_params: { t: tables.backlogHourly },
      format: 'JSONEachRow',
    });
    expect(((await parts.json<{ p: string[] }>())[0]!.p ?? []).sort()).toEqual([
      '202601',
      '202602',
      '202603',
      '202604',
    ]);
    // The swapped-out table is gone.
    const left = await ch.query({
      query:
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'backlog_hourly%'",
      format: 'JSONEachRow',
    });
    expect(await left.json()).toEqual([{ name: tables.backlogHourly }]);
  });

  it('a read of two weeks in March touches only the March partition', async () => {
    const rs = await ch.query({
      query: `EXPLAIN indexes = 1
              SELECT sum(backlog) FROM ${tables.backlogHourly} FINAL
              WHERE tenant = 'bm' AND hour >= {from:DateTime('UTC')} AND hour < {to:DateTime('UTC')}`,
      query_params: {
        from: toClickHouseTime(Date.UTC(2026, 2, 10)).slice(0, 19),
        to: toClickHouseTime(Date.UTC(2026, 2, 24)).slice(0, 19),
      },
      format: 'TabSeparatedRaw',
    });
    const plan = await rs.text();
    // The partition's min-max index on the hour: the parts of March only, of every month's.
    const partition = /Min-Max[\s\S]*?Parts: (\d+)\/(\d+)/.exec(plan);
    expect(partition, plan).not.toBeNull();
    const [selected, total] = [Number(partition![1]), Number(partition![2])];
    expect(total).toBeGreaterThanOrEqual(4);
    expect(selected).toBeGreaterThan(0);
    expect(selected).toBeLessThan(total);
    const march = await ch.query({
      query: `SELECT count() AS n FROM system.parts
              WHERE database = currentDatabase() AND table = {t:String} AND active AND partition = '202603'`,
      query_params: { t: tables.backlogHourly },
      format: 'JSONEachRow',
    });
    expect(selected).toBe(Number((await march.json<{ n: string }>())[0]!.n));
  });
});
