import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { type CanonicalEvent, eventId, type RosterEvent, type TicketEvent } from '../../core/events/index.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import { readQuery } from '../../core/queries.js';
import { allTopics } from '../../core/topics.js';
import { createEventSink, type EventSink } from '../../ingest/sink.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { type RunningTransforms, startTransforms } from '../../transforms/main.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// Backlog against headcount through the real pipeline: roster and ticket events → Kafka → the
// roster and lifecycle transforms → ClickHouse → the read queries. The scenario is the design's
// example (APAC backlog 200 → 260, headcount 40 → 42 over 7 days: gap 25 pp) built from groups of
// tickets and agents whose counts are worked out by hand below; an independent replay of the
// events written here checks that the generated events really are that plan.

const TENANT = 'bh';
const AT = '2026-03-30T00:00:00.000Z'; // window end
const START = '2026-03-23T00:00:00.000Z'; // 7-day window start
const day = (d: string, time = '09:00:00') => new Date(`2026-${d}T${time}Z`).toISOString();

// ---- roster (all joins/leaves at 09:00 UTC) -------------------------------------------------------
// APAC  A01..A36 joined 02-16                                   36 FTE throughout
//       A37 joined 02-16, leaves 03-25 (mid-window)              1 at start, 0 at end
//       P1..P4 joined 02-16 at 0.5 FTE                           2 FTE throughout (4 people)
//       R1 joined 02-16, left 03-05, re-joined 03-12             1 at 03-02, 03-23 and 03-30
//       L1 joined 02-16, left 03-10                              1 at 03-02 only
//       N1 joins 03-24, N2 joins 03-26                           0 at start, 2 at end
//       M1 joined EMEA 02-16, moves to APAC 03-27                0 at start, 1 at end
//   H(03-23) = 36 + 1 + 2 + 1 = 40;  H(03-30) = 36 + 2 + 1 + 2 + 1 = 42;  H(03-02) = 36+1+2+1+1 = 41
// EMEA  E01..E09 joined 02-16; M1 (above) 1 until 03-27; E10 joins 03-24 at 0.5
//   H(03-23) = 9 + 1 = 10;  H(03-30) = 9 + 0.5 = 9.5
// AMER  X1 joins 03-25: H 0 → 1 (zero headcount at the start of the window)
function rosterEvents(): RosterEvent[] {
  const out: RosterEvent[] = [];
  const base = (agentId: string, n: number, at: string) => ({
    eventId: eventId('hr', 'agent', agentId, String(n)),
    schemaVersion: 1 as const,
    source: 'hr',
    tenant: TENANT,
    agentId,
    occurredAt: at,
    receivedAt: at,
  });
  const join = (agentId: string, n: number, at: string, region: string, fte = 1) =>
    out.push({
      ...base(agentId, n, at),
      type: 'roster.member_joined',
      team: `${region.toLowerCase()}-l1`,
      region,
      role: 'engineer',
      fte,
    });
  const leave = (agentId: string, n: number, at: string) =>
    out.push({ ...base(agentId, n, at), type: 'roster.member_left' });
  for (let i = 1; i <= 36; i++) join(`A${String(i).padStart(2, '0')}`, 0, day('02-16'), 'APAC');
  join('A37', 0, day('02-16'), 'APAC');
  leave('A37', 1, day('03-25'));
  for (let i = 1; i <= 4; i++) join(`P${i}`, 0, day('02-16'), 'APAC', 0.5);
  join('R1', 0, day('02-16'), 'APAC');
  leave('R1', 1, day('03-05'));
  join('R1', 2, day('03-12'), 'APAC');
  join('L1', 0, day('02-16'), 'APAC');
  leave('L1', 1, day('03-10'));
  join('N1', 0, day('03-24'), 'APAC');
  join('N2', 0, day('03-26'), 'APAC');
  join('M1', 0, day('02-16'), 'EMEA');
  join('M1', 1, day('03-27'), 'APAC');
  for (let i = 1; i <= 9; i++) join(`E${String(i).padStart(2, '0')}`, 0, day('02-16'), 'EMEA');
  join('E10', 0, day('03-24'), 'EMEA', 0.5);
  join('X1', 0, day('03-25'), 'AMER');
  return out;
}

