import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { type MigrationDatabase, migrationDatabase } from '../helpers/migration-database.js';
import { handoverColumns } from '../helpers/ticket-facts.js';

// handovers-rollup.sql's pending handovers at an explicit asOf T (section `as-of`), on hand-made
// tickets: those open now with no event since T from the open copy, those with an event since from
// their newest ticket_facts row, each ticket once (one open now with an event since is in both
// places and must not count twice), as handovers.sql counts them live.

let db: MigrationDatabase;
const HOUR = 3_600_000;
const T = Math.floor(Date.now() / HOUR) * HOUR - 10 * HOUR;
const t = (ms: number) => toClickHouseTime(ms);

interface Wait {
  at: number;
  until: number | null;
}
const facts = (id: string, version: number, open: boolean, lastEvent: number, waits: Wait[]) => ({
  tenant: 'pa',
  ticket_id: id,
  version,
  created_at: t(T - 6 * HOUR),
  last_event_at: t(lastEvent),
  customer: 'c1',
  priority: 'high',
  is_open: open ? 1 : 0,
  ...handoverColumns(
    waits.map((w) => {
      const until = w.until === null ? null : t(w.until);
      const waited = w.until === null ? null : (w.until - w.at) / 1000;
      return {
        at: t(w.at),
        fromTeam: 'apac-l1',
        fromRegion: 'APAC',
        toTeam: 'emea-l1',
        toRegion: 'EMEA',
        outcome: w.until === null ? 'pending' : 'picked_up',
        pickedAt: until,
        until,
        wall: waited,
        business: waited,
        seam: w.until === null ? null : 0,
      };
    }),
  ),
});

const rows = [
  // P: open now, its wait pending at T picked up after it (an event since T): in both places.
  facts('P', 1, true, T - 2 * HOUR, [{ at: T - 2 * HOUR, until: null }]),
  facts('P', 2, true, T + HOUR, [{ at: T - 2 * HOUR, until: T + HOUR }]),
  // Q: open now, untouched since T, still waiting.
  facts('Q', 1, true, T - HOUR, [{ at: T - HOUR, until: null }]),
  // R: waiting at T, closed since (its wait ended with it).
  facts('R', 1, true, T - 3 * HOUR, [{ at: T - 3 * HOUR, until: null }]),
  facts('R', 2, false, T + 2 * HOUR, [{ at: T - 3 * HOUR, until: T + 2 * HOUR }]),
  // S: picked up before T.
  facts('S', 1, true, T - 4 * HOUR, [{ at: T - 5 * HOUR, until: T - 4 * HOUR }]),
];

async function pending(asOf: number, omit: string[]): Promise<{ pending: number; oldest: number | null }> {
  const rs = await db.ch.query({
    query: readQuery('handovers-rollup', { omit: ['split', ...omit] }),
    query_params: {
      tenant: '',
      region: '',
      from: t(T - 8 * HOUR),
      to: t(T + 8 * HOUR),
      as_of: t(asOf),
      wm_tenants: [],
      wm_until: [],
      split_hours: [],
    },
    format: 'JSONEachRow',
  });
  const got = await rs.json<{ pending: number; pending_oldest_age_seconds: number | null }>();
  return {
    pending: got.reduce((n, r) => n + Number(r.pending), 0),
    oldest: got.map((r) => r.pending_oldest_age_seconds).find((a) => a !== null) ?? null,
  };
}

beforeAll(async () => {
  db = await migrationDatabase('handovers_pending_as_of', Number.MAX_SAFE_INTEGER);
  await db.ch.insert({ table: tables.ticketFacts, format: 'JSONEachRow', values: rows });
});

afterAll(async () => {
  await db?.drop();
});

describe('handovers-rollup.sql at an explicit asOf', () => {
  it('counts the waits pending then once each, untouched tickets and tickets changed since alike', async () => {
    // P, Q and R were waiting at T; the oldest, R's, for 3 hours.
    expect(await pending(T, [])).toEqual({ pending: 3, oldest: 3 * 3600 });
    // Now (the open copy alone): Q is still waiting.
    expect((await pending(Date.now(), ['as-of'])).pending).toBe(1);
    expect((await pending(Date.now(), [])).pending).toBe(1);
  });
});
