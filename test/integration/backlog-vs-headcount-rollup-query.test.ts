import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupReader } from '../../api/rollups.js';
import { backlogOutpacingRuleSchema } from '../../core/alert-rules.js';
import { type ClickHouseClient, toClickHouseTime } from '../../core/clickhouse.js';
import { sqlDir } from '../../core/paths.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { splitStatements } from '../../sql/migrate.js';
import { observe } from '../../transforms/alerts/conditions.js';
import { lifecycleDatabase } from '../helpers/lifecycle-database.js';

// backlog_region_hourly's change offsets (sql/queries/backlog-region-hourly-materialise.sql,
// sql/migrations/0020_backlog_region_change_offsets.sql) on hand-made periods, by hand; then
// sql/queries/backlog-vs-headcount-rollup.sql against backlog-vs-headcount.sql at instants inside
// hours (the default `at` = now is one), wherever the watermark falls; then a late event that moves
// one instant within an hour, and the migration's refill of the offsets.
//
// Tenant tv (times March 2026, UTC; ms where they matter):
//   P  EMEA, created 2nd 00:00; open throughout
//   Q  EMEA, created 10th 10:17:03.250; resolved 10:42 (the late event moves it to 10:55:30.500)
//   R  APAC, created 9th 23:59:59.999; → EMEA 10th 10:30 (a move between regions); resolved 12th 08:00:00.001
//   S  EMEA, created 10th 10:05; → another team in EMEA 10:30 (a close and an open at one instant); cancelled 15th 12:00
//   T  APAC, created 3rd 05:00; resolved 10th 10:00 (an hour's first instant)
//   U  EMEA, created 11th 04:00; → AMER 04:10; → EMEA 04:50 (AMER's only period, within one hour); resolved 13th
// Headcount: one EMEA member from the 1st, one APAC member from the 12th.

const t = (iso: string) => toClickHouseTime(Date.parse(iso));
const m = (day: number, hms = '00:00:00.000') => `2026-03-${String(day).padStart(2, '0')}T${hms}Z`;
const hourOf = (iso: string) => t(iso).slice(0, 19);

interface Period {
  region: string;
  team?: string;
  opened: string;
  kind: 'created' | 'reopened' | 'transfer';
  closed?: string;
  closeKind?: 'resolved' | 'closed' | 'cancelled' | 'transfer';
}

function lifecycle(id: string, periods: Period[], version = periods.length) {
  return {
    tenant: 'tv',
    ticket_id: id,
    version,
    created_at: t(periods[0]!.opened),
    iv_customer: periods.map(() => 'acme'),
    iv_region: periods.map((p) => p.region),
    iv_team: periods.map((p) => p.team ?? `${p.region}-L1`),
    iv_priority: periods.map(() => 'low'),
    iv_opened_at: periods.map((p) => t(p.opened)),
    iv_open_kind: periods.map((p) => p.kind),
    iv_closed_at: periods.map((p) => (p.closed === undefined ? null : t(p.closed))),
    iv_close_kind: periods.map((p) => p.closeKind ?? ''),
  };
}

const q = (resolved: string, version?: number) =>
  lifecycle(
    'Q',
    [
      {
        region: 'EMEA',
        opened: m(10, '10:17:03.250'),
        kind: 'created',
        closed: resolved,
        closeKind: 'resolved',
      },
    ],
    version,
  );

const rows = [
  lifecycle('P', [{ region: 'EMEA', opened: m(2), kind: 'created' }]),
  q(m(10, '10:42:00.000')),
  lifecycle('R', [
    {
      region: 'APAC',
      opened: m(9, '23:59:59.999'),
      kind: 'created',
      closed: m(10, '10:30:00'),
      closeKind: 'transfer',
    },
    {
      region: 'EMEA',
      opened: m(10, '10:30:00'),
      kind: 'transfer',
      closed: m(12, '08:00:00.001'),
      closeKind: 'resolved',
    },
  ]),
  lifecycle('S', [
    {
      region: 'EMEA',
      opened: m(10, '10:05:00'),
      kind: 'created',
      closed: m(10, '10:30:00'),
      closeKind: 'transfer',
    },
    {
      region: 'EMEA',
      team: 'EMEA-L2',
      opened: m(10, '10:30:00'),
      kind: 'transfer',
      closed: m(15, '12:00:00'),
      closeKind: 'cancelled',
    },
  ]),
  lifecycle('T', [
    {
      region: 'APAC',
      opened: m(3, '05:00:00'),
      kind: 'created',
      closed: m(10, '10:00:00'),
      closeKind: 'resolved',
    },
  ]),
  lifecycle('U', [
    {
      region: 'EMEA',
      opened: m(11, '04:00:00'),
      kind: 'created',
      closed: m(11, '04:10:00'),
      closeKind: 'transfer',
    },
    {
      region: 'AMER',
      opened: m(11, '04:10:00'),
      kind: 'transfer',
      closed: m(11, '04:50:00'),
      closeKind: 'transfer',
    },
    { region: 'EMEA', opened: m(11, '04:50:00'), kind: 'transfer', closed: m(13), closeKind: 'resolved' },
  ]),
];