// ---- tickets ---------------------------------------------------------------------------------
// APAC (age at 03-30 00:00 in brackets)
//   A  10 created 02-20 12:00, open                       in B(start) and B(end)   [37.5 d: >28d]
//   B 137 created 03-09..03-22 06:00, open                 start and end            [7.75–20.75 d: 7–28d]
//   C  50 created 03-16, resolved 03-24..03-28             start only
//   H   3 created 03-18, moved to EMEA 03-25               APAC start; EMEA end     [11.6 d: 7–28d]
//   D1 30 created 03-29 12:00+i min, open (team apac-l2)   end only                 [<1d]
//   D2 40 created 03-27 12:00, open (apac-l2)              end only                 [2.5 d: 1–3d]
//   D3 38 created 03-24 06:00, open (apac-l2)              end only                 [5.75 d: 3–7d]
//   G   5 created 03-20, resolved 03-21, reopened 03-26    end only (age from creation) [9.625 d: 7–28d]
//   E  20 created 03-25, resolved 03-26                    neither
//   F  10 created 03-10, resolved 03-12                    neither
//   B(03-23) = 10 + 137 + 50 + 3 = 200;  B(03-30) = 10 + 137 + 30 + 40 + 38 + 5 = 260;  B(03-02) = 10
// EMEA
//   20 created 03-10 12:00, open; 10 created 03-22 12:00 of which 5 resolved 03-27;
//   2 created 03-29 20:00, open; + the 3 moved in from APAC
//   B(03-23) = 20 + 10 = 30;  B(03-30) = 20 + 5 + 2 + 3 = 30
// AMER  4 created 03-20, open: B 4 → 4
function ticketEvents(): TicketEvent[] {
  const out: TicketEvent[] = [];
  let seq = 0;
  const ticket = (region: string, createdAt: string, team = `${region.toLowerCase()}-l1`) => {
    const id = `${region}-${++seq}`;
    let n = 0;
    const ev = (type: TicketEvent['type'], at: string, body: Record<string, unknown> = {}) => {
      out.push({
        eventId: eventId('desk', 'ticket', id, String(n++)),
        schemaVersion: 1,
        source: 'desk',
        tenant: TENANT,
        ticketId: id,
        occurredAt: at,
        receivedAt: at,
        type,
        ...body,
      } as TicketEvent);
      return handle;
    };
    const handle = {
      resolve: (at: string) => ev('ticket.resolved', at),
      reopen: (at: string) => ev('ticket.reopened', at),
      move: (at: string, region: string) =>
        ev('ticket.assigned', at, { team: `${region.toLowerCase()}-l1`, region }),
    };
    ev('ticket.created', createdAt, { customer: `cust-${seq % 3}`, region, priority: 'high', team });
    return handle;
  };
  for (let i = 0; i < 10; i++) ticket('APAC', day('02-20', '12:00:00'));
  for (let i = 0; i < 137; i++)
    ticket('APAC', day(`03-${String(9 + (i % 14)).padStart(2, '0')}`, '06:00:00'));
  for (let i = 0; i < 50; i++)
    ticket('APAC', day('03-16', '08:00:00')).resolve(day(`03-${24 + (i % 5)}`, '10:00:00'));
  for (let i = 0; i < 3; i++) ticket('APAC', day('03-18')).move(day('03-25'), 'EMEA');
  for (let i = 0; i < 30; i++)
    ticket('APAC', new Date(Date.parse(day('03-29', '12:00:00')) + i * 60_000).toISOString(), 'apac-l2');
  for (let i = 0; i < 40; i++) ticket('APAC', day('03-27', '12:00:00'), 'apac-l2');
  for (let i = 0; i < 38; i++) ticket('APAC', day('03-24', '06:00:00'), 'apac-l2');
  for (let i = 0; i < 5; i++)
    ticket('APAC', day('03-20', '09:00:00')).resolve(day('03-21')).reopen(day('03-26'));
  for (let i = 0; i < 20; i++) ticket('APAC', day('03-25', '08:00:00')).resolve(day('03-26', '08:00:00'));
  for (let i = 0; i < 10; i++) ticket('APAC', day('03-10')).resolve(day('03-12'));
  for (let i = 0; i < 20; i++) ticket('EMEA', day('03-10', '12:00:00'));
  for (let i = 0; i < 10; i++) {
    const t = ticket('EMEA', day('03-22', '12:00:00'));
    if (i < 5) t.resolve(day('03-27'));
  }
  for (let i = 0; i < 2; i++) ticket('EMEA', day('03-29', '20:00:00'));
  for (let i = 0; i < 4; i++) ticket('AMER', day('03-20'));
  return out;
}

