import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { loadMigrations, migrate } from '../../sql/migrate.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// 0019_escalation_priority.sql on a database that already holds tickets and escalations_hourly
// rows of the shape before it (refilled by 0016_escalation_slices.sql): the table gets the
// ticket's current priority and every closed hour is refilled per priority. Then the migrations
// after it: 0022_escalation_instants.sql refills every hour with its resolutions' instants, a pass
// of escalations-hourly-materialise.sql right after finds nothing to write, and a later priority
// change moves the resolution, instant included, to the new priority.

const config = isolatedConfig('escalation_priority');
const logger = testLogger(config, 'escalation_priority');
const admin = createClickHouse(config, { database: null });
let ch: ClickHouseClient;

const HOUR = 3_600_000;
const NOW_HOUR = Math.floor(Date.now() / HOUR) * HOUR;
const B = NOW_HOUR - 10 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);
const hourParam = (ms: number) => t(ms).slice(0, 19);

interface Ticket {
  tenant?: string;
  id: string;
  priority: string;
  /** Hours after B of the first resolution; none = open. */
  resolved?: number;
  region?: string;
  team?: string;
  customer?: string;
  escalations?: string[];
  reopened?: 1;
  firstTeam?: 1;
  version?: number;
}

const facts = (k: Ticket) => ({
  tenant: k.tenant ?? 'esc',
  ticket_id: k.id,
  version: k.version ?? 1,
  created_at: t(B - 5 * HOUR),
  last_event_at: t(B - 5 * HOUR),
  customer: k.customer ?? 'c1',
  priority: k.priority,
  resolved_at: k.resolved === undefined ? null : t(B + k.resolved * HOUR),
  resolved_region: k.region ?? 'APAC',
  resolved_team: k.team ?? 't1',
  is_open: k.resolved === undefined ? 1 : 0,
  escalations: k.escalations?.length ?? 0,
  escalated: k.escalations?.length ? 1 : 0,
  es_at: (k.escalations ?? []).map(() => t(B)),
  es_kind: k.escalations ?? [],
  reopened_after_resolution: k.reopened ?? 0,
  resolved_by_first_team: k.firstTeam ?? 0,
});

const tickets: Ticket[] = [
  { id: 'A', priority: 'high', resolved: 1 + 10 / 60, escalations: ['tier'] },
  { id: 'B', priority: 'low', resolved: 1 + 40 / 60, reopened: 1 },
  {
    id: 'C',
    priority: 'high',
    resolved: 3,
    region: 'EMEA',
    team: 't2',
    customer: 'c2',
    escalations: ['functional', 'management'],
    firstTeam: 1,
  },
  { id: 'D', priority: 'high' },
  { tenant: 'other', id: 'E', priority: 'high', resolved: 1 + 5 / 60 },
];

/** escalations_hourly's rows with a resolution as [tenant, region, team, customer, priority?, hour after B, counts...]. */
async function rollup(withPriority: boolean): Promise<unknown[][]> {
  const rs = await ch.query({
    query: `SELECT toString(tenant) AS tenant, toString(region) AS region, toString(team) AS team,
                   toString(customer) AS customer, ${withPriority ? 'toString(priority)' : "''"} AS priority,
                   dateDiff('hour', {b:DateTime('UTC')}, hour) AS h, resolved, escalated_tickets,
                   reopened_tickets, first_team_tickets, tier_escalations, functional_escalations,
                   management_escalations
            FROM ${tables.escalationsHourly} FINAL
            WHERE resolved > 0
            ORDER BY tenant, h, region, team, customer, priority`,
    query_params: { b: hourParam(B) },
    format: 'JSONEachRow',
  });
  return (await rs.json<Record<string, unknown>>()).map((r) => {
    const row = Object.values(r).map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));
    return withPriority ? row : [...row.slice(0, 4), ...row.slice(5)];
  });
}

/** escalations_hourly's resolutions per row with any, as [tenant, priority, hour after B, tuples]. */
async function instants(): Promise<unknown[][]> {
  const rs = await ch.query({
    query: `SELECT toString(tenant) AS tenant, toString(priority) AS priority,
                   dateDiff('hour', {b:DateTime('UTC')}, hour) AS h,
                   CAST(resolutions, 'Array(Tuple(UInt32, UInt8, UInt8, UInt8, UInt16, UInt16, UInt16))') AS r
            FROM ${tables.escalationsHourly} FINAL
            WHERE resolved > 0
            ORDER BY tenant, h, region, team, customer, priority`,
    query_params: { b: hourParam(B) },
    format: 'JSONCompactEachRow',
  });
  return (await rs.json<unknown[]>()).map((row) =>
    row.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)),
  );
}

/** Rows stored (every version, not FINAL) and the newest version. */
async function writes(): Promise<{ n: number; version: number }> {
  const rs = await ch.query({
    query: `SELECT count() AS n, max(version) AS version FROM ${tables.escalationsHourly}`,
    format: 'JSONEachRow',
  });
  const [r] = await rs.json<{ n: string; version: string }>();
  return { n: Number(r!.n), version: Number(r!.version) };
}

async function pass(version: number): Promise<void> {
  for (const tenant of ['esc', 'other'])
    await ch.command({
      query: readQuery('escalations-hourly-materialise'),
      query_params: { tenant, from: hourParam(B), to: hourParam(NOW_HOUR), version },
    });
}

