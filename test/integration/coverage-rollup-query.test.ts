import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// sql/queries/coverage-rollup.sql against coverage.sql on hand-made rows, in London's two DST
// weeks of 2026 (a whole number of hours off UTC on both sides of each change, so the rollup may
// answer): the inflow from backlog_region_hourly (filled by its materialise query) before the
// watermark and from ticket_lifecycle_recent after it must give coverage.sql's answer wherever the
// watermark falls, the skipped and the repeated local hour included.

const config = isolatedConfig('coverage_rollup_query');
let ch: ClickHouseClient;

const HOUR = 3_600_000;
const MINUTE = 60_000;
const t = (ms: number) => toClickHouseTime(ms);

// Spring: clocks go from 01:00 GMT to 02:00 BST on Sunday 29 March (01:00Z). Autumn: from 02:00
// BST back to 01:00 GMT on Sunday 25 October (01:00Z), so local 01:00-02:00 happens twice.
const weeks = [
  { from: Date.parse('2026-03-23T00:00:00Z'), to: Date.parse('2026-03-30T00:00:00Z') - HOUR },
  { from: Date.parse('2026-10-18T23:00:00Z'), to: Date.parse('2026-10-26T00:00:00Z') },
];

interface Period {
  region: string;
  opened: number;
  kind: 'created' | 'reopened' | 'transfer';
  closed?: number;
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
    iv_closed_at: periods.map((p) => (p.closed === undefined ? null : t(p.closed))),
    iv_close_kind: periods.map((p) => p.closeKind ?? ''),
  };
}

// Per week: a ticket every 50 minutes (so hours get 1 or 2), alternating EMEA / APAC; every third
// is reopened 7 hours later after a resolution, every fifth moves to APAC after 2 hours (a move is
// not inflow). A second tenant has a few of its own.
const rows = weeks.flatMap((w, wi) => {
  const out = [];
  let i = 0;
  for (let at = w.from + 5 * MINUTE; at < w.to; at += 50 * MINUTE, i++) {
    const region = i % 2 === 0 ? 'EMEA' : 'APAC';
    const id = `w${wi}-${i}`;
    if (i % 3 === 0)
      out.push(
        lifecycle('cov', id, [
          { region, opened: at, kind: 'created', closed: at + HOUR, closeKind: 'resolved' },
          { region, opened: at + 7 * HOUR, kind: 'reopened' },
        ]),
      );
    else if (i % 5 === 0)
      out.push(
        lifecycle('cov', id, [
          { region, opened: at, kind: 'created', closed: at + 2 * HOUR, closeKind: 'transfer' },
          { region: 'APAC', opened: at + 2 * HOUR, kind: 'transfer' },
        ]),
      );
    else out.push(lifecycle('cov', id, [{ region, opened: at, kind: 'created' }]));
    if (i % 17 === 0) out.push(lifecycle('other', id, [{ region: 'EMEA', opened: at, kind: 'created' }]));
  }
  return out;
});

beforeAll(async () => {
  await migrateDatabase(config, testLogger(config, 'coverage_rollup_query'));
  ch = createClickHouse(config);
  await ch.insert({ table: tables.ticketLifecycle, format: 'JSONEachRow', values: rows });
  // The edge reads only what is at or after the watermark: here the copy holds every ticket.
  await ch.insert({ table: tables.ticketLifecycleRecent, format: 'JSONEachRow', values: rows });
  await ch.insert({
    table: tables.agentShifts,
    format: 'JSONEachRow',
    values: weeks.map((w, wi) => ({
      tenant: 'cov',
      agent_id: `a${wi}`,
      version: 1,
      s_region: ['EMEA'],
      s_team: [''],
      s_start: [t(w.from + 20 * HOUR)],
      s_end: [t(w.to - 20 * HOUR)],
    })),
  });
  for (const tenant of ['cov', 'other'])
    for (const w of weeks)
      await ch.command({
        query: readQuery('backlog-region-hourly-materialise'),
        query_params: {
          tenant,
          from: t(w.from - 24 * HOUR).slice(0, 19),
          to: t(w.to + 12 * HOUR).slice(0, 19),
          version: 1,
        },
      });
});

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await ch?.close();
});

interface Row {
  region: string;
  hour_of_week: number;
  hours: number;
  inflow: string;
}

async function run(name: string, params: Record<string, unknown>): Promise<Row[]> {
  const rs = await ch.query({
    query: readQuery(name),
    format: 'JSONEachRow',
    query_params: { regions: [], exclude_regions: [], max_inflow_per_head: 1.5, ...params },
  });
  return rs.json<Row>();
}

describe('coverage-rollup.sql', () => {
  it.each(weeks.map((w) => [new Date(w.from).toISOString(), w] as const))(
    'the week from %s: the same answer as coverage.sql wherever the watermark falls',
    async (_, w) => {
      for (const scope of [
        { tenant: '', tz: 'Europe/London' },
        { tenant: 'cov', tz: 'Europe/London' },
        { tenant: 'cov', tz: 'UTC', regions: ['APAC'] },
        { tenant: '', tz: 'America/New_York', exclude_regions: ['APAC'] },
      ]) {
        const params = { ...scope, from: t(w.from), to: t(w.to) };
        const live = await run('coverage', params);
        expect(live.reduce((s, r) => s + Number(r.inflow), 0)).toBeGreaterThan(30);
        for (const W of [w.from, w.from + 6 * 24 * HOUR + 2 * HOUR, w.to + 3 * HOUR, w.from - HOUR]) {
          const got = await run('coverage-rollup', {
            ...params,
            wm_tenants: ['cov', 'other'],
            wm_until: [t(W).slice(0, 19), t(w.from + 3 * 24 * HOUR).slice(0, 19)],
          });
          expect(got, `${JSON.stringify(scope)} W=${new Date(W).toISOString()}`).toEqual(live);
        }
      }
    },
  );

  it('the repeated local hour holds the inflow of both UTC hours', async () => {
    const w = weeks[1]!;
    const params = { tenant: 'cov', tz: 'Europe/London', regions: ['EMEA'], from: t(w.from), to: t(w.to) };
    const got = await run('coverage-rollup', {
      ...params,
      wm_tenants: ['cov'],
      wm_until: [t(w.to).slice(0, 19)],
    });
    // Sunday 01:00 local (hour of week 145) = 00:00Z and 01:00Z on 25 October; two hours long.
    const inflowIn = (from: number) =>
      rows
        .filter((r) => r.tenant === 'cov')
        .flatMap((r) => r.iv_opened_at.map((o, k) => [o, r.iv_open_kind[k], r.iv_region[k]] as const))
        .filter(([o, kind, region]) => {
          const ms = Date.parse(`${o.replace(' ', 'T')}Z`);
          return region === 'EMEA' && kind !== 'transfer' && ms >= from && ms < from + HOUR;
        }).length;
    const sunday = Date.parse('2026-10-25T00:00:00Z');
    const row = got.find((r) => r.region === 'EMEA' && r.hour_of_week === 145);
    expect(row?.hours).toBe(2);
    expect(Number(row?.inflow)).toBe(inflowIn(sunday) + inflowIn(sunday + HOUR));
    expect(Number(row?.inflow)).toBeGreaterThan(0);
  });
});