let config: Config;
let bus: MessageBus;
let sink: EventSink;
let transforms: RunningTransforms;
let ch: ClickHouseClient;
const roster = rosterEvents();
const tickets = ticketEvents();

beforeAll(async () => {
  config = isolatedConfig('e2e_bh');
  const logger = testLogger(config, 'e2e');
  await migrateDatabase(config, logger);
  bus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  sink = createEventSink(config, bus, logger);
  transforms = await startTransforms(config, logger);
  ch = createClickHouse(config);
  // Newest first, with a share re-delivered: arrival order and repeats must not matter.
  const all: CanonicalEvent[] = [...roster, ...tickets].reverse();
  await sink.emit([...all, ...all.filter((_, i) => i % 7 === 0)]);
  // Everything stored once the raw-event tables hold every distinct event.
  const counts = await eventually(
    () =>
      rows<{ r: number | string; t: number | string }>(
        `SELECT (SELECT uniqExact(event_id) FROM roster_events) AS r, (SELECT uniqExact(event_id) FROM ticket_events) AS t`,
      ),
    (c) => Number(c[0]?.r) === roster.length && Number(c[0]?.t) === tickets.length,
    90_000,
  );
  expect(counts.map((c) => [Number(c.r), Number(c.t)])).toEqual([[roster.length, tickets.length]]);
}, 120_000);

afterAll(async () => {
  await transforms?.stop();
  await sink?.close();
  await bus?.deleteTopics(allTopics(config).map((t) => t.name));
  await bus?.close();
  await ch?.close();
  const admin = createClickHouse(config, { database: null });
  await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await admin.close();
});

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

const chTime = (iso: string) => toClickHouseTime(new Date(iso));
const filters = { tenant: TENANT, region: '', team: '' };

interface VsRow {
  region: string;
  window_start: string;
  window_end: string;
  backlog_start: number | string;
  backlog_end: number | string;
  backlog_growth_pct: number;
  headcount_start: number;
  headcount_end: number;
  headcount_growth_pct: number | null;
  load_start: number | null;
  load_end: number | null;
  gap_pp: number | null;
}

// Rows land after the raw events; poll until the derived tables caught up with the plan.
async function vsHeadcount(windowDays: number, extra: Record<string, string> = {}): Promise<VsRow[]> {
  const read = () =>
    rows<VsRow>(readQuery('backlog-vs-headcount'), {
      ...filters,
      ...extra,
      at: chTime(AT),
      window_days: windowDays,
    });
  return eventually(
    read,
    (r) =>
      JSON.stringify(r.find((x) => x.region === 'APAC')?.backlog_end) === '260' &&
      r.find((x) => x.region === 'APAC')?.headcount_end === 42,
    60_000,
  );
}

