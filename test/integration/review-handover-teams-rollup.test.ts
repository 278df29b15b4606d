import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// handover_teams_hourly (0015_review_offender_rollups.sql) and the two review queries that read it,
// on hand-made tickets with the watermark W inside the week: the receiving teams behind the pickup
// latency (review-team-handovers-rollup.sql) and the handovers pending at whole hours before and
// after W (review-pending-at-end-rollup.sql), against figures worked out by hand below; then a late
// rewrite of a ticket that takes a handover away must empty the hours it had counted in.

const config = isolatedConfig('review_handover_teams');
let ch: ClickHouseClient;

const HOUR = 3_600_000;
const B = Math.floor(Date.now() / HOUR) * HOUR - 72 * HOUR; // the week's start
const W = B + 30 * HOUR;
const WEEK_END = B + 48 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);
const hourParam = (ms: number) => t(ms).slice(0, 19);

interface Handover {
  at: number; // hours after B
  region: string;
  team: string;
  /** When the wait ended (hours after B) and how; none = still pending. */
  until?: number;
  outcome?: 'picked_up' | 'handed_on' | 'ended';
  business?: number;
}

function facts(tenant: string, id: string, handovers: Handover[], version = 1) {
  return {
    tenant,
    ticket_id: id,
    version,
    created_at: t(B - 10 * HOUR),
    // now: the recent copy's view takes the row, as it would a ticket with a recent event
    last_event_at: t(Date.now()),
    is_open: 1,
    handovers: handovers.length,
    ho_at: handovers.map((h) => t(B + h.at * HOUR)),
    ho_to_region: handovers.map((h) => h.region),
    ho_to_team: handovers.map((h) => h.team),
    ho_outcome: handovers.map((h) => h.outcome ?? 'pending'),
    ho_until: handovers.map((h) => (h.until === undefined ? null : t(B + h.until * HOUR))),
    ho_business_seconds: handovers.map((h) => h.business ?? null),
  };
}

const tickets = [
  facts('ho', 'A', [
    { at: -5, region: 'APAC', team: 't1', until: 2, outcome: 'picked_up', business: 100 },
    { at: 3, region: 'APAC', team: 't2', until: 4, outcome: 'picked_up', business: 50 },
  ]),
  facts('ho', 'B', [
    { at: 10, region: 'APAC', team: 't1', until: 32, outcome: 'handed_on' },
    { at: 32, region: 'EMEA', team: 't3' },
  ]),
  facts('ho', 'C', [
    { at: 31, region: 'APAC', team: 't1', until: 33, outcome: 'picked_up', business: 200 },
    { at: 35, region: 'APAC', team: 't2' },
  ]),
  facts('ho', 'D', [
    { at: 20, region: 'APAC', team: 't2', until: 21, outcome: 'picked_up', business: 300 },
    { at: 25, region: 'APAC', team: 't2', until: 40, outcome: 'picked_up', business: 400 },
  ]),
  facts('other', 'E', [{ at: 5, region: 'APAC', team: 't1' }]),
];

async function materialise(version: number): Promise<void> {
  for (const tenant of ['ho', 'other'])
    await ch.command({
      query: readQuery('handover-teams-hourly-materialise'),
      query_params: { tenant, from: hourParam(W - HOUR), to: hourParam(W), version },
    });
}

async function rows<T>(name: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await ch.query({
    query: readQuery(name),
    format: 'JSONEachRow',
    query_params: {
      wm_tenants: ['ho', 'other'],
      wm_until: [hourParam(W), hourParam(W)],
      split_hours: [],
      ...params,
    },
  });
  return rs.json<T>();
}

/** Counts as numbers, however the JSON format quoted them. */
const numeric = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
  );

const ends = [24, 30, 34, 48].map((h) => B + h * HOUR);
const pendingAt = async (tenant: string, region: string) =>
  (
    await rows<{ idx: number; pending: string }>('review-pending-at-end-rollup', {
      tenant,
      region,
      ends: ends.map(t),
    })
  ).map((r) => [r.idx, Number(r.pending)]);

beforeAll(async () => {
  await migrateDatabase(config, testLogger(config, 'review_handover_teams'));
  ch = createClickHouse(config);
  await ch.insert({ table: tables.ticketFacts, format: 'JSONEachRow', values: tickets });
  await materialise(1);
});

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await ch?.close();
});

