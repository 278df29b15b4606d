import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { hourParam, type MigrationDatabase, migrationDatabase } from '../helpers/migration-database.js';

// 0027_field_job_instants.sql on a database that already holds completed field jobs and
// field_hourly rows of the shape before it: every closed hour is refilled with each job's
// completion instant within the hour and its figures, and a pass of field-hourly-materialise.sql
// right after finds nothing to write.

let db: MigrationDatabase;

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW_HOUR = Math.floor(Date.now() / HOUR) * HOUR;
const B = NOW_HOUR - 10 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);

const job = (id: string, completedAt: number, extra: Record<string, unknown> = {}) => ({
  tenant: 'fj',
  job_id: id,
  version: 1,
  region: 'EMEA',
  customer: 'c1',
  status: 'completed',
  created_at: t(B - HOUR),
  completed_at: t(B + completedAt),
  access_delay_seconds: 0,
  ...extra,
});

const jobs = [
  job('J1', HOUR + 10 * MIN, {
    dispatch_latency_seconds: 120,
    arrival_seconds: 1800,
    access_delays: 1,
    access_delay_seconds: 90.0004,
    first_time_fix: 1,
    planned_seconds: 3600,
    actual_seconds: 5400,
  }),
  job('J2', HOUR + 45 * MIN + 1, { had_parts: 1, parts_delay_seconds: 7200, parts_late: 1, revisits: 1 }),
  // planned but not finished on record: the ratio does not count it
  job('J3', 3 * HOUR, { planned_seconds: 3600, scope_changes: 2, parts_faulty: 1 }),
];

async function instants(): Promise<unknown[][]> {
  return db.compactRows(
    `SELECT dateDiff('hour', {b:DateTime('UTC')}, hour), jobs,
                   CAST(jobs_completed, 'Array(Tuple(UInt32, Nullable(Float64), Nullable(Float64), Nullable(Float64),
                        Int64, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, Float64, UInt8))')
            FROM ${tables.fieldHourly} FINAL WHERE jobs > 0 ORDER BY 1`,
    { b: hourParam(B) },
  );
}

beforeAll(async () => {
  db = await migrationDatabase('field_job_instants', 27);
  await db.ch.insert({ table: tables.fieldJobFacts, format: 'JSONEachRow', values: jobs });
  await db.ch.insert({
    table: tables.fieldHourly,
    format: 'JSONEachRow',
    values: [
      { tenant: 'fj', region: 'EMEA', customer: 'c1', hour: hourParam(B + HOUR), jobs: 9, version: 1 },
    ],
  });
});

afterAll(async () => {
  await db?.drop();
});

describe('0027_field_job_instants.sql', () => {
  it('refills every closed hour with its jobs at their instants, and a pass right after writes nothing', async () => {
    const { applied, pending } = await db.migrateRest();
    expect(applied).toEqual(pending);
    // [offset, dispatch, arrival, parts delay, access delay ms, access delayed, with parts, parts
    // late, parts faulty, first-time fix, revisited, scope changed, ratio, ratio counted]
    expect(await instants()).toEqual([
      [
        1,
        2,
        [
          [10 * MIN, 120, 1800, null, 90_000, 1, 0, 0, 0, 1, 0, 0, 1.5, 1],
          [45 * MIN + 1, null, null, 7200, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0],
        ],
      ],
      [3, 1, [[0, null, null, null, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]]],
    ]);
    const before = await db.writes(tables.fieldHourly);
    await db.ch.command({
      query: readQuery('field-hourly-materialise'),
      query_params: {
        tenant: 'fj',
        from: hourParam(B),
        to: hourParam(NOW_HOUR),
        version: before.version + 1,
      },
    });
    expect(await db.writes(tables.fieldHourly)).toEqual(before);
  });
});