const FROM = Date.parse('2026-02-20T00:00:00Z');
const TO = Date.parse('2026-04-01T00:00:00Z');

let ch: ClickHouseClient;
let drop: () => Promise<void>;

async function json<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

async function materialise(version: number): Promise<void> {
  await ch.command({
    query: readQuery('backlog-region-hourly-materialise'),
    query_params: {
      tenant: 'tv',
      from: hourOf(new Date(FROM).toISOString()),
      to: hourOf(new Date(TO).toISOString()),
      version,
    },
  });
}

type HourRow = {
  region: string;
  backlog: string;
  inflow: string;
  outflow: string;
  opened: number[];
  closed: number[];
};
/** backlog_region_hourly's row of tv, region, hour (undefined when none). */
async function hourRow(region: string, hour: string): Promise<HourRow | undefined> {
  const [row] = await json<HourRow>(
    `SELECT toString(region) AS region, toString(backlog) AS backlog, toString(inflow) AS inflow,
            toString(outflow) AS outflow, opened_offsets_ms AS opened, closed_offsets_ms AS closed
     FROM ${tables.backlogRegionHourly} FINAL
     WHERE tenant = 'tv' AND region = {region:String} AND hour = {hour:DateTime('UTC')}`,
    { region, hour: hourOf(hour) },
  );
  return row;
}

beforeAll(async () => {
  ({ ch, drop } = await lifecycleDatabase('backlog_vs_headcount_rollup_query', rows, {
    tenants: ['tv'],
    from: FROM,
    to: TO,
    materialise: 'backlog-region-hourly-materialise',
  }));
  const member = (agent: string, region: string, from: string) => ({
    tenant: 'tv',
    agent_id: agent,
    version: 1,
    m_team: [`${region}-L1`],
    m_region: [region],
    m_role: ['agent'],
    m_fte: [1],
    m_from: [t(from)],
    m_to: [null],
  });
  await ch.insert({
    table: tables.agentMembership,
    format: 'JSONEachRow',
    values: [member('a1', 'EMEA', m(1)), member('a2', 'APAC', m(12))],
  });
});

afterAll(async () => {
  await drop?.();
});

type Filters = { region?: string };

async function vs(
  name: string,
  at: string,
  windowDays: number,
  filters: Filters,
  params: Record<string, unknown>,
) {
  return json<Record<string, unknown>>(readQuery(name), {
    tenant: '',
    region: '',
    ...filters,
    at: t(at),
    window_days: windowDays,
    ...params,
  });
}
const live = (at: string, windowDays: number, filters: Filters = {}) =>
  vs('backlog-vs-headcount', at, windowDays, filters, { team: '' });
const rollup = (at: string, windowDays: number, w: string, filters: Filters = {}) =>
  vs('backlog-vs-headcount-rollup', at, windowDays, filters, {
    wm_tenants: ['tv'],
    wm_until: [hourOf(w)],
    team: '',
    source: tables.backlogRegionHourly,
  });

