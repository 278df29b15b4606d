import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitHours } from '../../api/rollups.js';
import { type ClickHouseClient, toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { lifecycleDatabase } from '../helpers/lifecycle-database.js';

// sql/queries/review-team-backlog-rollup.sql on hand-made periods: the teams of the week
// [Mon 9 March 2026, Mon 16 March) from backlog_hourly (filled by its materialise query) before the
// watermark and ticket_lifecycle_recent from it must give the figures worked out below, as
// review-team-backlog.sql does, wherever the watermark falls (inside the week above all).
//
// Tenant tb, APAC unless noted (times March 2026, UTC):
//   A  t1 created 1st 00:00, open throughout the week
//   B  t1 created 10th 10:00; → t2 12th 05:00; resolved 13th 08:00
//   C  t2 created 5th; → t1 11th 03:00; open
//   D  t1 created 10th 12:00; → t3 14:10; back → t1 14:40 (t3 held it within one hour); cancelled 14th
//   E  t2 created 8th; resolved 9th 05:00; reopened 13th 02:00; open
//   F  t2 created 15th 20:00, open; G t2 created 16th 01:00 (after the week); H t1 2nd → resolved 6th
//   I  t1 EMEA created 10th, open
//   J  e1 EMEA created 9th 02:00; → t2 APAC 12th 09:00; open
//   K  t4 created 4th; resolved 12th 06:00
//   L  t4 created 9th 01:00; → t5 10th 03:00; back → t4 10th 09:00; open
//   M  t2 created 8th 23:30 (the hour before the week); resolved 15th 23:45 (its last hour)
//   P  t1 created 7th, resolved 8th 23:50 (just before the week); Q t1 created 9th 00:00, open
// Tenant other, APAC: O1 t1 created 11th 01:00, open; O2 t2 created 9th 06:30, closed 15th 23:30.
//
// APAC, tb (start, end, growth, inflow, outflow):
//   t1: start A = 1; end A, C, Q = 3; in B, D, Q = 3; out D = 1; growth 2
//   t2: start C, E, M = 3; end E, F, J = 3; in E reopened, F = 2; out E, B, M = 3; growth 0
//   t4: start K = 1; end L = 1; in L = 1; out K = 1; growth 0
//   t3 and t5 held tickets in the week but only between two moves: all four figures 0, left out.
// All tenants: t1 + O1 (end 4, in 4, growth 3); t2 + O2 (in 3, out 4).
// All regions, tb: t1 + I (end 4, in 4, growth 3); e1: J created and moved out: in 1, rest 0.

let ch: ClickHouseClient;

const t = (iso: string) => toClickHouseTime(Date.parse(iso));
const MIN = 60_000;
const FROM = '2026-03-09T00:00:00Z';
const TO = '2026-03-16T00:00:00Z';

interface Period {
  team: string;
  region?: string;
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
    iv_customer: periods.map(() => 'acme'),
    iv_region: periods.map((p) => p.region ?? 'APAC'),
    iv_team: periods.map((p) => p.team),
    iv_priority: periods.map(() => 'low'),
    iv_opened_at: periods.map((p) => t(p.opened)),
    iv_open_kind: periods.map((p) => p.kind),
    iv_closed_at: periods.map((p) => (p.closed === undefined ? null : t(p.closed))),
    iv_close_kind: periods.map((p) => p.closeKind ?? ''),
  };
}

const m = (day: number, hm = '00:00') => `2026-03-${String(day).padStart(2, '0')}T${hm}:00Z`;
const rows = [
  lifecycle('tb', 'A', [{ team: 't1', opened: m(1), kind: 'created' }]),
  lifecycle('tb', 'B', [
    { team: 't1', opened: m(10, '10:00'), kind: 'created', closed: m(12, '05:00'), closeKind: 'transfer' },
    { team: 't2', opened: m(12, '05:00'), kind: 'transfer', closed: m(13, '08:00'), closeKind: 'resolved' },
  ]),
  lifecycle('tb', 'C', [
    { team: 't2', opened: m(5), kind: 'created', closed: m(11, '03:00'), closeKind: 'transfer' },
    { team: 't1', opened: m(11, '03:00'), kind: 'transfer' },
  ]),
  lifecycle('tb', 'D', [
    { team: 't1', opened: m(10, '12:00'), kind: 'created', closed: m(10, '14:10'), closeKind: 'transfer' },
    { team: 't3', opened: m(10, '14:10'), kind: 'transfer', closed: m(10, '14:40'), closeKind: 'transfer' },
    { team: 't1', opened: m(10, '14:40'), kind: 'transfer', closed: m(14), closeKind: 'cancelled' },
  ]),
  lifecycle('tb', 'E', [
    { team: 't2', opened: m(8), kind: 'created', closed: m(9, '05:00'), closeKind: 'resolved' },
    { team: 't2', opened: m(13, '02:00'), kind: 'reopened' },
  ]),
  lifecycle('tb', 'F', [{ team: 't2', opened: m(15, '20:00'), kind: 'created' }]),
  lifecycle('tb', 'G', [{ team: 't2', opened: m(16, '01:00'), kind: 'created' }]),
  lifecycle('tb', 'H', [{ team: 't1', opened: m(2), kind: 'created', closed: m(6), closeKind: 'resolved' }]),
  lifecycle('tb', 'I', [{ team: 't1', region: 'EMEA', opened: m(10), kind: 'created' }]),
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
    { team: 't4', opened: m(4), kind: 'created', closed: m(12, '06:00'), closeKind: 'resolved' },
  ]),
  lifecycle('tb', 'L', [
    { team: 't4', opened: m(9, '01:00'), kind: 'created', closed: m(10, '03:00'), closeKind: 'transfer' },
    { team: 't5', opened: m(10, '03:00'), kind: 'transfer', closed: m(10, '09:00'), closeKind: 'transfer' },
    { team: 't4', opened: m(10, '09:00'), kind: 'transfer' },
  ]),
  lifecycle('tb', 'M', [
    { team: 't2', opened: m(8, '23:30'), kind: 'created', closed: m(15, '23:45'), closeKind: 'resolved' },
  ]),
  lifecycle('tb', 'P', [
    { team: 't1', opened: m(7), kind: 'created', closed: m(8, '23:50'), closeKind: 'resolved' },
  ]),
  lifecycle('tb', 'Q', [{ team: 't1', opened: m(9), kind: 'created' }]),
  lifecycle('other', 'O1', [{ team: 't1', opened: m(11, '01:00'), kind: 'created' }]),
  lifecycle('other', 'O2', [
    { team: 't2', opened: m(9, '06:30'), kind: 'created', closed: m(15, '23:30'), closeKind: 'closed' },
  ]),
];

