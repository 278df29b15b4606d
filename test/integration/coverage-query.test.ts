import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// sql/queries/coverage.sql on hand-made period and shift rows: the DST week in London, a shift
// across midnight, a shift reported twice, a half-hour zone. Every figure is worked out in the
// comments. Hour of week: 0 = Monday 00:00 local, 22 = Monday 22:00, 24 = Tuesday 00:00, ...

const config = isolatedConfig('coverage_query');
let ch: ClickHouseClient;

const t = (iso: string) => iso.replace('T', ' ').replace('Z', '');

interface Period {
  region: string;
  opened: string;
  kind: 'created' | 'reopened' | 'transfer';
  closed?: string;
  closeKind?: string;
}

function lifecycle(tenant: string, id: string, periods: Period[]) {
  return {
    tenant,
    ticket_id: id,
    version: periods.length,
    created_at: t(periods[0]!.opened),
    iv_customer: periods.map(() => 'acme'),
    iv_region: periods.map((p) => p.region),
    iv_team: periods.map(() => 'team'),
    iv_priority: periods.map(() => 'medium'),
    iv_opened_at: periods.map((p) => t(p.opened)),
    iv_open_kind: periods.map((p) => p.kind),
    iv_closed_at: periods.map((p) => (p.closed ? t(p.closed) : null)),
    iv_close_kind: periods.map((p) => p.closeKind ?? ''),
  };
}

function shifts(agent: string, list: [region: string, start: string, end: string][], tenant = 'cov') {
  return {
    tenant,
    agent_id: agent,
    version: list.length,
    s_region: list.map((s) => s[0]),
    s_team: list.map(() => ''),
    s_start: list.map((s) => t(s[1])),
    s_end: list.map((s) => t(s[2])),
  };
}

beforeAll(async () => {
  await migrateDatabase(config, testLogger(config, 'coverage_query'));
  ch = createClickHouse(config);
  await ch.insert({
    table: tables.ticketLifecycle,
    format: 'JSONEachRow',
    values: [
      // Monday 23 March 2026, London on GMT (= UTC) until Sunday 29 March 01:00Z (then BST, UTC+1).
      lifecycle('cov', 'T1', [
        {
          region: 'EMEA',
          opened: '2026-03-23T22:10:00Z',
          kind: 'created',
          closed: '2026-03-24T10:00:00Z',
          closeKind: 'resolved',
        },
        { region: 'EMEA', opened: '2026-03-29T02:10:00Z', kind: 'reopened' }, // 03:10 BST Sun: how 147
      ]),
      lifecycle('cov', 'T2', [
        {
          region: 'EMEA',
          opened: '2026-03-23T22:50:00Z',
          kind: 'created',
          closed: '2026-03-24T12:00:00Z',
          closeKind: 'transfer',
        },
        { region: 'APAC', opened: '2026-03-24T12:00:00Z', kind: 'transfer' }, // a move, not inflow
      ]),
      lifecycle('cov', 'T3', [{ region: 'EMEA', opened: '2026-03-23T03:00:00Z', kind: 'created' }]), // how 3
      lifecycle('cov', 'T4', [{ region: 'EMEA', opened: '2026-03-29T01:30:00Z', kind: 'created' }]), // 02:30 BST: 146
      lifecycle('cov', 'T5', [{ region: 'EMEA', opened: '2026-03-29T23:30:00Z', kind: 'created' }]), // Mon 00:30 BST: 0
      lifecycle('cov', 'T6', [{ region: 'EMEA', opened: '2026-03-23T00:20:00Z', kind: 'created' }]), // how 0
      lifecycle('cov', 'T7', [{ region: 'EMEA', opened: '2026-03-22T22:10:00Z', kind: 'created' }]), // before
      lifecycle('cov', 'T8', [{ region: 'EMEA', opened: '2026-03-30T00:00:00Z', kind: 'created' }]), // at `to`
      lifecycle('cov', 'T9', [{ region: 'EMEA', opened: '2026-03-24T01:15:00Z', kind: 'created' }]), // how 25
      lifecycle('cov', 'T10', [{ region: 'EMEA', opened: '2026-03-24T01:45:00Z', kind: 'created' }]), // how 25
      lifecycle('other', 'T99', [{ region: 'EMEA', opened: '2026-03-23T22:15:00Z', kind: 'created' }]),
    ],
  });
  await ch.insert({
    table: tables.agentShifts,
    format: 'JSONEachRow',
    values: [
      // a1 across midnight Mon 22:00 → Tue 06:00 (stored merged, as the roster transform writes it).
      shifts('a1', [['EMEA', '2026-03-23T22:00:00Z', '2026-03-24T06:00:00Z']]),
      // a2: half an hour of Monday 22:00.
      shifts('a2', [['EMEA', '2026-03-23T22:30:00Z', '2026-03-23T23:00:00Z']]),
      // a3: Sat 23:00 GMT → Sun 03:00Z = 04:00 BST: hours 143, 144, then 146, 147 (02:00 never was).
      shifts('a3', [['EMEA', '2026-03-28T23:00:00Z', '2026-03-29T03:00:00Z']]),
      // a4: Monday 00:00-01:00 of the first week only.
      shifts('a4', [['EMEA', '2026-03-23T00:00:00Z', '2026-03-23T01:00:00Z']]),
      // p1: a quarter hour in APAC, Wednesday 10:00.
      shifts('p1', [['APAC', '2026-03-25T10:00:00Z', '2026-03-25T10:15:00Z']]),
      shifts('x1', [['EMEA', '2026-03-23T22:00:00Z', '2026-03-23T23:00:00Z']], 'other'),
    ],
  });
});

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await ch?.close();
});

