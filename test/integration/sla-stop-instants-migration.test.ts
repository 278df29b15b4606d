import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { hourParam, type MigrationDatabase, migrationDatabase } from '../helpers/migration-database.js';

// 0024_sla_stop_instants.sql on a database that already holds stopped SLA clocks and rollup rows of
// the shape before it: sla_hourly and sla_team_hourly are refilled with each stop's instant within
// its hour and its figures, the hourly figures stay as the materialise queries define them, and a
// pass of both right after finds nothing to write.

let db: MigrationDatabase;

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW_HOUR = Math.floor(Date.now() / HOUR) * HOUR;
const B = NOW_HOUR - 10 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);

interface Clock {
  id: string;
  /** ms after B */
  stoppedAt: number;
  outcome: 'met' | 'breached';
  responseBreached?: true;
  /** [team, region, elapsed s, paused s] */
  teams: [string, string, number, number][];
}

const row = (c: Clock) => ({
  tenant: 'sla',
  ticket_id: c.id,
  version: 1,
  as_of: t(B + c.stoppedAt),
  customer: 'c1',
  region: 'EMEA',
  team: 'emea-l1',
  priority: 'high',
  created_at: t(B - HOUR),
  stopped: 1,
  res_outcome: c.outcome,
  resp_outcome: c.responseBreached ? 'breached' : 'met',
  res_stopped_at: t(B + c.stoppedAt),
  team_name: c.teams.map((x) => x[0]),
  team_region: c.teams.map((x) => x[1]),
  team_elapsed_seconds: c.teams.map((x) => x[2]),
  team_paused_seconds: c.teams.map((x) => x[3]),
});

const clocks: Clock[] = [
  { id: 'A', stoppedAt: HOUR + 10 * MIN, outcome: 'met', teams: [['emea-l1', 'EMEA', 100.0004, 0]] },
  {
    id: 'B',
    stoppedAt: HOUR + 45 * MIN + 1,
    outcome: 'breached',
    responseBreached: true,
    teams: [
      ['emea-l1', 'EMEA', 50.25, 10],
      ['apac-l2', 'APAC', 7200, 60.5],
    ],
  },
  { id: 'C', stoppedAt: 3 * HOUR, outcome: 'breached', teams: [['emea-l1', 'EMEA', 1.5, 0]] },
];

const outcomes = () =>
  db.compactRows(
    `SELECT dateDiff('hour', {b:DateTime('UTC')}, hour), resolved, met, breached, response_breached,
            CAST(stops, 'Array(Tuple(UInt32, UInt8, UInt8, UInt8))')
     FROM ${tables.slaHourly} FINAL WHERE resolved > 0 ORDER BY 1`,
    { b: hourParam(B) },
  );

const consumption = () =>
  db.compactRows(
    `SELECT toString(team), dateDiff('hour', {b:DateTime('UTC')}, hour), tickets, breached_tickets,
            elapsed_seconds, paused_seconds, CAST(stops, 'Array(Tuple(UInt32, UInt8, Int64, Int64))')
     FROM ${tables.slaTeamHourly} FINAL WHERE tickets > 0 ORDER BY 1, 2`,
    { b: hourParam(B) },
  );

/** Rows stored in both rollups, every version. */
const writes = async () => (await db.writes(tables.slaHourly)).n + (await db.writes(tables.slaTeamHourly)).n;

beforeAll(async () => {
  db = await migrationDatabase('sla_stop_instants', 24);
  await db.ch.insert({ table: tables.ticketSla, format: 'JSONEachRow', values: clocks.map(row) });
  // Rows of the old shape, as a pass before 0024 left them (stale figures on purpose).
  await db.ch.insert({
    table: tables.slaHourly,
    format: 'JSONEachRow',
    values: [
      { tenant: 'sla', region: 'EMEA', priority: 'high', hour: hourParam(B + HOUR), resolved: 9, version: 1 },
    ],
  });
  await db.ch.insert({
    table: tables.slaTeamHourly,
    format: 'JSONEachRow',
    values: [
      { tenant: 'sla', team: 'emea-l1', region: 'EMEA', hour: hourParam(B + HOUR), tickets: 9, version: 1 },
    ],
  });
});

afterAll(async () => {
  await db?.drop();
});

describe('0024_sla_stop_instants.sql', () => {
  it('refills both rollups with each stop at its instant, and a pass right after writes nothing', async () => {
    const { applied, pending } = await db.migrateRest();
    expect(applied).toEqual(pending);
    // [offset ms, met, breached, response breached]
    expect(await outcomes()).toEqual([
      [
        1,
        2,
        1,
        1,
        1,
        [
          [10 * MIN, 1, 0, 0],
          [45 * MIN + 1, 0, 1, 1],
        ],
      ],
      [3, 1, 0, 1, 0, [[0, 0, 1, 0]]],
    ]);
    // [offset ms, breached, elapsed ms, paused ms]: seconds in whole milliseconds, as the sums.
    expect(await consumption()).toEqual([
      ['apac-l2', 1, 1, 1, 7200, 60.5, [[45 * MIN + 1, 1, 7_200_000, 60_500]]],
      [
        'emea-l1',
        1,
        2,
        1,
        150.25,
        10,
        [
          [10 * MIN, 0, 100_000, 0],
          [45 * MIN + 1, 1, 50_250, 10_000],
        ],
      ],
      ['emea-l1', 3, 1, 1, 1.5, 0, [[0, 1, 1_500, 0]]],
    ]);
    const before = await writes();
    for (const query of ['sla-hourly-materialise', 'sla-team-hourly-materialise'])
      await db.ch.command({
        query: readQuery(query),
        query_params: {
          tenant: 'sla',
          from: hourParam(NOW_HOUR),
          to: hourParam(NOW_HOUR),
          version: Date.now(),
        },
      });
    expect(await writes()).toBe(before);
  });
});
