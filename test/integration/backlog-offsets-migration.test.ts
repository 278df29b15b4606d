import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { hourParam, type MigrationDatabase, migrationDatabase } from '../helpers/migration-database.js';

// 0025_backlog_region_flow_offsets.sql and 0026_backlog_slice_offsets.sql on a database whose
// backlog_region_hourly / backlog_hourly rows were written before them: each row gets the instants
// of its hour's inflow and outflow (and, per slice, of every change) from the lifecycle, its figures
// stay as stored, and a pass of backlog-region-hourly-materialise.sql / backlog-hourly-materialise.sql
// over the same hours writes the same rows.

let db: MigrationDatabase;

const HOUR = 3_600_000;
const MIN = 60_000;
const B = Math.floor(Date.now() / HOUR) * HOUR - 10 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);

type Period = [
  region: string,
  openedAt: number,
  openKind: string,
  closedAt: number | null,
  closeKind: string,
];
const lifecycle = (id: string, periods: Period[]) => ({
  tenant: 'bl',
  ticket_id: id,
  version: 1,
  created_at: t(B + periods[0]![1]),
  iv_customer: periods.map(() => 'c1'),
  iv_region: periods.map((p) => p[0]),
  iv_team: periods.map((p) => `${p[0]}-l1`),
  iv_priority: periods.map(() => 'high'),
  iv_opened_at: periods.map((p) => t(B + p[1])),
  iv_open_kind: periods.map((p) => p[2]),
  iv_closed_at: periods.map((p) => (p[3] === null ? null : t(B + p[3]))),
  iv_close_kind: periods.map((p) => p[4]),
});

// P: created in APAC, moved to EMEA, resolved there in the next hour; Q: created in APAC, open.
const tickets = [
  lifecycle('P', [
    ['APAC', 10 * MIN, 'created', 40 * MIN, 'transfer'],
    ['EMEA', 40 * MIN, 'transfer', HOUR + 5 * MIN, 'resolved'],
  ]),
  lifecycle('Q', [['APAC', 20 * MIN + 1, 'created', null, '']]),
];

// As a pass before 0025 wrote them: [region, hour after B, backlog, inflow, outflow, opened, closed].
const stored: [string, number, number, number, number, number[], number[]][] = [
  ['APAC', 0, 1, 2, 0, [10 * MIN, 20 * MIN + 1], [40 * MIN]],
  ['APAC', 1, 1, 0, 0, [], []],
  ['EMEA', 0, 1, 0, 0, [40 * MIN], []],
  ['EMEA', 1, 0, 0, 1, [], [5 * MIN]],
];

async function rows(table: string = tables.backlogRegionHourly): Promise<unknown[][]> {
  return db.compactRows(
    `SELECT toString(region), dateDiff('hour', {b:DateTime('UTC')}, hour), backlog, inflow, outflow,
                   opened_offsets_ms, closed_offsets_ms, inflow_offsets_ms, outflow_offsets_ms
            FROM ${table} FINAL ORDER BY 1, 2`,
    { b: hourParam(B) },
  );
}

beforeAll(async () => {
  db = await migrationDatabase('backlog_offsets', 25);
  await db.ch.insert({ table: tables.ticketLifecycle, format: 'JSONEachRow', values: tickets });
  await db.ch.insert({
    table: tables.backlogRegionHourly,
    format: 'JSONEachRow',
    values: stored.map(([region, h, backlog, inflow, outflow, opened, closed]) => ({
      tenant: 'bl',
      region,
      hour: hourParam(B + h * HOUR),
      backlog,
      inflow,
      outflow,
      opened_offsets_ms: opened,
      closed_offsets_ms: closed,
      version: 1,
    })),
  });
  // Before 0026 backlog_hourly's offsets were always empty. Each region has one slice here.
  await db.ch.insert({
    table: tables.backlogHourly,
    format: 'JSONEachRow',
    values: stored.map(([region, h, backlog, inflow, outflow]) => ({
      tenant: 'bl',
      customer: 'c1',
      region,
      team: `${region}-l1`,
      priority: 'high',
      hour: hourParam(B + h * HOUR),
      backlog,
      inflow,
      outflow,
      version: 1,
    })),
  });
});

afterAll(async () => {
  await db?.drop();
});

describe('0025_backlog_region_flow_offsets.sql and 0026_backlog_slice_offsets.sql', () => {
  it('give each stored hour its instants, as a pass computes them', async () => {
    const { applied, pending } = await db.migrateRest();
    expect(applied).toEqual(pending);
    // Transfers change the backlog (opened / closed) but are neither inflow nor outflow.
    const expected = [
      ['APAC', 0, 1, 2, 0, [10 * MIN, 20 * MIN + 1], [40 * MIN], [10 * MIN, 20 * MIN + 1], []],
      ['APAC', 1, 1, 0, 0, [], [], [], []],
      ['EMEA', 0, 1, 0, 0, [40 * MIN], [], [], []],
      ['EMEA', 1, 0, 0, 1, [], [5 * MIN], [], [5 * MIN]],
    ];
    expect(await rows()).toEqual(expected);
    expect(await rows(tables.backlogHourly)).toEqual(expected);

    // The pass's rows replace the migration's (a newer version): the same figures and offsets.
    const version = Date.now() + 60_000;
    await db.ch.command({
      query: readQuery('backlog-region-hourly-materialise'),
      query_params: { tenant: 'bl', from: hourParam(B), to: hourParam(B + 2 * HOUR), version },
    });
    const rs = await db.ch.query({
      query: `SELECT count() AS n FROM ${tables.backlogRegionHourly} FINAL WHERE version = {version:UInt64}`,
      query_params: { version },
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ n: string }>())[0]!.n)).toBe(4);
    expect(await rows()).toEqual(expected);
    await db.ch.command({
      query: readQuery('backlog-hourly-materialise'),
      query_params: { tenant: 'bl', from: hourParam(B), to: hourParam(B + 2 * HOUR), version },
    });
    const sliceRows = await db.ch.query({
      query: `SELECT count() AS n FROM ${tables.backlogHourly} FINAL WHERE version = {version:UInt64}`,
      query_params: { version },
      format: 'JSONEachRow',
    });
    expect(Number((await sliceRows.json<{ n: string }>())[0]!.n)).toBe(4);
    expect(await rows(tables.backlogHourly)).toEqual(expected);
  });
});