describe('backlog against headcount, end to end', () => {
  it("the design's example: APAC backlog +30 %, headcount +5 %, gap 25 pp; EMEA and AMER edge cases", async () => {
    const got = await vsHeadcount(7);
    expect(got).toEqual([
      {
        // AMER: nobody at the start (H 0 → 1): no headcount growth percentage, hence no gap
        region: 'AMER',
        window_start: '2026-03-23 00:00:00.000',
        window_end: '2026-03-30 00:00:00.000',
        backlog_start: 4,
        backlog_end: 4,
        backlog_growth_pct: 0,
        headcount_start: 0,
        headcount_end: 1,
        headcount_growth_pct: null,
        load_start: null,
        load_end: 4, // 4 / 1
        gap_pp: null,
      },
      {
        region: 'APAC',
        window_start: '2026-03-23 00:00:00.000',
        window_end: '2026-03-30 00:00:00.000',
        backlog_start: 200,
        backlog_end: 260,
        backlog_growth_pct: 30, // (260 − 200) / 200
        headcount_start: 40,
        headcount_end: 42,
        headcount_growth_pct: 5, // (42 − 40) / 40
        load_start: 5, // 200 / 40
        load_end: 6.1905, // 260 / 42 = 6.190476…
        gap_pp: 25, // 30 − 5
      },
      {
        // EMEA: a mover left for APAC mid-window, a half-time joiner came: H 10 → 9.5
        region: 'EMEA',
        window_start: '2026-03-23 00:00:00.000',
        window_end: '2026-03-30 00:00:00.000',
        backlog_start: 30,
        backlog_end: 30,
        backlog_growth_pct: 0,
        headcount_start: 10,
        headcount_end: 9.5,
        headcount_growth_pct: -5, // (9.5 − 10) / 10
        load_start: 3, // 30 / 10
        load_end: 3.1579, // 30 / 9.5 = 3.157894…
        gap_pp: 5, // 0 − (−5)
      },
    ]);

    // The same figures from a slow, obvious replay of the events as generated.
    for (const r of got) {
      expect([r.region, Number(r.backlog_start), Number(r.backlog_end)]).toEqual([
        r.region,
        referenceBacklog(r.region, START),
        referenceBacklog(r.region, AT),
      ]);
      expect([r.headcount_start, r.headcount_end]).toEqual([
        referenceHeadcount(r.region, START),
        referenceHeadcount(r.region, AT),
      ]);
    }
  });

  it('over 28 days, and for one region asked for', async () => {
    const got = await vsHeadcount(28, { region: 'APAC' });
    // B(03-02) = 10 (group A only); H(03-02) = 41 (L1 still there, R1 not yet gone)
    expect(
      got.map((r) => [
        r.region,
        Number(r.backlog_start),
        Number(r.backlog_end),
        r.headcount_start,
        r.headcount_end,
      ]),
    ).toEqual([['APAC', 10, 260, 41, 42]]);
    expect([
      referenceBacklog('APAC', '2026-03-02T00:00:00.000Z'),
      referenceHeadcount('APAC', '2026-03-02T00:00:00.000Z'),
    ]).toEqual([10, 41]);
    const r = got[0]!;
    expect(r.backlog_growth_pct).toBe(2500); // (260 − 10) / 10
    expect(r.headcount_growth_pct).toBeCloseTo(2.439, 3); // 1 / 41 = 2.4390 %
    expect(r.gap_pp).toBeCloseTo(2497.561, 3); // 2500 − 2.439
  });

  it('headcount per region at each day end', async () => {
    const got = await rows<{
      region: string;
      bucket_end: string;
      headcount: number;
      members: number | string;
    }>(readQuery('headcount'), { ...filters, from: chTime(START), to: chTime(AT), step_seconds: 86_400 });
    const series = (region: string) => got.filter((r) => r.region === region).map((r) => r.headcount);
    // Day ends 03-24 … 03-30. APAC: N1 +1 (03-24), A37 −1 (03-25), N2 +1 (03-26), M1 +1 (03-27).
    expect(series('APAC')).toEqual([40, 41, 40, 41, 42, 42, 42]);
    // EMEA: E10 +0.5 (03-24), M1 −1 (03-27)
    expect(series('EMEA')).toEqual([10, 10.5, 10.5, 10.5, 9.5, 9.5, 9.5]);
    expect(series('AMER')).toEqual([0, 0, 1, 1, 1, 1, 1]);
    // people, not FTE: APAC at the end 36 + 4 part-timers + R1 + N1 + N2 + M1 = 44
    expect(
      Number(got.find((r) => r.region === 'APAC' && r.bucket_end === '2026-03-30 00:00:00.000')?.members),
    ).toBe(44);
    for (const region of ['APAC', 'EMEA', 'AMER']) {
      const ends = got.filter((r) => r.region === region).map((r) => `${r.bucket_end.replace(' ', 'T')}Z`);
      expect(series(region)).toEqual(ends.map((e) => referenceHeadcount(region, e)));
    }
  });

  it('aging of the open backlog at the window end, age counted from creation', async () => {
    const got = await eventually(
      () => rows<Record<string, string | number>>(readQuery('backlog-aging'), { ...filters, at: chTime(AT) }),
      (r) => r.length === 3,
    );
    const compact = got.map((r) => [
      r.region,
      ...['under_1d', 'd1_to_3d', 'd3_to_7d', 'd7_to_28d', 'over_28d', 'open'].map((k) => Number(r[k])),
    ]);
    expect(compact).toEqual([
      ['AMER', 0, 0, 0, 4, 0, 4], // 03-20 09:00 → 9.6 d
      // APAC: D1 30 <1d · D2 40 1–3d · D3 38 3–7d · B 137 + G 5 (reopened, aged from creation) 7–28d · A 10 >28d
      ['APAC', 30, 40, 38, 142, 10, 260],
      // EMEA: 2 created 03-29 20:00 <1d · 20 + 5 + 3 moved-in 7–28d
      ['EMEA', 2, 0, 0, 28, 0, 30],
    ]);
    // oldest APAC ticket: created 02-20 12:00 → 37.5 days
    expect(Number(got.find((r) => r.region === 'APAC')?.oldest_age_seconds)).toBe(37.5 * 86_400);
    expect(compact).toEqual(referenceAging(AT));
  });

  it('backlog per team slice, and a group_by outside the allow-list is refused', async () => {
    const query = readQuery('backlog-by-slice');
    const params = {
      ...filters,
      region: 'APAC',
      priority: '',
      customer: '',
      group_by: 'team',
      from: chTime('2026-03-29T00:00:00Z'),
      to: chTime(AT),
      step_seconds: 86_400,
    };
    const got = await rows<Record<string, string | number>>(query, params);
    // apac-l1 at 03-30: A 10 + B 137 + G 5 = 152, nothing in or out that day;
    // apac-l2: D 30 + 40 + 38 = 108, the 30 created on 03-29 are that day's inflow
    expect(
      got.map((r) => [r.dimension, r.slice, Number(r.backlog), Number(r.inflow), Number(r.outflow)]),
    ).toEqual([
      ['team', 'apac-l1', 152, 0, 0],
      ['team', 'apac-l2', 108, 30, 0],
    ]);
    await expect(rows(query, { ...params, group_by: "team' OR 1=1 --" })).rejects.toThrow(/group_by must be/);
  });
});

