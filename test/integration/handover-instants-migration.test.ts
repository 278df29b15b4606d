import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { hourParam, type MigrationDatabase, migrationDatabase } from '../helpers/migration-database.js';
import { handoverColumns } from '../helpers/ticket-facts.js';

// 0023_handover_instants.sql on a database that already holds tickets with handovers and
// handovers_hourly rows of the shape before it: every closed hour is refilled with each handover's
// instant within the hour and its figures, the hourly figures stay as the materialise query defines
// them, a pass of handovers-hourly-materialise.sql right after finds nothing to write, and a later
// pickup rewrites the handover's tuple.

let db: MigrationDatabase;

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW_HOUR = Math.floor(Date.now() / HOUR) * HOUR;
const B = NOW_HOUR - 10 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);

interface Handover {
  /** ms after B */
  at: number;
  from: string;
  to: string;
  outcome: 'picked_up' | 'handed_on' | 'ended' | 'pending';
  pingPong?: 1;
  wall?: number;
  business?: number;
  seam?: number;
}

const facts = (id: string, hs: Handover[], version = 1) => ({
  tenant: 'ho',
  ticket_id: id,
  version,
  created_at: t(B - HOUR),
  last_event_at: t(B - HOUR),
  customer: 'c1',
  priority: 'high',
  is_open: 1,
  ...handoverColumns(
    hs.map((h) => ({
      ...h,
      at: t(B + h.at),
      fromTeam: `${h.from}-l1`,
      fromRegion: h.from,
      toTeam: `${h.to}-l1`,
      toRegion: h.to,
    })),
  ),
});

const x: Handover[] = [
  {
    at: HOUR + 10 * MIN,
    from: 'APAC',
    to: 'EMEA',
    outcome: 'picked_up',
    wall: 600,
    business: 300,
    seam: 300,
  },
  { at: HOUR + 50 * MIN + 1, from: 'EMEA', to: 'APAC', outcome: 'handed_on', pingPong: 1 },
];
const y: Handover[] = [
  { at: HOUR + 20 * MIN, from: 'APAC', to: 'EMEA', outcome: 'pending' },
  { at: 3 * HOUR, from: 'APAC', to: 'AMER', outcome: 'ended' },
];

/** handovers_hourly's rows as [from, to, hour after B, handovers, picked up, walls, tuples]. */
const rows = () =>
  db.compactRows(
    `SELECT toString(from_region), toString(to_region), dateDiff('hour', {b:DateTime('UTC')}, hour),
            handovers, picked_up, wall_seconds,
            CAST(made, 'Array(Tuple(UInt32, UInt8, String, Float64, Float64, Float64))')
     FROM ${tables.handoversHourly} FINAL
     WHERE handovers > 0
     ORDER BY 1, 2, 3`,
    { b: hourParam(B) },
  );

const pass = (version: number) =>
  db.ch.command({
    query: readQuery('handovers-hourly-materialise'),
    query_params: { tenant: 'ho', from: hourParam(B), to: hourParam(NOW_HOUR), version },
  });

beforeAll(async () => {
  db = await migrationDatabase('handover_instants', 23);
  await db.ch.insert({
    table: tables.ticketFacts,
    format: 'JSONEachRow',
    values: [facts('X', x), facts('Y', y)],
  });
  // A row of the old shape, as a pass before 0023 left it (its figures are stale on purpose).
  await db.ch.insert({
    table: tables.handoversHourly,
    format: 'JSONEachRow',
    values: [
      {
        tenant: 'ho',
        from_region: 'APAC',
        to_region: 'EMEA',
        hour: hourParam(B + HOUR),
        handovers: 1,
        version: 1,
      },
    ],
  });
});

afterAll(async () => {
  await db?.drop();
});

describe('0023_handover_instants.sql', () => {
  it('refills every closed hour with its handovers at their instants, and a pass right after writes nothing', async () => {
    const { applied, pending } = await db.migrateRest();
    expect(applied).toEqual(pending);
    expect(await rows()).toEqual([
      ['APAC', 'AMER', 3, 1, 0, [], [[0, 0, 'ended', 0, 0, 0]]],
      [
        'APAC',
        'EMEA',
        1,
        2,
        1,
        [600],
        [
          [10 * MIN, 0, 'picked_up', 600, 300, 300],
          [20 * MIN, 0, 'pending', 0, 0, 0],
        ],
      ],
      ['EMEA', 'APAC', 1, 1, 0, [], [[50 * MIN + 1, 1, 'handed_on', 0, 0, 0]]],
    ]);
    const before = await db.writes(tables.handoversHourly);
    await pass(before.version + 1);
    expect(await db.writes(tables.handoversHourly)).toEqual(before);
  });

  it('a later pickup rewrites the hour with the handover picked up', async () => {
    const picked: Handover = { ...y[0]!, outcome: 'picked_up', wall: 7200, business: 3600, seam: 0 };
    await db.ch.insert({
      table: tables.ticketFacts,
      format: 'JSONEachRow',
      values: [facts('Y', [picked, y[1]!], 2)],
    });
    const stored = await db.writes(tables.handoversHourly);
    await pass(stored.version + 1);
    expect((await rows())[1]).toEqual([
      'APAC',
      'EMEA',
      1,
      2,
      2,
      [600, 7200],
      [
        [10 * MIN, 0, 'picked_up', 600, 300, 300],
        [20 * MIN, 0, 'picked_up', 7200, 3600, 0],
      ],
    ]);
    expect(await db.writes(tables.handoversHourly)).toEqual({ n: stored.n + 1, version: stored.version + 1 });
  });
});