interface Row {
  region: string;
  hour_of_week: number;
  weekday: number;
  hour: number;
  hours: number;
  inflow: string;
  avg_inflow: number;
  avg_on_shift: number;
  agents: string;
  inflow_per_head: number | null;
  gap: string;
}

async function coverage(params: Record<string, unknown>): Promise<Row[]> {
  const rs = await ch.query({
    query: readQuery('coverage'),
    format: 'JSONEachRow',
    query_params: {
      tenant: 'cov',
      regions: [],
      exclude_regions: [],
      max_inflow_per_head: 1.5,
      ...params,
    },
  });
  return rs.json<Row>();
}

const pick = (rows: Row[], region: string, how: number) =>
  rows.find((r) => r.region === region && r.hour_of_week === how);
const figures = (r: Row | undefined) =>
  r && {
    hours: r.hours,
    inflow: Number(r.inflow),
    avg_inflow: r.avg_inflow,
    avg_on_shift: r.avg_on_shift,
    agents: Number(r.agents),
    inflow_per_head: r.inflow_per_head,
    gap: r.gap,
  };

describe('coverage.sql', () => {
  it('the DST week in London: a skipped hour, a repeated hour, shifts across midnight', async () => {
    const rows = await coverage({
      from: '2026-03-23 00:00:00.000',
      to: '2026-03-30 00:00:00.000',
      tz: 'Europe/London',
    });
    // 168 UTC hours; local Sunday 01:00 never happened (how 145) and local Monday 00:00 happened
    // twice (23 Mar 00:00 GMT and 30 Mar 00:00 BST = 29 Mar 23:00Z): 167 hours of week per region.
    expect(rows.filter((r) => r.region === 'EMEA')).toHaveLength(167);
    expect(rows.filter((r) => r.region === 'APAC')).toHaveLength(167);
    expect(pick(rows, 'EMEA', 145)).toBeUndefined();
    expect(rows.reduce((s, r) => s + (r.region === 'EMEA' ? r.hours : 0), 0)).toBe(168);

    // how 0: 2 hours; T6 and T5 = 2 → 1 per hour; a4 on shift 1 h of 2 → 0.5; per head 2 > 1.5.
    expect(figures(pick(rows, 'EMEA', 0))).toEqual({
      hours: 2,
      inflow: 2,
      avg_inflow: 1,
      avg_on_shift: 0.5,
      agents: 1,
      inflow_per_head: 2,
      gap: 'overloaded',
    });
    // how 3: T3 with nobody on shift.
    expect(figures(pick(rows, 'EMEA', 3))).toEqual({
      hours: 1,
      inflow: 1,
      avg_inflow: 1,
      avg_on_shift: 0,
      agents: 0,
      inflow_per_head: null,
      gap: 'uncovered',
    });
    // how 22: T1 and T2 (T99 is another tenant, T7 before the window); a1 the whole hour + a2 half.
    const h22 = figures(pick(rows, 'EMEA', 22));
    expect(h22).toMatchObject({ hours: 1, inflow: 2, avg_inflow: 2, avg_on_shift: 1.5, agents: 2, gap: '' });
    expect(h22?.inflow_per_head).toBeCloseTo(4 / 3, 12);
    // how 23 and Tuesday 00-05 (24-29): a1 alone; how 25 has T9 and T10: 2 per head > 1.5.
    expect(figures(pick(rows, 'EMEA', 23))).toMatchObject({ avg_on_shift: 1, inflow: 0, inflow_per_head: 0 });
    for (const how of [24, 26, 27, 28, 29])
      expect(figures(pick(rows, 'EMEA', how))).toMatchObject({ avg_on_shift: 1, agents: 1, gap: '' });
    expect(figures(pick(rows, 'EMEA', 25))).toMatchObject({
      inflow: 2,
      inflow_per_head: 2,
      gap: 'overloaded',
    });
    expect(figures(pick(rows, 'EMEA', 30))).toMatchObject({ avg_on_shift: 0, agents: 0, gap: '' });
    // a3 across the change: Sat 23 (143), Sun 00 (144), then 02:00-04:00 BST (146, 147).
    for (const how of [143, 144]) expect(figures(pick(rows, 'EMEA', how))).toMatchObject({ avg_on_shift: 1 });
    expect(figures(pick(rows, 'EMEA', 146))).toMatchObject({
      inflow: 1,
      avg_on_shift: 1,
      inflow_per_head: 1,
    });
    expect(figures(pick(rows, 'EMEA', 147))).toMatchObject({
      inflow: 1,
      avg_on_shift: 1,
      inflow_per_head: 1,
    });
    // Totals: inflow 2 + 1 + 2 + 2 + 1 + 1 = 9 (T1 created and reopened, T2..T6, T9, T10).
    expect(rows.reduce((s, r) => s + (r.region === 'EMEA' ? Number(r.inflow) : 0), 0)).toBe(9);
    // APAC: the transfer of T2 is not inflow; p1's quarter hour is 0.25 heads on Wed 10:00 (58).
    expect(rows.reduce((s, r) => s + (r.region === 'APAC' ? Number(r.inflow) : 0), 0)).toBe(0);
    expect(figures(pick(rows, 'APAC', 58))).toMatchObject({ avg_on_shift: 0.25, agents: 1, gap: '' });
    expect(pick(rows, 'EMEA', 22)).toMatchObject({ weekday: 1, hour: 22 });
    expect(pick(rows, 'EMEA', 147)).toMatchObject({ weekday: 7, hour: 3 });
  });

  it('a half-hour zone: Kolkata (UTC+5:30) splits UTC hours', async () => {
    const rows = await coverage({
      from: '2026-03-23 00:00:00.000',
      to: '2026-03-23 02:00:00.000',
      tz: 'Asia/Kolkata',
      regions: ['EMEA'],
    });
    // 05:30-06:00 local (how 5, half an hour): T6 at 05:50 → 2 per hour; a4 the whole half hour → 1.
    expect(rows.map((r) => [r.hour_of_week, r.hours])).toEqual([
      [5, 0.5],
      [6, 1],
      [7, 0.5],
    ]);
    expect(figures(pick(rows, 'EMEA', 5))).toEqual({
      hours: 0.5,
      inflow: 1,
      avg_inflow: 2,
      avg_on_shift: 1,
      agents: 1,
      inflow_per_head: 2,
      gap: 'overloaded',
    });
    // 06:00-07:00 local = 00:30-01:30Z: a4 until 01:00Z → half an hour → 0.5 heads.
    expect(figures(pick(rows, 'EMEA', 6))).toMatchObject({ avg_on_shift: 0.5, inflow: 0 });
    expect(figures(pick(rows, 'EMEA', 7))).toMatchObject({ avg_on_shift: 0, agents: 0 });
  });

  it('excluded regions are left out (they are shown in their own zone)', async () => {
    const rows = await coverage({
      from: '2026-03-23 00:00:00.000',
      to: '2026-03-30 00:00:00.000',
      tz: 'Europe/London',
      exclude_regions: ['APAC'],
    });
    expect(new Set(rows.map((r) => r.region))).toEqual(new Set(['EMEA']));
  });

  it('a region asked for with no tickets and no shifts has every hour of the range, all zero', async () => {
    const rows = await coverage({
      from: '2026-03-23 00:00:00.000',
      to: '2026-03-23 03:00:00.000',
      tz: 'UTC',
      regions: ['LATAM', 'APAC'],
    });
    const zero = { inflow: 0, avg_inflow: 0, avg_on_shift: 0, agents: 0, inflow_per_head: null, gap: '' };
    expect(rows.map((r) => [r.region, r.hour_of_week, figures(r)])).toEqual(
      ['APAC', 'LATAM'].flatMap((region) => [0, 1, 2].map((how) => [region, how, { hours: 1, ...zero }])),
    );
    // Excluded wins over asked for.
    const excluded = await coverage({
      from: '2026-03-23 00:00:00.000',
      to: '2026-03-23 03:00:00.000',
      tz: 'UTC',
      regions: ['LATAM'],
      exclude_regions: ['LATAM'],
    });
    expect(excluded).toEqual([]);
  });
});