// Ends of windows inside hours: on a change, just before and after one, an hour's first and last
// milliseconds; the 7-day window's start falls on the same minutes of the 3rd-10th / 4th-11th.
const ends7 = [
  m(17, '10:30:00.000'),
  m(17, '10:29:59.999'),
  m(17, '10:17:03.250'),
  m(17, '10:17:03.251'),
  m(17, '10:00:00.001'),
  m(17, '10:59:59.999'),
  m(17, '10:42:00.000'),
  m(16, '23:59:59.999'),
  m(18, '04:30:00.000'),
  m(18, '04:50:00.000'),
  m(18, '04:50:00.001'),
  m(18, '04:10:00.000'),
  m(10, '10:30:00.000'),
  m(10, '10:17:03.251'),
  m(10, '10:42:00.000'),
  m(10, '10:00:00.000'),
  m(11, '04:30:00.000'),
  m(19, '08:00:00.001'),
  m(19, '08:00:00.002'),
];
const ends28 = [m(31, '10:30:00.000'), m(30, '10:17:03.251'), m(29, '00:00:00.001'), m(10, '10:42:00.001')];
const watermarks = [
  m(2),
  m(10, '10:00:00'),
  m(10, '11:00:00'),
  m(11, '04:00:00'),
  m(11, '05:00:00'),
  m(12),
  m(17),
  m(31),
];
const regions: Filters[] = [
  {},
  { region: 'EMEA' },
  { region: 'APAC' },
  { region: 'AMER' },
  { region: 'NOWHERE' },
];

async function rollupEqualsLive(): Promise<void> {
  const cases = [...ends7.map((at) => [7, at] as const), ...ends28.map((at) => [28, at] as const)].flatMap(
    ([windowDays, at]) => regions.map((filters) => ({ windowDays, at, filters })),
  );
  // A few at a time: the engine answers them in parallel.
  for (let i = 0; i < cases.length; i += 4)
    await Promise.all(
      cases.slice(i, i + 4).map(async ({ windowDays, at, filters }) => {
        const [want, ...got] = await Promise.all([
          live(at, windowDays, filters),
          ...watermarks.map((w) => rollup(at, windowDays, w, filters)),
        ]);
        for (const [k, g] of got.entries())
          expect(g, `at=${at} window=${windowDays} W=${watermarks[k]} ${filters.region}`).toEqual(want);
      }),
    );
}

