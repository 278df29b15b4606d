import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { hourParam, type MigrationDatabase, migrationDatabase } from '../helpers/migration-database.js';
import { handoverColumns } from '../helpers/ticket-facts.js';

// 0029_review_rollup_instants.sql on a database that already holds tickets with handovers and
// breached SLA clocks, and rows of handover_teams_hourly and sla_breaches_hourly of the shape before
// it: both are refilled with each handover, ended wait and breach at its instant within its hour,
// the hourly figures stay as the materialise queries define them, a pass of both right after finds
// nothing to write, and a later pickup rewrites the handover's tuple.

let db: MigrationDatabase;

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW_HOUR = Math.floor(Date.now() / HOUR) * HOUR;
const B = NOW_HOUR - 10 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);

interface Handover {
  /** ms after B */
  at: number;
  to: string;
  outcome: 'picked_up' | 'handed_on' | 'pending';
  business?: number;
  /** ms after B when the wait ended */
  until?: number;
}

const facts = (id: string, hs: Handover[], version = 1) => ({
  tenant: 'rv',
  ticket_id: id,
  version,
  created_at: t(B - HOUR),
  last_event_at: t(B - HOUR),
  customer: 'c1',
  priority: 'high',
  is_open: 1,
  ...handoverColumns(
    hs.map((h) => ({
      at: t(B + h.at),
      fromTeam: 'apac-l1',
      fromRegion: 'APAC',
      toTeam: h.to,
      toRegion: 'EMEA',
      outcome: h.outcome,
      until: h.until === undefined ? null : t(B + h.until),
      wall: h.business ?? null,
      business: h.business ?? null,
    })),
  ),
});

const x: Handover[] = [
  { at: HOUR + 10 * MIN, to: 'emea-l1', outcome: 'picked_up', business: 300, until: HOUR + 15 * MIN + 7 },
  { at: HOUR + 50 * MIN + 1, to: 'emea-l2', outcome: 'handed_on', until: 3 * HOUR + 1 },
];
const y: Handover[] = [{ at: HOUR + 20 * MIN, to: 'emea-l1', outcome: 'pending' }];

const sla = (id: string, breachedAt: number | null) => ({
  tenant: 'rv',
  ticket_id: id,
  version: 1,
  as_of: t(B + 4 * HOUR),
  customer: 'c1',
  region: 'EMEA',
  team: 'emea-l1',
  priority: 'high',
  created_at: t(B - HOUR),
  res_breached_at: breachedAt === null ? null : t(B + breachedAt),
});

/** handover_teams_hourly's rows: [team, hour after B, received, picked up, waits, ended, tuples, ended offsets]. */
const teamRows = () =>
  db.compactRows(
    `SELECT toString(to_team), dateDiff('hour', {b:DateTime('UTC')}, hour), received, picked_up,
            business_seconds, waits_ended, CAST(received_at, 'Array(Tuple(UInt32, UInt8, Float64))'),
            waits_ended_offsets_ms
     FROM ${tables.handoverTeamsHourly} FINAL
     WHERE received > 0 OR waits_ended > 0
     ORDER BY 1, 2`,
    { b: hourParam(B) },
  );

/** sla_breaches_hourly's rows: [hour after B, breaches, offsets]. */
const breachRows = () =>
  db.compactRows(
    `SELECT dateDiff('hour', {b:DateTime('UTC')}, hour), breaches, breach_offsets_ms
     FROM ${tables.slaBreachesHourly} FINAL WHERE breaches > 0 ORDER BY 1`,
    { b: hourParam(B) },
  );

const pass = async (version: number) => {
  for (const query of ['handover-teams-hourly-materialise', 'sla-breaches-hourly-materialise'])
    await db.ch.command({
      query: readQuery(query),
      query_params: { tenant: 'rv', from: hourParam(B), to: hourParam(NOW_HOUR), version },
    });
};

const writes = async () => ({
  teams: await db.writes(tables.handoverTeamsHourly),
  breaches: await db.writes(tables.slaBreachesHourly),
});

beforeAll(async () => {
  db = await migrationDatabase('review_rollup_instants', 29);
  await db.ch.insert({
    table: tables.ticketFacts,
    format: 'JSONEachRow',
    values: [facts('X', x), facts('Y', y)],
  });
  await db.ch.insert({
    table: tables.ticketSla,
    format: 'JSONEachRow',
    values: [
      sla('P', HOUR + 5 * MIN),
      sla('Q', HOUR + 59 * MIN + 59_999),
      sla('R', 2 * HOUR),
      sla('S', null),
    ],
  });
  // Rows of the old shape, as a pass before 0029 left them (stale figures on purpose).
  await db.ch.insert({
    table: tables.handoverTeamsHourly,
    format: 'JSONEachRow',
    values: [
      {
        tenant: 'rv',
        to_region: 'EMEA',
        to_team: 'emea-l1',
        hour: hourParam(B + HOUR),
        received: 9,
        version: 1,
      },
    ],
  });
  await db.ch.insert({
    table: tables.slaBreachesHourly,
    format: 'JSONEachRow',
    values: [
      {
        tenant: 'rv',
        region: 'EMEA',
        priority: 'high',
        customer: 'c1',
        hour: hourParam(B + HOUR),
        breaches: 9,
        version: 1,
      },
    ],
  });
});

afterAll(async () => {
  await db?.drop();
});

describe('0029_review_rollup_instants.sql', () => {
  it('refills both rollups with every item at its instant, and a pass right after writes nothing', async () => {
    const { applied, pending } = await db.migrateRest();
    expect(applied).toEqual(pending);
    expect(await teamRows()).toEqual([
      [
        'emea-l1',
        1,
        2,
        1,
        [300],
        1,
        [
          [10 * MIN, 1, 300],
          [20 * MIN, 0, 0],
        ],
        [15 * MIN + 7],
      ],
      ['emea-l2', 1, 1, 0, [], 0, [[50 * MIN + 1, 0, 0]], []],
      ['emea-l2', 3, 0, 0, [], 1, [], [1]],
    ]);
    expect(await breachRows()).toEqual([
      [1, 2, [5 * MIN, 59 * MIN + 59_999]],
      [2, 1, [0]],
    ]);
    const before = await writes();
    await pass(Math.max(before.teams.version, before.breaches.version) + 1);
    expect(await writes()).toEqual(before);
  });

  it('a later pickup rewrites the hour with the handover picked up', async () => {
    const picked: Handover = { ...y[0]!, outcome: 'picked_up', business: 3600, until: 2 * HOUR };
    await db.ch.insert({
      table: tables.ticketFacts,
      format: 'JSONEachRow',
      values: [facts('Y', [picked], 2)],
    });
    const stored = await writes();
    await pass(stored.teams.version + 1);
    const rows = await teamRows();
    expect(rows[0]).toEqual([
      'emea-l1',
      1,
      2,
      2,
      [300, 3600],
      1,
      [
        [10 * MIN, 1, 300],
        [20 * MIN, 1, 3600],
      ],
      [15 * MIN + 7],
    ]);
    expect(rows).toContainEqual(['emea-l1', 2, 0, 0, [], 1, [], [0]]);
  });
});
