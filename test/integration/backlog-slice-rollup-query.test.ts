import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitHours } from '../../api/rollups.js';
import { bucketEdges } from '../../api/routes/backlog.js';
import { type ClickHouseClient, toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { lifecycleDatabase } from '../helpers/lifecycle-database.js';

// sql/queries/backlog-instants-rollup.sql over backlog_hourly, on hand-made periods: per region and
// bucket of [Mon 9 March 2026, Mon 16 March), and of ranges whose edges fall inside hours, for a
// customer / team / priority slice, backlog_hourly (filled by its materialise query, with the
// instants of each hour's changes) before the watermark and ticket_lifecycle_recent from it must
// give backlog-by-slice.sql's rows grouped by region, wherever the watermark falls.
//
// Tenant tb, APAC unless noted (times March 2026, UTC):
//   A  acme t1 high, created 1st, open throughout
//   B  acme t1 low, created 10th 10:00; → high 11th 05:00 (a move within team t1); resolved 13th 08:00
//   C  globex t2 low, created 5th; → t1 11th 03:00; open
//   D  acme t1 low, created 10th 12:00; → t3 14:10; back → t1 14:40 (t3 held it within one hour);
//      cancelled 14th
//   E  globex t2 medium EMEA, created 8th; resolved 9th 05:00; reopened 13th 02:00; open
//   J  acme e1 low EMEA, created 9th 02:00; → t2 APAC 12th 09:00; open
//   K  acme t1 low, created 9th 10:00; → customer globex 10:20 (acme held it within one hour); open
//   L  acme t4 medium, created 9th 01:00; → t5 10th 03:00; back → t4 10th 09:00; resolved 15th 23:45
// Tenant other, APAC: O1 acme t1 low created 11th 01:00, open.

let ch: ClickHouseClient;

const t = (iso: string) => toClickHouseTime(Date.parse(iso));
const m = (day: number, hm = '00:00') => `2026-03-${String(day).padStart(2, '0')}T${hm}:00Z`;
const FROM = m(9);
const TO = m(16);

interface Period {
  customer?: string;
  team: string;
  region?: string;
  priority?: string;
  opened: string;
  kind: 'created' | 'reopened' | 'transfer';
  closed?: string;
  closeKind?: 'resolved' | 'closed' | 'cancelled' | 'transfer';
}

function lifecycle(tenant: string, id: string, periods: Period[]) {
  return {
    tenant,
    ticket_id: id,
    version: periods.length,
    created_at: t(periods[0]!.opened),
    iv_customer: periods.map((p) => p.customer ?? 'acme'),
    iv_region: periods.map((p) => p.region ?? 'APAC'),
    iv_team: periods.map((p) => p.team),
    iv_priority: periods.map((p) => p.priority ?? 'low'),
    iv_opened_at: periods.map((p) => t(p.opened)),
    iv_open_kind: periods.map((p) => p.kind),
    iv_closed_at: periods.map((p) => (p.closed === undefined ? null : t(p.closed))),
    iv_close_kind: periods.map((p) => p.closeKind ?? ''),
  };
}

const rows = [
  lifecycle('tb', 'A', [{ team: 't1', priority: 'high', opened: m(1), kind: 'created' }]),
  lifecycle('tb', 'B', [
    { team: 't1', opened: m(10, '10:00'), kind: 'created', closed: m(11, '05:00'), closeKind: 'transfer' },
    {
      team: 't1',
      priority: 'high',
      opened: m(11, '05:00'),
      kind: 'transfer',
      closed: m(13, '08:00'),
      closeKind: 'resolved',
    },
  ]),
  lifecycle('tb', 'C', [
    {
      customer: 'globex',
      team: 't2',
      opened: m(5),
      kind: 'created',
      closed: m(11, '03:00'),
      closeKind: 'transfer',
    },
    { customer: 'globex', team: 't1', opened: m(11, '03:00'), kind: 'transfer' },
  ]),
  lifecycle('tb', 'D', [
    { team: 't1', opened: m(10, '12:00'), kind: 'created', closed: m(10, '14:10'), closeKind: 'transfer' },
    { team: 't3', opened: m(10, '14:10'), kind: 'transfer', closed: m(10, '14:40'), closeKind: 'transfer' },
    { team: 't1', opened: m(10, '14:40'), kind: 'transfer', closed: m(14), closeKind: 'cancelled' },
  ]),
  lifecycle('tb', 'E', [
    {
      customer: 'globex',
      team: 't2',
      region: 'EMEA',
      priority: 'medium',
      opened: m(8),
      kind: 'created',
      closed: m(9, '05:00'),
      closeKind: 'resolved',
    },
    {
      customer: 'globex',
      team: 't2',
      region: 'EMEA',
      priority: 'medium',
      opened: m(13, '02:00'),
      kind: 'reopened',
    },
  ]),
  lifecycle('tb', 'J', [
    {
      team: 'e1',
      region: 'EMEA',
      opened: m(9, '02:00'),
      kind: 'created',
      closed: m(12, '09:00'),
      closeKind: 'transfer',
    },
    { team: 't2', opened: m(12, '09:00'), kind: 'transfer' },
  ]),
  lifecycle('tb', 'K', [
    { team: 't1', opened: m(9, '10:00'), kind: 'created', closed: m(9, '10:20'), closeKind: 'transfer' },
    { customer: 'globex', team: 't1', opened: m(9, '10:20'), kind: 'transfer' },
  ]),
  lifecycle('tb', 'L', [
    {
      team: 't4',
      priority: 'medium',
      opened: m(9, '01:00'),
      kind: 'created',
      closed: m(10, '03:00'),
      closeKind: 'transfer',
    },
    {
      team: 't5',
      priority: 'medium',
      opened: m(10, '03:00'),
      kind: 'transfer',
      closed: m(10, '09:00'),
      closeKind: 'transfer',
    },
    {
      team: 't4',
      priority: 'medium',
      opened: m(10, '09:00'),
      kind: 'transfer',
      closed: m(15, '23:45'),
      closeKind: 'resolved',
    },
  ]),
  lifecycle('other', 'O1', [{ team: 't1', opened: m(11, '01:00'), kind: 'created' }]),
];

type Filters = { tenant?: string; region?: string; customer?: string; team?: string; priority?: string };

const slices: Filters[] = [
  { team: 't1' },
  { team: 't2', priority: 'low', tenant: 'tb' },
  { team: 't5' },
  { priority: 'low' },
  { priority: 'medium', region: 'EMEA' },
  { customer: 'acme' },
  { customer: 'globex', region: 'APAC' },
  { customer: 'acme', team: 't1', tenant: 'other' },
  { team: 'nobody' },
];
// Watermarks of tb (other's is the 13th): before, inside and after the days asked about.
const watermarks = [m(12), m(10, '14:00'), m(9), m(16), m(17), m(8)];

let drop: () => Promise<void>;

beforeAll(async () => {
  ({ ch, drop } = await lifecycleDatabase('backlog_slice_rollup_query', rows, {
    tenants: ['tb', 'other'],
    from: Date.parse('2026-02-20T00:00:00Z'),
    to: Date.parse('2026-03-18T00:00:00Z'),
    materialise: 'backlog-hourly-materialise',
  }));
});

afterAll(async () => {
  await drop?.();
});

type Range = { from: string; to: string; step_seconds: number };

async function run(name: string, filters: Filters, range: Range, params: Record<string, unknown>) {
  const rs = await ch.query({
    query: readQuery(name),
    format: 'JSONEachRow',
    query_params: {
      tenant: '',
      region: '',
      customer: '',
      team: '',
      priority: '',
      ...filters,
      from: t(range.from),
      to: t(range.to),
      step_seconds: range.step_seconds,
      ...params,
    },
  });
  return rs.json<Record<string, string | number>>();
}

const live = (filters: Filters, range: Range) =>
  run('backlog-by-slice', filters, range, { group_by: 'region' });
const rollup = (filters: Filters, range: Range, w: string) =>
  run('backlog-instants-rollup', filters, range, {
    source: tables.backlogHourly,
    split_hours: splitHours(bucketEdges(new Date(range.from), new Date(range.to), range.step_seconds * 1000)),
    wm_tenants: ['tb', 'other'],
    wm_until: [t(w).slice(0, 19), t(m(13)).slice(0, 19)],
  }).then((rows) =>
    // as backlog-by-slice.sql names the group
    rows.map(
      ({ region, ...r }): Record<string, string | number> => ({
        dimension: 'region',
        slice: region ?? '',
        ...r,
      }),
    ),
  );

const hourly = { from: FROM, to: TO, step_seconds: 3_600 };
const daily = { from: FROM, to: TO, step_seconds: 86_400 };

describe('backlog-instants-rollup.sql over backlog_hourly', () => {
  it.each(slices)('%o: the live rows, wherever the watermark falls', async (filters) => {
    for (const range of [hourly, daily]) {
      const want = await live(filters, range);
      for (const w of watermarks) expect(await rollup(filters, range, w), `W=${w}`).toEqual(want);
    }
    // Edges inside hours (D's and K's moves within one hour among them), before and after every
    // watermark: those hours are split at the edges.
    for (const ragged of [
      { from: m(9, '05:00'), to: m(15, '10:17'), step_seconds: 7 * 3_600 },
      { from: m(9, '10:10'), to: m(16), step_seconds: 3_600 },
      { from: m(10, '14:25'), to: m(13, '02:00'), step_seconds: 86_400 },
    ]) {
      const want = await live(filters, ragged);
      for (const w of watermarks)
        expect(await rollup(filters, ragged, w), `W=${w} ${ragged.from}`).toEqual(want);
    }
  });

  it('the slices see moves as neither inflow nor outflow, and moves within a slice not at all', async () => {
    const figures = async (filters: Filters) =>
      (await rollup(filters, daily, m(12))).map((r) => [r.slice, r.backlog, r.inflow, r.outflow].map(String));
    // t1 in APAC per day: A, then K created; B and D created (D's trip to t3 not seen); C moved
    // in (B's priority change not seen); B resolved; D cancelled.
    expect(await figures({ team: 't1', tenant: 'tb' })).toEqual(
      [
        ['APAC', 2, 1, 0],
        ['APAC', 4, 2, 0],
        ['APAC', 5, 0, 0],
        ['APAC', 5, 0, 0],
        ['APAC', 4, 0, 1],
        ['APAC', 3, 0, 1],
        ['APAC', 3, 0, 0],
      ].map((r) => r.map(String)),
    );
    // Low priority: B and D created on the 10th, B moved out on the 11th (down, no outflow).
    const low = await figures({ priority: 'low', tenant: 'tb', region: 'APAC' });
    expect(low.slice(1, 3)).toEqual(
      [
        ['APAC', 4, 2, 0],
        ['APAC', 3, 0, 0],
      ].map((r) => r.map(String)),
    );
  });

  it('a region held by a slice only within one hour before the watermark is listed, as live', async () => {
    // t3 held D from 14:10 to 14:40 on the 10th: live lists APAC with every figure 0; the rollup
    // knows the period from the hour's opened offset.
    const want = await live({ team: 't3' }, hourly);
    expect(want.length).toBe(168);
    expect(
      want.every((r) => r.slice === 'APAC' && Number(r.backlog) + Number(r.inflow) + Number(r.outflow) === 0),
    ).toBe(true);
    for (const w of watermarks) expect(await rollup({ team: 't3' }, hourly, w), `W=${w}`).toEqual(want);
    // Inside the hour, the backlog at 14:25 holds D.
    const within = { from: m(10, '13:25'), to: m(10, '15:25'), step_seconds: 3_600 };
    const got = await rollup({ team: 't3' }, within, m(12));
    expect(got.map((r) => Number(r.backlog))).toEqual([1, 0]);
    expect(got).toEqual(await live({ team: 't3' }, within));
  });
});