describe('backlog_region_hourly change offsets', () => {
  it('hold every period opened / closed in the hour, transfers included, in ms since the hour, sorted', async () => {
    // EMEA 10th 10h: S created 10:05, Q 10:17:03.250, R moved in and S's next team 10:30; S's first
    // team closed 10:30, Q resolved 10:42. Inflow Q and S; outflow Q.
    expect(await hourRow('EMEA', m(10, '10:00:00'))).toEqual({
      region: 'EMEA',
      backlog: '3',
      inflow: '2',
      outflow: '1',
      opened: [300_000, 1_023_250, 1_800_000, 1_800_000],
      closed: [1_800_000, 2_520_000],
    });
    // APAC 10th 10h: T resolved at 10:00:00.000, R moved out at 10:30 (not outflow).
    expect(await hourRow('APAC', m(10, '10:00:00'))).toEqual({
      region: 'APAC',
      backlog: '0',
      inflow: '0',
      outflow: '1',
      opened: [],
      closed: [0, 1_800_000],
    });
    expect(await hourRow('APAC', m(9, '23:00:00'))).toMatchObject({
      backlog: '2',
      opened: [3_599_999],
      closed: [],
    });
    // AMER 11th 4h: in at 04:10 and out at 04:50, no figure but the offsets.
    expect(await hourRow('AMER', m(11, '04:00:00'))).toEqual({
      region: 'AMER',
      backlog: '0',
      inflow: '0',
      outflow: '0',
      opened: [600_000],
      closed: [3_000_000],
    });
    // An hour without changes; R resolved at 08:00:00.001.
    expect(await hourRow('EMEA', m(11, '07:00:00'))).toMatchObject({ backlog: '4', opened: [], closed: [] });
    expect(await hourRow('EMEA', m(12, '08:00:00'))).toMatchObject({ backlog: '3', opened: [], closed: [1] });
    // Every hour's backlog = the previous one's + opened - closed.
    const [{ bad }] = (await json<{ bad: string }>(
      `SELECT toString(countIf(backlog != prev + length(opened_offsets_ms) - length(closed_offsets_ms))) AS bad
       FROM (SELECT backlog, opened_offsets_ms, closed_offsets_ms,
                    lagInFrame(backlog, 1, 0) OVER (PARTITION BY region ORDER BY hour ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev
             FROM ${tables.backlogRegionHourly} FINAL WHERE tenant = 'tv')`,
    )) as [{ bad: string }];
    expect(bad).toBe('0');
  });

  it('backlog-vs-headcount-rollup.sql = backlog-vs-headcount.sql at any instant, wherever the watermark falls', async () => {
    await rollupEqualsLive();
  }, 600_000);

  it('the compared answers list regions whose backlog changes inside the hours asked about', async () => {
    // Start 10th 10:30:00.000: P, Q, S's first team and R in APAC are open (a period closed at x is
    // still open at x, one opened at x is not yet); at the end only P.
    const at = m(17, '10:30:00.000');
    const got = await rollup(at, 7, m(17));
    expect(got.map((r) => [r.region, r.backlog_start, r.backlog_end])).toEqual([
      ['AMER', 0, 0], // U's trip on the 11th
      ['APAC', 1, 0],
      ['EMEA', 3, 1],
    ]);
    // Just before and after Q was created, and inside U's trip through AMER (listed as live lists it).
    expect((await rollup(m(17, '10:17:03.250'), 7, m(17), { region: 'EMEA' }))[0]).toMatchObject({
      backlog_start: 2,
    });
    expect((await rollup(m(17, '10:17:03.251'), 7, m(17), { region: 'EMEA' }))[0]).toMatchObject({
      backlog_start: 3,
    });
    expect((await rollup(m(18, '04:30:00.000'), 7, m(17))).map((r) => [r.region, r.backlog_start])).toEqual([
      ['AMER', 1],
      ['APAC', 0],
      ['EMEA', 3],
    ]);
    expect((await rollup(m(18, '04:50:00.001'), 7, m(17))).map((r) => r.region)).toEqual(['APAC', 'EMEA']);
  });

  it('with a team, from backlog_hourly = live at any instant, wherever the watermark falls', async () => {
    await ch.command({
      query: readQuery('backlog-hourly-materialise'),
      query_params: {
        tenant: 'tv',
        from: hourOf(new Date(FROM).toISOString()),
        to: hourOf(new Date(TO).toISOString()),
        version: 1,
      },
    });
    const teamRollup = (at: string, windowDays: number, w: string, team: string, region = '') =>
      vs(
        'backlog-vs-headcount-rollup',
        at,
        windowDays,
        { region },
        {
          wm_tenants: ['tv'],
          wm_until: [hourOf(w)],
          team,
          source: tables.backlogHourly,
        },
      );
    let listed = 0;
    // AMER-L1's only period is U's trip within one hour: backlog_hourly shows it by its offsets.
    for (const team of ['EMEA-L1', 'EMEA-L2', 'APAC-L1', 'AMER-L1', 'nobody'])
      for (const [windowDays, at] of [
        [7, m(17, '10:00:00')],
        [7, m(17, '11:00:00')],
        [7, m(18, '04:00:00')],
        [7, m(19, '08:00:00')],
        [7, m(12)],
        [28, m(31, '10:00:00')],
        // inside hours (the default `at`, now, is such an instant)
        [7, m(17, '10:17:03.250')],
        [7, m(18, '04:50:00.001')],
        [28, m(31, '09:59:59.999')],
      ] as const) {
        const want = await vs('backlog-vs-headcount', at, windowDays, {}, { team });
        listed += want.length;
        const got = await Promise.all(watermarks.map((w) => teamRollup(at, windowDays, w, team)));
        for (const [k, g] of got.entries()) expect(g, `${team} at=${at} W=${watermarks[k]}`).toEqual(want);
      }
    expect(listed).toBeGreaterThan(10);
    // A region a team held only within one hour is listed as live lists it, the watermark before or
    // past the trip.
    const live = await vs('backlog-vs-headcount', m(17, '10:00:00'), 7, {}, { team: 'AMER-L1' });
    expect(live.map((r) => r.region)).toEqual(['AMER']);
    expect(await teamRollup(m(17, '10:00:00'), 7, m(11, '04:00:00'), 'AMER-L1')).toEqual(live);
    expect(await teamRollup(m(17, '10:00:00'), 7, m(12), 'AMER-L1')).toEqual(live);
  }, 300_000);

  it('the alert evaluator reads the rollup at its instant, with the live observations', async () => {
    await ch.insert({
      table: tables.rollupWatermark,
      format: 'JSONEachRow',
      values: [
        { tenant: 'tv', materialised_until: hourOf(m(17, '06:00:00')), dirty_since: t(m(17)), version: 1 },
      ],
    });
    const read: string[] = [];
    const spied = new Proxy(ch, {
      get(target, prop, receiver) {
        if (prop === 'query')
          return (args: Parameters<ClickHouseClient['query']>[0]) => {
            read.push(args.query);
            return target.query(args);
          };
        return Reflect.get(target, prop, receiver);
      },
    });
    const reader = rollupReader(ch, { enabled: true, cacheMs: 0 });
    const rules = [
      { windowDays: 7, gapPp: 0 },
      { windowDays: 28, gapPp: 10, region: 'EMEA', tenant: 'tv' },
    ].map((params, i) =>
      backlogOutpacingRuleSchema.parse({ id: `b${i}`, kind: 'backlog_outpacing_headcount', params }),
    );
    for (const rule of rules)
      for (const now of [m(17, '10:30:00.000'), m(17, '10:17:03.251'), m(17, '11:59:59.999')]) {
        read.length = 0;
        const fast = await observe(spied, rule, Date.parse(now), reader);
        expect(
          read.some((q) => q.includes('backlog_region_hourly')),
          now,
        ).toBe(true);
        expect(fast.length, now).toBeGreaterThan(0);
        expect(fast, now).toEqual(await observe(ch, rule, Date.parse(now)));
      }
    // A watermark more than 6 hours behind the evaluation: live.
    read.length = 0;
    await observe(spied, rules[0]!, Date.parse(m(17, '12:00:00.001')), reader);
    expect(read.some((q) => q.includes('backlog_region_hourly'))).toBe(false);
    await ch.command({ query: `TRUNCATE TABLE ${tables.rollupWatermark}` });
  });

  it('a late event that moves an instant within an hour rewrites the hour', async () => {
    const late = q(m(10, '10:55:30.500'), 2);
    await ch.insert({ table: tables.ticketLifecycle, format: 'JSONEachRow', values: [late] });
    await ch.insert({ table: tables.ticketLifecycleRecent, format: 'JSONEachRow', values: [late] });
    // Before the pass the rollup still has 10:42 (the hour's figures do not change).
    const at = m(17, '10:50:00.000');
    expect((await rollup(at, 7, m(17), { region: 'EMEA' }))[0]).toMatchObject({ backlog_start: 3 });
    expect((await live(at, 7, { region: 'EMEA' }))[0]).toMatchObject({ backlog_start: 4 });
    await materialise(2);
    expect(await hourRow('EMEA', m(10, '10:00:00'))).toEqual({
      region: 'EMEA',
      backlog: '3',
      inflow: '2',
      outflow: '1',
      opened: [300_000, 1_023_250, 1_800_000, 1_800_000],
      closed: [1_800_000, 3_330_500],
    });
    expect((await rollup(at, 7, m(17), { region: 'EMEA' }))[0]).toMatchObject({ backlog_start: 4 });
    await rollupEqualsLive();
  }, 600_000);

  it("migration 0020's refill writes the offsets of stored rows, leaving their figures", async () => {
    const before = await json<Record<string, unknown>>(
      `SELECT region, hour, backlog, inflow, outflow, opened_offsets_ms, closed_offsets_ms
       FROM ${tables.backlogRegionHourly} FINAL WHERE tenant = 'tv' ORDER BY region, hour`,
    );
    expect(before.length).toBeGreaterThan(1000);
    // The rows as stored before 0020: no offsets.
    await ch.command({
      query: `INSERT INTO ${tables.backlogRegionHourly} (tenant, region, hour, backlog, inflow, outflow, version)
              SELECT tenant, region, hour, backlog, inflow, outflow, 3
              FROM ${tables.backlogRegionHourly} FINAL`,
    });
    const [{ n }] = (await json<{ n: string }>(
      `SELECT toString(countIf(notEmpty(opened_offsets_ms) OR notEmpty(closed_offsets_ms))) AS n
       FROM ${tables.backlogRegionHourly} FINAL`,
    )) as [{ n: string }];
    expect(n).toBe('0');
    const statements = splitStatements(
      readFileSync(join(sqlDir, 'migrations', '0020_backlog_region_change_offsets.sql'), 'utf8'),
    );
    for (const statement of statements) await ch.command({ query: statement });
    const after = await json<Record<string, unknown>>(
      `SELECT region, hour, backlog, inflow, outflow, opened_offsets_ms, closed_offsets_ms
       FROM ${tables.backlogRegionHourly} FINAL WHERE tenant = 'tv' ORDER BY region, hour`,
    );
    expect(after).toEqual(before);
  });
});