beforeAll(async () => {
  const files = await loadMigrations();
  ch = createClickHouse(config);
  // The database as it stood before 0019, with tickets and 0016's refill of escalations_hourly.
  const before0019 = files.filter((m) => m.version < 19);
  await migrate(admin, ch, config.CLICKHOUSE_DATABASE, logger, before0019);
  await ch.insert({ table: tables.ticketFacts, format: 'JSONEachRow', values: tickets.map(facts) });
  const refill0016 = files
    .find((m) => m.version === 16)!
    .statements.filter((s) => /^(TRUNCATE|INSERT)/m.test(s));
  expect(refill0016).toHaveLength(2);
  for (const statement of refill0016) await ch.command({ query: statement });
});

afterAll(async () => {
  await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await Promise.all([admin.close(), ch?.close()]);
});

describe('0019_escalation_priority.sql and 0022_escalation_instants.sql', () => {
  it('splits the stored hours by priority, and a pass right after writes nothing', async () => {
    // Before: A and B share APAC / t1 / c1 at B + 1 h.
    expect(await rollup(false)).toEqual([
      ['esc', 'APAC', 't1', 'c1', 1, 2, 1, 1, 0, 1, 0, 0],
      ['esc', 'EMEA', 't2', 'c2', 3, 1, 1, 0, 1, 0, 1, 1],
      ['other', 'APAC', 't1', 'c1', 1, 1, 0, 0, 0, 0, 0, 0],
    ]);

    const upTo0019 = (await loadMigrations()).filter((m) => m.version <= 19);
    const result = await migrate(admin, ch, config.CLICKHOUSE_DATABASE, logger, upTo0019);
    expect(result.applied).toEqual([19]);

    // D is open: no resolution.
    expect(await rollup(true)).toEqual([
      ['esc', 'APAC', 't1', 'c1', 'high', 1, 1, 1, 0, 0, 1, 0, 0],
      ['esc', 'APAC', 't1', 'c1', 'low', 1, 1, 0, 1, 0, 0, 0, 0],
      ['esc', 'EMEA', 't2', 'c2', 'high', 3, 1, 1, 0, 1, 0, 1, 1],
      ['other', 'APAC', 't1', 'c1', 'high', 1, 1, 0, 0, 0, 0, 0, 0],
    ]);

    // 0022 keeps each resolution's instant in its hour (ms since it) and figures: [offset, escalated,
    // reopened, first team, tier, functional, management].
    const rest = (await loadMigrations()).filter((m) => m.version > 19);
    expect((await migrate(admin, ch, config.CLICKHOUSE_DATABASE, logger, rest)).applied).toEqual(
      rest.map((m) => m.version),
    );
    expect(await rollup(true)).toEqual([
      ['esc', 'APAC', 't1', 'c1', 'high', 1, 1, 1, 0, 0, 1, 0, 0],
      ['esc', 'APAC', 't1', 'c1', 'low', 1, 1, 0, 1, 0, 0, 0, 0],
      ['esc', 'EMEA', 't2', 'c2', 'high', 3, 1, 1, 0, 1, 0, 1, 1],
      ['other', 'APAC', 't1', 'c1', 'high', 1, 1, 0, 0, 0, 0, 0, 0],
    ]);
    expect(await instants()).toEqual([
      ['esc', 'high', 1, [[10 * 60_000, 1, 0, 0, 1, 0, 0]]],
      ['esc', 'low', 1, [[40 * 60_000, 0, 1, 0, 0, 0, 0]]],
      ['esc', 'high', 3, [[0, 1, 0, 1, 0, 1, 1]]],
      ['other', 'high', 1, [[5 * 60_000, 0, 0, 0, 0, 0, 0]]],
    ]);

    // The refill has the materialise query's definitions: its pass finds every hour as stored.
    const before = await writes();
    await pass(before.version + 1);
    expect(await writes()).toEqual(before);
  });

  it('a later priority change moves the resolution to the new priority at the next pass', async () => {
    await ch.insert({
      table: tables.ticketFacts,
      format: 'JSONEachRow',
      values: [facts({ ...tickets[0]!, priority: 'medium', version: 2 })],
    });
    const stored = await writes();
    await pass(stored.version + 1);
    expect(await rollup(true)).toEqual([
      ['esc', 'APAC', 't1', 'c1', 'low', 1, 1, 0, 1, 0, 0, 0, 0],
      ['esc', 'APAC', 't1', 'c1', 'medium', 1, 1, 1, 0, 0, 1, 0, 0],
      ['esc', 'EMEA', 't2', 'c2', 'high', 3, 1, 1, 0, 1, 0, 1, 1],
      ['other', 'APAC', 't1', 'c1', 'high', 1, 1, 0, 0, 0, 0, 0, 0],
    ]);
    // Two rows written: A's under medium, and an explicit 0 where it was under high.
    expect(await writes()).toEqual({ n: stored.n + 2, version: stored.version + 1 });
    expect(await instants()).toEqual([
      ['esc', 'low', 1, [[40 * 60_000, 0, 1, 0, 0, 0, 0]]],
      ['esc', 'medium', 1, [[10 * 60_000, 1, 0, 0, 1, 0, 0]]],
      ['esc', 'high', 3, [[0, 1, 0, 1, 0, 1, 1]]],
      ['other', 'high', 1, [[5 * 60_000, 0, 0, 0, 0, 0, 0]]],
    ]);
  });
});
