import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { hourParam, type MigrationDatabase, migrationDatabase } from '../helpers/migration-database.js';

// 0028_specialist_instants.sql on a database that already holds resolved tickets and
// specialists_hourly rows of the shape before it: every closed hour is refilled with its
// resolutions' instants within the hour, and a pass of specialists-hourly-materialise.sql right
// after finds nothing to write.

let db: MigrationDatabase;

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW_HOUR = Math.floor(Date.now() / HOUR) * HOUR;
const B = NOW_HOUR - 10 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);

const ticket = (id: string, resolvedAt: number | null, agent: string) => ({
  tenant: 'sp',
  ticket_id: id,
  version: 1,
  created_at: t(B - HOUR),
  last_event_at: t(B - HOUR),
  customer: 'c1',
  priority: 'high',
  category: 'network',
  resolved_at: resolvedAt === null ? null : t(B + resolvedAt),
  resolved_region: 'EMEA',
  resolved_agent: agent,
  is_open: resolvedAt === null ? 1 : 0,
});

const tickets = [
  ticket('A', HOUR + 40 * MIN, 'ann'),
  ticket('B', HOUR + 5 * MIN + 1, 'ann'),
  ticket('C', HOUR + 59 * MIN, 'bob'),
  ticket('D', 3 * HOUR, 'ann'),
  ticket('E', null, 'bob'),
];

async function rows(): Promise<unknown[][]> {
  return db.compactRows(
    `SELECT agent, dateDiff('hour', {b:DateTime('UTC')}, hour), resolutions, resolved_offsets_ms
            FROM ${tables.specialistsHourly} FINAL WHERE resolutions > 0 ORDER BY 1, 2`,
    { b: hourParam(B) },
  );
}

beforeAll(async () => {
  db = await migrationDatabase('specialist_instants', 28);
  await db.ch.insert({ table: tables.ticketFacts, format: 'JSONEachRow', values: tickets });
  await db.ch.insert({
    table: tables.specialistsHourly,
    format: 'JSONEachRow',
    values: [
      {
        tenant: 'sp',
        region: 'EMEA',
        category: 'network',
        agent: 'ann',
        hour: hourParam(B + HOUR),
        resolutions: 9,
        version: 1,
      },
    ],
  });
});

afterAll(async () => {
  await db?.drop();
});

describe('0028_specialist_instants.sql', () => {
  it('refills every closed hour with its resolutions at their instants, and a pass right after writes nothing', async () => {
    const { applied, pending } = await db.migrateRest();
    expect(applied).toEqual(pending);
    expect(await rows()).toEqual([
      ['ann', 1, 2, [5 * MIN + 1, 40 * MIN]],
      ['ann', 3, 1, [0]],
      ['bob', 1, 1, [59 * MIN]],
    ]);
    const before = await db.writes(tables.specialistsHourly);
    await db.ch.command({
      query: readQuery('specialists-hourly-materialise'),
      query_params: {
        tenant: 'sp',
        from: hourParam(B),
        to: hourParam(NOW_HOUR),
        version: before.version + 1,
      },
    });
    expect(await db.writes(tables.specialistsHourly)).toEqual(before);
  });
});