describe('handover_teams_hourly and the review queries over it', () => {
  it('holds the hours before W: received where made, waits where ended', async () => {
    const rs = await ch.query({
      query: `SELECT toString(to_team) AS team, dateDiff('hour', {b:DateTime('UTC')}, hour) AS h,
                     received, picked_up, business_seconds, waits_ended
              FROM ${tables.handoverTeamsHourly} FINAL WHERE tenant = 'ho' ORDER BY h, team`,
      query_params: { b: hourParam(B) },
      format: 'JSONEachRow',
    });
    const got = (await rs.json<Record<string, unknown>>()).map((r) => [
      r.team,
      Number(r.h),
      Number(r.received),
      Number(r.picked_up),
      r.business_seconds,
      Number(r.waits_ended),
    ]);
    // Nothing at or after W (B + 30 h): B's hand-on at 32 h, C's, D's pickup at 40 h are the edge.
    expect(got).toEqual([
      ['t1', -5, 1, 1, [100], 0],
      ['t1', 2, 0, 0, [], 1],
      ['t2', 3, 1, 1, [50], 0],
      ['t2', 4, 0, 0, [], 1],
      ['t1', 10, 1, 0, [], 0],
      ['t2', 20, 1, 1, [300], 0],
      ['t2', 21, 0, 0, [], 1],
      ['t2', 25, 1, 1, [400], 0],
    ]);
  });

  it('the receiving teams of the week, W in it', async () => {
    const params = { tenant: 'ho', region: 'APAC', from: t(B), to: t(WEEK_END), limit: 10 };
    const got = (await rows<Record<string, unknown>>('review-team-handovers-rollup', params)).map(numeric);
    // t2 received A's 2nd (3 h), D's two (20 h, 25 h) and C's 2nd (35 h, pending at the end);
    // picked up 50, 300, 400 s: p50 300, p90 300 + 0.8 * (400 - 300). t1 received B's 1st (10 h,
    // handed on at 32 h) and C's 1st (31 h, picked up after 200 s); A's 1st was made before the week.
    expect(got).toEqual([
      {
        team: 't2',
        received: 4,
        picked_up: 3,
        business_p50_seconds: 300,
        business_p90_seconds: 380,
        pending_at_end: 1,
      },
      {
        team: 't1',
        received: 2,
        picked_up: 1,
        business_p50_seconds: 200,
        business_p90_seconds: 200,
        pending_at_end: 0,
      },
    ]);
    // The live query gives the same rows.
    const live = (await rows<Record<string, unknown>>('review-team-handovers', params)).map(numeric);
    expect(live).toEqual(got);
  });

  it('the handovers pending at whole hours before, at and after W', async () => {
    // APAC of tenant ho: at 24 h B's 1st; at 30 h B's 1st and D's 2nd; at 34 h D's 2nd (B's
    // 1st was handed on at 32 h, C's 1st picked up at 33 h); at 48 h C's 2nd.
    expect(await pendingAt('ho', 'APAC')).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
      [3, 1],
    ]);
    // Every tenant and region: E's (5 h, never picked up) throughout, B's 2nd to EMEA from 32 h.
    expect(await pendingAt('', '')).toEqual([
      [0, 2],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('a late rewrite that takes a handover away empties the hours it counted in', async () => {
    // D's history, rewritten by a late event: its first handover was not one.
    await ch.insert({
      table: tables.ticketFacts,
      format: 'JSONEachRow',
      values: [
        facts(
          'ho',
          'D',
          [{ at: 25, region: 'APAC', team: 't2', until: 40, outcome: 'picked_up', business: 400 }],
          2,
        ),
      ],
    });
    await materialise(2);
    const rs = await ch.query({
      query: `SELECT dateDiff('hour', {b:DateTime('UTC')}, hour) AS h, received, waits_ended, version
              FROM ${tables.handoverTeamsHourly} FINAL
              WHERE tenant = 'ho' AND to_team = 't2' AND hour >= {b:DateTime('UTC')} ORDER BY h`,
      query_params: { b: hourParam(B) },
      format: 'JSONEachRow',
    });
    const got = (await rs.json<Record<string, string>>()).map((r) => [
      Number(r.h),
      Number(r.received),
      Number(r.waits_ended),
      Number(r.version),
    ]);
    // Hours 20 and 21 rewritten empty by the second pass; the unchanged ones kept from the first.
    expect(got).toEqual([
      [3, 1, 0, 1],
      [4, 0, 1, 1],
      [20, 0, 0, 2],
      [21, 0, 0, 2],
      [25, 1, 0, 1],
    ]);
    expect(await pendingAt('ho', 'APAC')).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
      [3, 1],
    ]);
  });
});