type Figures = [team: string, start: number, end: number, growth: number, inflow: number, outflow: number];

const expected: Record<string, Figures[]> = {
  'tb APAC': [
    ['t1', 1, 3, 2, 3, 1],
    ['t2', 3, 3, 0, 2, 3],
    ['t4', 1, 1, 0, 1, 1],
  ],
  ' APAC': [
    ['t1', 1, 4, 3, 4, 1],
    ['t2', 3, 3, 0, 3, 4],
    ['t4', 1, 1, 0, 1, 1],
  ],
  'tb ': [
    ['t1', 1, 4, 3, 4, 1],
    ['t2', 3, 3, 0, 2, 3],
    ['t4', 1, 1, 0, 1, 1],
    ['e1', 0, 0, 0, 1, 0],
  ],
};

let drop: () => Promise<void>;

beforeAll(async () => {
  ({ ch, drop } = await lifecycleDatabase('review_team_backlog_rollup_query', rows, {
    tenants: ['tb', 'other'],
    from: Date.parse('2026-02-20T00:00:00Z'),
    to: Date.parse('2026-03-18T00:00:00Z'),
    materialise: 'backlog-hourly-materialise',
  }));
});

afterAll(async () => {
  await drop?.();
});

interface Row {
  team: string;
  backlog_start: string;
  backlog_end: string;
  growth: string;
  inflow: string;
  outflow: string;
}

async function run(name: string, params: Record<string, unknown>): Promise<Figures[]> {
  const rs = await ch.query({
    query: readQuery(name),
    format: 'JSONEachRow',
    query_params: { from: t(FROM), to: t(TO), limit: 10, split_hours: [], ...params },
  });
  return (await rs.json<Row>()).map((r) => [
    r.team,
    Number(r.backlog_start),
    Number(r.backlog_end),
    Number(r.growth),
    Number(r.inflow),
    Number(r.outflow),
  ]);
}

describe('review-team-backlog-rollup.sql', () => {
  it('t3 and t5 held tickets during the week', () => {
    const held = new Set(
      rows.flatMap((r) =>
        r.iv_team.filter((_, k) => r.iv_opened_at[k]! < t(TO) && (r.iv_closed_at[k] ?? t(TO)) >= t(FROM)),
      ),
    );
    expect([...held].sort()).toEqual(['e1', 't1', 't2', 't3', 't4', 't5']);
  });

  it.each(Object.keys(expected))(
    '"%s": the figures worked out by hand, live and from the rollup',
    async (key) => {
      const [tenant, region] = key.split(' ') as [string, string];
      const want = expected[key]!;
      expect(await run('review-team-backlog', { tenant, region })).toEqual(want);
      for (const W of [m(12), m(10, '14:00'), m(9), m(16), m(17), m(8)]) {
        const got = await run('review-team-backlog-rollup', {
          tenant,
          region,
          bwm_tenants: ['tb', 'other'],
          bwm_until: [t(W).slice(0, 19), t(m(13)).slice(0, 19)],
        });
        expect(got, `W=${W}`).toEqual(want);
      }
      // Bounds inside hours (a zone 30 or 45 minutes off UTC): those hours are read change by
      // change, and the answer is live's at the same bounds.
      const [from0, to0] = [Date.parse(FROM), Date.parse(TO)];
      for (const [from, to] of [
        [from0 + 30 * MIN, to0 + 30 * MIN],
        [from0 - 45 * MIN, to0 - 45 * MIN],
        [from0 + 17 * MIN + 3, to0 - 29 * MIN],
      ] as const) {
        const bounds = { tenant, region, from: toClickHouseTime(from), to: toClickHouseTime(to) };
        const live = await run('review-team-backlog', bounds);
        for (const W of [m(12), m(10, '14:00'), m(16), m(8)]) {
          const got = await run('review-team-backlog-rollup', {
            ...bounds,
            bwm_tenants: ['tb', 'other'],
            bwm_until: [t(W).slice(0, 19), t(m(13)).slice(0, 19)],
            split_hours: splitHours([new Date(from), new Date(to)]),
          });
          expect(got, `${bounds.from} – ${bounds.to}, W=${W}`).toEqual(live);
        }
      }
    },
  );

  it('keeps the limit and the order of the live query', async () => {
    const got = await run('review-team-backlog-rollup', {
      tenant: 'tb',
      region: '',
      limit: 2,
      bwm_tenants: ['tb', 'other'],
      bwm_until: [t(m(12)).slice(0, 19), t(m(12)).slice(0, 19)],
    });
    expect(got).toEqual(expected['tb ']!.slice(0, 2));
    expect(await run('review-team-backlog', { tenant: 'tb', region: '', limit: 2 })).toEqual(got);
  });
});