/** Reference: replay one ticket's events before `at` (state once every earlier event happened). */
function ticketStateAt(history: TicketEvent[], at: number) {
  let open = false;
  let region = '';
  let created = 0;
  for (const e of [...history].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))) {
    if (Date.parse(e.occurredAt) >= at) break;
    if (e.type === 'ticket.created') [open, region, created] = [true, e.region, Date.parse(e.occurredAt)];
    if (e.type === 'ticket.assigned') region = e.region;
    if (e.type === 'ticket.reopened') open = true;
    if (e.type === 'ticket.resolved') open = false;
  }
  return { open, region, created };
}

function byEntity<E>(events: E[], key: (e: E) => string): E[][] {
  const m = new Map<string, E[]>();
  for (const e of events) m.set(key(e), [...(m.get(key(e)) ?? []), e]);
  return [...m.values()];
}

function referenceBacklog(region: string, iso: string): number {
  return byEntity(tickets, (e) => e.ticketId)
    .map((h) => ticketStateAt(h, Date.parse(iso)))
    .filter((s) => s.open && s.region === region).length;
}

function referenceHeadcount(region: string, iso: string): number {
  let fte = 0;
  for (const history of byEntity(roster, (e) => e.agentId)) {
    let current: { region: string; fte: number } | null = null;
    for (const e of [...history].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))) {
      if (Date.parse(e.occurredAt) >= Date.parse(iso)) break;
      if (e.type === 'roster.member_joined') current = { region: e.region, fte: e.fte };
      if (e.type === 'roster.member_left') current = null;
    }
    if (current?.region === region) fte += current.fte;
  }
  return fte;
}

function referenceAging(iso: string): (string | number)[][] {
  const at = Date.parse(iso);
  const bounds = [1, 3, 7, 28].map((d) => d * 86_400_000);
  const out = new Map<string, number[]>();
  for (const h of byEntity(tickets, (e) => e.ticketId)) {
    const s = ticketStateAt(h, at);
    if (!s.open) continue;
    const counts = out.get(s.region) ?? [0, 0, 0, 0, 0, 0];
    const age = at - s.created;
    const bucket = bounds.findIndex((b) => age < b);
    counts[bucket === -1 ? 4 : bucket]!++;
    counts[5]!++;
    out.set(s.region, counts);
  }
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([r, c]) => [r, ...c]);
}
