import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, buildApi } from '../../api/app.js';
import { createApiKey } from '../../core/api-keys.js';
import {
  type CanonicalEvent,
  eventId,
  type FieldJobEvent,
  type RosterEvent,
  type TicketEvent,
} from '../../core/events/index.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The metric routes over real HTTP, on a real pipeline: hand-made ticket, roster and field-job
// events → Kafka → transforms → ClickHouse → the API. Every expected figure is worked out by hand
// in the comments. The transforms' clock is fixed at NOW (Wed 4 March 2026 12:00 UTC), so open
// SLA clocks are evaluated there. Demo SLA policies: critical 15 min / 4 h on 24x7 (wall time);
// high 1 h / 8 h and low 8 h / 5 business days in the owning region's calendar. Calendars
// (no DST before 29 March): Singapore works 00:00-10:00Z, London 08:00-18:00Z.

const NOW = Date.parse('2026-03-04T12:00:00Z');
const A = 'acme';
const G = 'globex';

function tev(
  tenant: string,
  ticketId: string,
  seq: number,
  type: TicketEvent['type'],
  at: string,
  body = {},
) {
  const iso = new Date(at).toISOString();
  return {
    eventId: eventId('hand', 'ticket', `${tenant}-${ticketId}`, String(seq)),
    schemaVersion: 1,
    source: 'hand',
    tenant,
    ticketId,
    occurredAt: iso,
    receivedAt: iso,
    type,
    ...body,
  } as TicketEvent;
}
const created = (
  t: string,
  id: string,
  at: string,
  priority: string,
  region: string,
  team: string,
  customer: string,
) => tev(t, id, 0, 'ticket.created', at, { customer, priority, region, team, tier: 'L1' });
const reply = (t: string, id: string, seq: number, at: string, team: string) =>
  tev(t, id, seq, 'ticket.commented', at, { visibility: 'public', team });
const assign = (t: string, id: string, seq: number, at: string, team: string, region: string, extra = {}) =>
  tev(t, id, seq, 'ticket.assigned', at, { team, region, tier: 'L1', ...extra });

const tickets: TicketEvent[] = [
  // T1 critical: APAC → EMEA handover at 07:00, picked up by an emea-l1 comment at 08:30 (wall
  // 5 400 s; London opens 08:00 → business 1 800, seam idle 3 600). Resolved 09:00: 8 h of a 4 h
  // target → breached at 05:00. Consumption apac-l1 01:00-07:00 = 21 600, emea-l1 07:00-09:00 = 7 200.
  created(A, 'T1', '2026-03-03T01:00Z', 'critical', 'APAC', 'apac-l1', 'c1'),
  reply(A, 'T1', 1, '2026-03-03T01:10Z', 'apac-l1'),
  assign(A, 'T1', 2, '2026-03-03T07:00Z', 'emea-l1', 'EMEA'),
  reply(A, 'T1', 3, '2026-03-03T08:30Z', 'emea-l1'),
  tev(A, 'T1', 4, 'ticket.resolved', '2026-03-03T09:00Z'),
  // T2 critical: apac-l1 → apac-l2 (L1 → L2: a handover and a tier escalation) at 03:00, picked up
  // (in progress) 03:30: 1 800 s wall and business (Singapore open), seam 0. Resolved 04:00, 2 h: met.
  created(A, 'T2', '2026-03-03T02:00Z', 'critical', 'APAC', 'apac-l1', 'c2'),
  reply(A, 'T2', 1, '2026-03-03T02:05Z', 'apac-l1'),
  assign(A, 'T2', 2, '2026-03-03T03:00Z', 'apac-l2', 'APAC', { tier: 'L2' }),
  tev(A, 'T2', 3, 'ticket.status_changed', '2026-03-03T03:30Z', { status: 'in_progress' }),
  tev(A, 'T2', 4, 'ticket.resolved', '2026-03-03T04:00Z'),
  // T3 critical, open: 09:00 → NOW = 3 h = 75 % → warning, due 13:00, 3 600 s left.
  created(A, 'T3', '2026-03-04T09:00Z', 'critical', 'EMEA', 'emea-l1', 'c1'),
  reply(A, 'T3', 1, '2026-03-04T09:05Z', 'emea-l1'),
  tev(A, 'T3', 2, 'ticket.escalated', '2026-03-04T10:00Z', { kind: 'management' }),
  // T4 critical, open: AMER → EMEA at 11:00, never picked up: pending, 3 600 s old at NOW.
  // SLA 1.5 h of 4 h = 37.5 % → none.
  created(A, 'T4', '2026-03-04T10:30Z', 'critical', 'AMER', 'amer-l1', 'c2'),
  reply(A, 'T4', 1, '2026-03-04T10:35Z', 'amer-l1'),
  assign(A, 'T4', 2, '2026-03-04T11:00Z', 'emea-l1', 'EMEA'),
  // T5 critical, open: 07:00 → NOW = 5 h = 125 % → breached (at 11:00), 0 left.
  created(A, 'T5', '2026-03-04T07:00Z', 'critical', 'APAC', 'apac-l1', 'c1'),
  reply(A, 'T5', 1, '2026-03-04T07:05Z', 'apac-l1'),
  // T6 high (London calendar), open: Tue 15:36-18:00 (8 640 s) + Wed 08:00-12:00 (14 400 s) =
  // 23 040 of 28 800 = 80 % → warning; 5 760 s left → due Wed 13:36.
  created(A, 'T6', '2026-03-03T15:36Z', 'high', 'EMEA', 'emea-l1', 'c2'),
  reply(A, 'T6', 1, '2026-03-03T15:40Z', 'emea-l1'),
  // T7 critical: functional escalation, resolved 03:00 by its first team: 2 h, met.
  created(A, 'T7', '2026-03-04T01:00Z', 'critical', 'APAC', 'apac-l1', 'c1'),
  reply(A, 'T7', 1, '2026-03-04T01:05Z', 'apac-l1'),
  tev(A, 'T7', 2, 'ticket.escalated', '2026-03-04T02:00Z', { kind: 'functional' }),
  tev(A, 'T7', 3, 'ticket.resolved', '2026-03-04T03:00Z'),
  // T8 medium: APAC → EMEA at 06:00, picked up by an agent assignment at 09:00 (wall 10 800;
  // London 08:00-09:00 → business 3 600, seam 7 200); back to apac-l1 at 10:00 (ping-pong),
  // cancelled 11:00 before a pickup (ended). Cancelled within its 3-business-day target: neither
  // met nor breached, and not a resolution. (A ticket cancelled after its breach stays breached.)
  created(A, 'T8', '2026-03-04T02:00Z', 'medium', 'APAC', 'apac-l1', 'c2'),
  reply(A, 'T8', 1, '2026-03-04T02:05Z', 'apac-l1'),
  assign(A, 'T8', 2, '2026-03-04T06:00Z', 'emea-l1', 'EMEA'),
  assign(A, 'T8', 3, '2026-03-04T09:00Z', 'emea-l1', 'EMEA', { agent: 'eve' }),
  assign(A, 'T8', 4, '2026-03-04T10:00Z', 'apac-l1', 'APAC'),
  tev(A, 'T8', 5, 'ticket.cancelled', '2026-03-04T11:00Z'),
  // T9 low, APAC, open since Feb 24, on hold (customer) since 02:00 that day: 1 business hour of
  // 50 → none. T10 low, EMEA, open Feb 24 → resolved Feb 27 (before every range below).
  created(A, 'T9', '2026-02-24T01:00Z', 'low', 'APAC', 'apac-l1', 'c1'),
  reply(A, 'T9', 1, '2026-02-24T01:30Z', 'apac-l1'),
  tev(A, 'T9', 2, 'ticket.status_changed', '2026-02-24T02:00Z', {
    status: 'on_hold',
    holdReason: 'customer',
  }),
  created(A, 'T10', '2026-02-24T09:00Z', 'low', 'EMEA', 'emea-l1', 'c1'),
  reply(A, 'T10', 1, '2026-02-24T09:10Z', 'emea-l1'),
  tev(A, 'T10', 2, 'ticket.resolved', '2026-02-27T12:00Z'),
  // globex: X1 resolved Tue 11:00 with a management escalation, by its first team; and a ticket
  // whose id T9 also exists in acme (open, low, no reply yet).
  created(G, 'X1', '2026-03-03T10:00Z', 'critical', 'EMEA', 'emea-l1', 'g1'),
  reply(G, 'X1', 1, '2026-03-03T10:05Z', 'emea-l1'),
  tev(G, 'X1', 2, 'ticket.escalated', '2026-03-03T10:30Z', { kind: 'management' }),
  tev(G, 'X1', 3, 'ticket.resolved', '2026-03-03T11:00Z'),
  created(G, 'T9', '2026-03-04T11:00Z', 'low', 'EMEA', 'emea-l1', 'g1'),
];

function rev(agentId: string, seq: number, at: string, body: Record<string, unknown>) {
  return {
    eventId: eventId('hr', 'agent', agentId, String(seq)),
    schemaVersion: 1,
    source: 'hr',
    tenant: A,
    agentId,
    occurredAt: at,
    receivedAt: at,
    ...body,
  } as RosterEvent;
}
const joined = (agentId: string, at: string, team: string, region: string, fte = 1) =>
  rev(agentId, 0, at, { type: 'roster.member_joined', team, region, role: 'engineer', fte });

// Headcount at Feb 26 / Mar 5 00:00: APAC 2 / 2.5 (A3 joins Mar 3 at 0.5, team apac-l2), EMEA 2 / 1
// (E2 leaves Mar 4), AMER 1 / 1. Nobody before Feb 20.
const roster: RosterEvent[] = [
  joined('A1', '2026-02-20T09:00:00.000Z', 'apac-l1', 'APAC'),
  joined('A2', '2026-02-20T09:00:00.000Z', 'apac-l1', 'APAC'),
  joined('A3', '2026-03-03T09:00:00.000Z', 'apac-l2', 'APAC', 0.5),
  joined('E1', '2026-02-20T09:00:00.000Z', 'emea-l1', 'EMEA'),
  joined('E2', '2026-02-20T09:00:00.000Z', 'emea-l1', 'EMEA'),
  rev('E2', 1, '2026-03-04T09:00:00.000Z', { type: 'roster.member_left' }),
  joined('N1', '2026-02-20T09:00:00.000Z', 'amer-l1', 'AMER'),
];

function jev(jobId: string, seq: number, type: FieldJobEvent['type'], at: string, body = {}) {
  const iso = new Date(at).toISOString();
  return {
    eventId: eventId('fsm', 'job', jobId, String(seq)),
    schemaVersion: 1,
    source: 'fsm',
    tenant: A,
    jobId,
    occurredAt: iso,
    receivedAt: iso,
    type,
    ...body,
  } as FieldJobEvent;
}
const job = (id: string, region: string, customer: string, plan?: [string, string]) =>
  jev(id, 0, 'job.created', '2026-03-03T08:00Z', {
    site: `site-${id}`,
    region,
    customer,
    ...(plan ? { plannedStart: `2026-03-03T${plan[0]}:00Z`, plannedEnd: `2026-03-03T${plan[1]}:00Z` } : {}),
  });
const at = (hhmm: string) => `2026-03-03T${hhmm}:00Z`;

// APAC (all created 08:00, customer c1)       dispatch  arrival  access  parts          actual/planned
//   J1 plan 09-11, on site 08:40, fixed 10:40     600     1 800      -      -            7 200 / 7 200 = 1
//   J2 plan 09-10, on site 09:05, fixed 10:35   1 200     2 700   1 800     -            5 400 / 3 600 = 1.5
//   J3 plan 10-12, on site 09:30, fixed 12:30   1 800     3 600      -   7 200 (late)   10 800 / 7 200 = 1.5
//   J4 no plan,    on site 11:00, NOT fixed     3 600     7 200      -   1 800 (faulty)  -
//   J6 cancelled: not counted.
// EMEA J5 (customer c2): created 10:00, dispatched 10:30, on site 11:00, fixed 12:00, plan 11-12.
const jobs: FieldJobEvent[] = [
  job('J1', 'APAC', 'c1', ['09:00', '11:00']),
  jev('J1', 1, 'job.dispatched', at('08:10'), { engineer: 'e1' }),
  jev('J1', 2, 'job.on_site', at('08:40')),
  jev('J1', 3, 'job.completed', at('10:40'), { fixed: true }),
  job('J2', 'APAC', 'c1', ['09:00', '10:00']),
  jev('J2', 1, 'job.dispatched', at('08:20'), { engineer: 'e2' }),
  jev('J2', 2, 'job.on_site', at('09:05')),
  jev('J2', 3, 'job.access_delayed', at('09:10'), { reason: 'no badge' }),
  jev('J2', 4, 'job.access_granted', at('09:40')),
  jev('J2', 5, 'job.completed', at('10:35'), { fixed: true }),
  job('J3', 'APAC', 'c1', ['10:00', '12:00']),
  jev('J3', 1, 'job.dispatched', at('08:30'), { engineer: 'e3' }),
  jev('J3', 2, 'job.on_site', at('09:30')),
  jev('J3', 3, 'job.parts_requested', at('09:45'), { part: 'disk' }),
  jev('J3', 4, 'job.parts_arrived', at('11:45'), { part: 'disk', late: true }),
  jev('J3', 5, 'job.completed', at('12:30'), { fixed: true }),
  job('J4', 'APAC', 'c1'),
  jev('J4', 1, 'job.dispatched', at('09:00'), { engineer: 'e4' }),
  jev('J4', 2, 'job.on_site', at('11:00')),
  jev('J4', 3, 'job.parts_faulty', at('11:10'), { part: 'psu' }),
  jev('J4', 4, 'job.parts_arrived', at('11:40'), { part: 'psu', late: false }),
  jev('J4', 5, 'job.completed', at('12:00'), { fixed: false }),
  jev('J5', 0, 'job.created', at('10:00'), {
    site: 'site-J5',
    region: 'EMEA',
    customer: 'c2',
    plannedStart: at('11:00'),
    plannedEnd: at('12:00'),
  }),
  jev('J5', 1, 'job.dispatched', at('10:30'), { engineer: 'e5' }),
  jev('J5', 2, 'job.on_site', at('11:00')),
  jev('J5', 3, 'job.completed', at('12:00'), { fixed: true }),
  job('J6', 'APAC', 'c1'),
  jev('J6', 1, 'job.cancelled', at('09:00')),
];

let pipeline: TestPipeline;
let api: Api;
let base: string;
let keyDir: string;
let readKey: string;
let restrictedKey: string;

async function scalar(sql: string): Promise<number> {
  const rs = await pipeline.ch.query({ query: sql, format: 'JSONEachRow' });
  const rows = await rs.json<{ n: number }>();
  return Number(rows[0]?.n ?? 0);
}

beforeAll(async () => {
  pipeline = await startPipeline('apimetrics', { now: () => NOW });
  await pipeline.sink.emit([...tickets, ...roster, ...jobs] as CanonicalEvent[]);
  // Each row's version counts its entity's distinct events: all stored when the sums match.
  const done = await eventually(
    async () => [
      await scalar('SELECT sum(version) AS n FROM ticket_facts FINAL'),
      await scalar('SELECT sum(event_count) AS n FROM ticket_sla FINAL'),
      await scalar('SELECT sum(version) AS n FROM ticket_lifecycle FINAL'),
      await scalar('SELECT sum(version) AS n FROM agent_membership FINAL'),
      await scalar('SELECT sum(version) AS n FROM field_job_facts FINAL'),
    ],
    (v) =>
      v[0] === tickets.length &&
      v[1] === tickets.length &&
      v[2] === tickets.length &&
      v[3] === roster.length &&
      v[4] === jobs.length,
    90_000,
  );
  expect(done).toEqual([tickets.length, tickets.length, tickets.length, roster.length, jobs.length]);

  keyDir = mkdtempSync(join(tmpdir(), 'baton-api-metrics-'));
  const keyFile = join(keyDir, 'keys.json');
  readKey = createApiKey(keyFile, { id: 'reader', scopes: ['read'] }).key;
  restrictedKey = createApiKey(keyFile, {
    id: 'amer',
    scopes: ['read'],
    tenants: [A],
    regions: ['AMER'],
  }).key;
  api = await buildApi({
    config: { ...pipeline.config, API_KEYS_FILE: keyFile },
    ch: pipeline.ch,
    logger: pipeline.logger,
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const addr = api.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${addr.port}`;
}, 180_000);

afterAll(async () => {
  await api?.close();
  await pipeline?.close();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

type Json = Record<string, unknown> & { problems?: { path: string; message: string }[] };

async function get(path: string, query: Record<string, string> = {}, key = readKey) {
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${base}${path}${qs ? `?${qs}` : ''}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    text,
    json: () => JSON.parse(text) as Json,
  };
}
const ok = async (path: string, query: Record<string, string> = {}, key = readKey) => {
  const r = await get(path, query, key);
  expect(r.status, r.text).toBe(200);
  return r.json();
};

const RANGE = { from: '2026-03-02T00:00:00Z', to: '2026-03-05T00:00:00Z' };

describe('GET /v1/metrics/backlog-vs-headcount', () => {
  it('7 days to Mar 5: growth, load and gap per region', async () => {
    const body = await ok('/v1/metrics/backlog-vs-headcount', { tenant: A, at: '2026-03-05T00:00:00Z' });
    // B(Feb 26) / B(Mar 5): APAC T9 / T9 + T5; EMEA T10 / T3 + T4 (moved in) + T6; AMER 0 / 0.
    expect(body).toEqual({
      windowStart: '2026-02-26T00:00:00.000Z',
      windowEnd: '2026-03-05T00:00:00.000Z',
      windowDays: 7,
      regions: [
        // backlog 0 → 0: 0 %; headcount 1 → 1: 0 %; load 0; gap 0
        {
          region: 'AMER',
          backlogStart: 0,
          backlogEnd: 0,
          backlogGrowthPct: 0,
          headcountStart: 1,
          headcountEnd: 1,
          headcountGrowthPct: 0,
          loadStart: 0,
          loadEnd: 0,
          gapPp: 0,
        },
        // 1 → 2 = +100 %; 2 → 2.5 = +25 %; load 1/2, 2/2.5; gap 100 - 25 = 75 pp
        {
          region: 'APAC',
          backlogStart: 1,
          backlogEnd: 2,
          backlogGrowthPct: 100,
          headcountStart: 2,
          headcountEnd: 2.5,
          headcountGrowthPct: 25,
          loadStart: 0.5,
          loadEnd: 0.8,
          gapPp: 75,
        },
        // 1 → 3 = +200 %; 2 → 1 = -50 %; load 1/2, 3/1; gap 200 + 50 = 250 pp
        {
          region: 'EMEA',
          backlogStart: 1,
          backlogEnd: 3,
          backlogGrowthPct: 200,
          headcountStart: 2,
          headcountEnd: 1,
          headcountGrowthPct: -50,
          loadStart: 0.5,
          loadEnd: 3,
          gapPp: 250,
        },
      ],
    });
  });

  it('a team restricts tickets and people; 28 days from nobody gives null growth', async () => {
    const team = await ok('/v1/metrics/backlog-vs-headcount', {
      tenant: A,
      at: '2026-03-05T00:00:00Z',
      team: 'apac-l1',
    });
    // apac-l1: tickets T9 / T9 + T5 (1 → 2, +100 %), people A1 + A2 (2 → 2, 0 %): gap 100 pp
    expect(team.regions).toEqual([
      expect.objectContaining({
        region: 'APAC',
        backlogStart: 1,
        backlogEnd: 2,
        headcountGrowthPct: 0,
        gapPp: 100,
      }),
    ]);
    const long = await ok('/v1/metrics/backlog-vs-headcount', {
      tenant: A,
      region: 'APAC',
      at: '2026-03-05T00:00:00Z',
      window: '28',
    });
    // From Feb 5: nobody and nothing yet. B 0 → 2: (2 - 0) / max(0, 1) = +200 %; H 0 → 2.5: null.
    expect(long).toMatchObject({ windowStart: '2026-02-05T00:00:00.000Z', windowDays: 28 });
    expect(long.regions).toEqual([
      {
        region: 'APAC',
        backlogStart: 0,
        backlogEnd: 2,
        backlogGrowthPct: 200,
        headcountStart: 0,
        headcountEnd: 2.5,
        headcountGrowthPct: null,
        loadStart: null,
        loadEnd: 0.8,
        gapPp: null,
      },
    ]);
  });
});

describe('GET /v1/metrics/handovers', () => {
  it('per pair: counts, pickup percentiles, seam idle and pending', async () => {
    const body = await ok('/v1/metrics/handovers', { tenant: A, ...RANGE, asOf: '2026-03-04T12:00:00Z' });
    const none = {
      pickupWallP50Seconds: null,
      pickupWallP90Seconds: null,
      pickupBusinessP50Seconds: null,
      pickupBusinessP90Seconds: null,
    };
    expect(body.totals).toEqual({
      handovers: 5,
      crossRegion: 4, // all but apac-l1 → apac-l2
      pingPong: 1,
      pickedUp: 3,
      seamIdleSeconds: 10_800, // 0 + 3 600 + 7 200
      pending: 1,
      pendingOldestAgeSeconds: 3_600,
    });
    expect(body.pairs).toEqual([
      // T4 11:00, pending at 12:00: age 3 600
      {
        fromRegion: 'AMER',
        toRegion: 'EMEA',
        crossRegion: true,
        handovers: 1,
        pingPong: 0,
        pickedUp: 0,
        handedOn: 0,
        ended: 0,
        ...none,
        seamIdleSeconds: 0,
        pickupWallSeconds: 0,
        pending: 1,
        pendingOldestAgeSeconds: 3_600,
        pendingMeanAgeSeconds: 3_600,
      },
      // T2: 1 800 s wall = business
      {
        fromRegion: 'APAC',
        toRegion: 'APAC',
        crossRegion: false,
        handovers: 1,
        pingPong: 0,
        pickedUp: 1,
        handedOn: 0,
        ended: 0,
        pickupWallP50Seconds: 1_800,
        pickupWallP90Seconds: 1_800,
        pickupBusinessP50Seconds: 1_800,
        pickupBusinessP90Seconds: 1_800,
        seamIdleSeconds: 0,
        pickupWallSeconds: 1_800,
        pending: 0,
        pendingOldestAgeSeconds: null,
        pendingMeanAgeSeconds: null,
      },
      // T1 (5 400 wall, 1 800 business) and T8 (10 800, 3 600): p50 = midpoint; p90 at rank 0.9
      // = 5 400 + 0.9 × 5 400 = 10 260 and 1 800 + 0.9 × 1 800 = 3 420
      {
        fromRegion: 'APAC',
        toRegion: 'EMEA',
        crossRegion: true,
        handovers: 2,
        pingPong: 0,
        pickedUp: 2,
        handedOn: 0,
        ended: 0,
        pickupWallP50Seconds: 8_100,
        pickupWallP90Seconds: 10_260,
        pickupBusinessP50Seconds: 2_700,
        pickupBusinessP90Seconds: 3_420,
        seamIdleSeconds: 10_800,
        pickupWallSeconds: 16_200,
        pending: 0,
        pendingOldestAgeSeconds: null,
        pendingMeanAgeSeconds: null,
      },
      // T8 back to apac-l1 (held it before): ping-pong, cancelled before a pickup
      {
        fromRegion: 'EMEA',
        toRegion: 'APAC',
        crossRegion: true,
        handovers: 1,
        pingPong: 1,
        pickedUp: 0,
        handedOn: 0,
        ended: 1,
        ...none,
        seamIdleSeconds: 0,
        pickupWallSeconds: 0,
        pending: 0,
        pendingOldestAgeSeconds: null,
        pendingMeanAgeSeconds: null,
      },
    ]);
  });

  it('region keeps pairs with it on either side; pending depends on asOf', async () => {
    const amer = await ok('/v1/metrics/handovers', {
      tenant: A,
      region: 'AMER',
      ...RANGE,
      asOf: '2026-03-04T12:00:00Z',
    });
    expect((amer.pairs as Json[]).map((p) => `${p.fromRegion}>${p.toRegion}`)).toEqual(['AMER>EMEA']);
    const early = await ok('/v1/metrics/handovers', { tenant: A, ...RANGE, asOf: '2026-03-04T10:59:00Z' });
    // At 10:59 T4's handover (11:00) is not made yet, but T8's ping-pong (10:00) still waits: it
    // ends with the cancellation at 11:00. Age 59 min.
    expect(early.totals).toMatchObject({ handovers: 5, pending: 1, pendingOldestAgeSeconds: 3_540 });
    expect(
      (early.pairs as Json[]).filter((p) => p.pending !== 0).map((p) => `${p.fromRegion}>${p.toRegion}`),
    ).toEqual(['EMEA>APAC']);
  });
});

describe('GET /v1/metrics/escalations', () => {
  const period = (start: string, end: string, p: Partial<Json>) => ({
    start,
    end,
    resolved: 0,
    escalatedTickets: 0,
    escalationRate: null,
    reopenedTickets: 0,
    reopenRate: null,
    firstTeamTickets: 0,
    firstTeamRate: null,
    escalationsByKind: { tier: 0, functional: 0, management: 0 },
    ...p,
  });

  it('daily in UTC', async () => {
    const body = await ok('/v1/metrics/escalations', { tenant: A, ...RANGE });
    expect(body).toEqual({
      from: '2026-03-02T00:00:00.000Z',
      to: '2026-03-05T00:00:00.000Z',
      interval: 'day',
      tz: 'UTC',
      periods: [
        period('2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z', {}),
        // T2 (04:00, tier escalation, handed over) and T1 (09:00, handed over): 1/2, first team 0/2
        period('2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z', {
          resolved: 2,
          escalatedTickets: 1,
          escalationRate: 0.5,
          reopenRate: 0,
          firstTeamRate: 0,
          escalationsByKind: { tier: 1, functional: 0, management: 0 },
        }),
        // T7 (03:00, functional, first team): 1/1. T8 was cancelled: not a resolution.
        period('2026-03-04T00:00:00.000Z', '2026-03-05T00:00:00.000Z', {
          resolved: 1,
          escalatedTickets: 1,
          escalationRate: 1,
          reopenRate: 0,
          firstTeamTickets: 1,
          firstTeamRate: 1,
          escalationsByKind: { tier: 0, functional: 1, management: 0 },
        }),
      ],
    });
  });

  it('days of New York (UTC-5) regroup the same resolutions', async () => {
    const body = await ok('/v1/metrics/escalations', {
      tenant: A,
      from: '2026-03-02T05:00:00Z',
      to: '2026-03-05T05:00:00Z',
      tz: 'America/New_York',
    });
    // NY Mar 2 = [Mar 2 05:00Z, Mar 3 05:00Z): T2 (Mar 3 04:00Z). NY Mar 3: T1 and T7 (Mar 4 03:00Z).
    expect(body.periods).toEqual([
      period('2026-03-02T05:00:00.000Z', '2026-03-03T05:00:00.000Z', {
        resolved: 1,
        escalatedTickets: 1,
        escalationRate: 1,
        reopenRate: 0,
        firstTeamRate: 0,
        escalationsByKind: { tier: 1, functional: 0, management: 0 },
      }),
      period('2026-03-03T05:00:00.000Z', '2026-03-04T05:00:00.000Z', {
        resolved: 2,
        escalatedTickets: 1,
        escalationRate: 0.5,
        reopenRate: 0,
        firstTeamTickets: 1,
        firstTeamRate: 0.5,
        escalationsByKind: { tier: 0, functional: 1, management: 0 },
      }),
      period('2026-03-04T05:00:00.000Z', '2026-03-05T05:00:00.000Z', {}),
    ]);
  });

  it('weeks start on Monday; without a tenant every tenant counts', async () => {
    // Sun Mar 1 → Thu Mar 5: [Sun, Mon) is a short first week, then Mon Mar 2 → the end.
    const weeks = await ok('/v1/metrics/escalations', {
      tenant: A,
      from: '2026-03-01T00:00:00Z',
      to: RANGE.to,
      interval: 'week',
    });
    expect((weeks.periods as Json[]).map((p) => [p.start, p.resolved, p.escalatedTickets])).toEqual([
      ['2026-03-01T00:00:00.000Z', 0, 0],
      ['2026-03-02T00:00:00.000Z', 3, 2],
    ]);
    // + globex X1 (Mar 3, management, first team): Mar 3 = 3 resolved, 2 escalated
    const all = await ok('/v1/metrics/escalations', RANGE);
    expect((all.periods as Json[])[1]).toMatchObject({
      resolved: 3,
      escalatedTickets: 2,
      escalationsByKind: { tier: 1, functional: 0, management: 1 },
      firstTeamTickets: 1,
    });
    const apacOnly = await ok('/v1/metrics/escalations', { tenant: A, region: 'APAC', ...RANGE });
    // owner at resolution APAC: T2 (Mar 3) and T7 (Mar 4); T1 was resolved by EMEA
    expect((apacOnly.periods as Json[]).map((p) => p.resolved)).toEqual([0, 1, 1]);
  });
});

describe('GET /v1/metrics/sla and /v1/sla/at-risk', () => {
  it('outcomes and consumption by team', async () => {
    const body = await ok('/v1/metrics/sla', { tenant: A, ...RANGE });
    // Stopped met/breached in the range: T1 (breached, EMEA), T2 and T7 (met, APAC). T8 cancelled.
    expect(body).toEqual({
      from: '2026-03-02T00:00:00.000Z',
      to: '2026-03-05T00:00:00.000Z',
      totals: { resolved: 3, met: 2, breached: 1, breachRate: 1 / 3, responseBreached: 0 },
      byRegionPriority: [
        {
          region: 'APAC',
          priority: 'critical',
          resolved: 2,
          met: 2,
          breached: 0,
          breachRate: 0,
          responseBreached: 0,
        },
        {
          region: 'EMEA',
          priority: 'critical',
          resolved: 1,
          met: 0,
          breached: 1,
          breachRate: 1,
          responseBreached: 0,
        },
      ],
      consumptionByTeam: [
        // T1 21 600 + T2 3 600 + T7 7 200
        {
          team: 'apac-l1',
          region: 'APAC',
          tickets: 3,
          breachedTickets: 1,
          elapsedSeconds: 32_400,
          pausedSeconds: 0,
        },
        {
          team: 'apac-l2',
          region: 'APAC',
          tickets: 1,
          breachedTickets: 0,
          elapsedSeconds: 3_600,
          pausedSeconds: 0,
        },
        {
          team: 'emea-l1',
          region: 'EMEA',
          tickets: 1,
          breachedTickets: 1,
          elapsedSeconds: 7_200,
          pausedSeconds: 0,
        },
      ],
    });
    const emea = await ok('/v1/metrics/sla', { tenant: A, region: 'EMEA', ...RANGE });
    expect(emea.totals).toEqual({ resolved: 1, met: 0, breached: 1, breachRate: 1, responseBreached: 0 });
    expect((emea.consumptionByTeam as Json[]).map((t) => [t.team, t.elapsedSeconds])).toEqual([
      ['emea-l1', 7_200],
    ]);
  });

  it('at-risk: levels, due times, sorting, limit, filters and the predicted breach', async () => {
    const q = { tenant: A, asOf: '2026-03-04T12:00:00Z' };
    const body = await ok('/v1/sla/at-risk', q);
    // At watch or worse: T5 (breached, 125 %, due 11:00), T3 (warning, 75 %, due 13:00),
    // T6 (warning, 80 %, due 13:36). T4 (37.5 %) and T9 (2 %) are below watch.
    expect(body.total).toBe(3);
    expect(body.tickets).toEqual([
      {
        tenant: A,
        ticketId: 'T5',
        customer: 'c1',
        region: 'APAC',
        team: 'apac-l1',
        priority: 'critical',
        policyId: 'critical',
        risk: 'breached',
        dueAt: '2026-03-04T11:00:00.000Z',
        state: 'running',
        percentConsumed: 125,
        remainingSeconds: 0,
        expectedRemainingSeconds: null,
        predictedBreach: false,
        evaluatedAt: '2026-03-04T12:00:00.000Z',
      },
      expect.objectContaining({
        ticketId: 'T3',
        risk: 'warning',
        dueAt: '2026-03-04T13:00:00.000Z',
        percentConsumed: 75,
        remainingSeconds: 3_600,
      }),
      expect.objectContaining({
        ticketId: 'T6',
        policyId: 'high',
        risk: 'warning',
        dueAt: '2026-03-04T13:36:00.000Z',
        percentConsumed: 80,
        remainingSeconds: 5_760,
      }),
    ]);
    const ids = async (extra: Record<string, string>) =>
      ((await ok('/v1/sla/at-risk', { ...q, ...extra })).tickets as Json[]).map((t) => t.ticketId);
    expect(await ids({ sort: 'percent_consumed' })).toEqual(['T5', 'T6', 'T3']);
    expect(await ids({ sort: 'remaining_seconds' })).toEqual(['T5', 'T3', 'T6']);
    expect(await ids({ sort: 'risk' })).toEqual(['T5', 'T3', 'T6']);
    expect(await ids({ limit: '1' })).toEqual(['T5']);
    expect(await ids({ minLevel: 'critical' })).toEqual(['T5']);
    expect(await ids({ region: 'EMEA' })).toEqual(['T3', 'T6']);
    expect(await ids({ customer: 'c2' })).toEqual(['T6']);
    // With one comparable ticket enough: emea-l1's critical T1 took 28 800 s; T3 has used 10 800,
    // so it may need 18 000 more, and has 3 600 left → predicted breach. T5's team (apac-l1) only
    // has T7 (7 200 s, shorter than T5's 18 000 so far): no estimate. T6 (high): no history.
    const predicted = await ok('/v1/sla/at-risk', { ...q, minHistory: '1' });
    expect(
      (predicted.tickets as Json[]).map((t) => [t.ticketId, t.expectedRemainingSeconds, t.predictedBreach]),
    ).toEqual([
      ['T5', null, false],
      ['T3', 18_000, true],
      ['T6', null, false],
    ]);
  });
});

describe('GET /v1/metrics/field', () => {
  it('per region over the jobs completed in the range', async () => {
    const body = await ok('/v1/metrics/field', { tenant: A, ...RANGE });
    expect(body.regions).toEqual([
      {
        region: 'APAC',
        jobs: 4,
        // 600, 1 200, 1 800, 3 600: p50 = (1 200 + 1 800) / 2; p90 at rank 2.7 = 1 800 + 0.7 × 1 800
        dispatchLatencyP50Seconds: 1_500,
        dispatchLatencyP90Seconds: 3_060,
        // 1 800, 2 700, 3 600, 7 200: p50 = 3 150; p90 = 3 600 + 0.7 × 3 600
        arrivalP50Seconds: 3_150,
        arrivalP90Seconds: 6_120,
        accessDelayTotalSeconds: 1_800,
        accessDelayedShare: 0.25,
        partsDelayP50Seconds: 4_500, // (1 800 + 7 200) / 2
        jobsWithParts: 2,
        latePartsRate: 0.5,
        faultyOnArrivalRate: 0.5,
        firstTimeFixRate: 0.75, // J4 not fixed
        revisitRate: 0,
        plannedVsActualRatio: expect.closeTo(4 / 3, 9), // (1 + 1.5 + 1.5) / 3
        scopeChangeRate: 0,
      },
      {
        region: 'EMEA',
        jobs: 1,
        dispatchLatencyP50Seconds: 1_800,
        dispatchLatencyP90Seconds: 1_800,
        arrivalP50Seconds: 1_800,
        arrivalP90Seconds: 1_800,
        accessDelayTotalSeconds: 0,
        accessDelayedShare: 0,
        partsDelayP50Seconds: null,
        jobsWithParts: 0,
        latePartsRate: null,
        faultyOnArrivalRate: null,
        firstTimeFixRate: 1,
        revisitRate: 0,
        plannedVsActualRatio: 1,
        scopeChangeRate: 0,
      },
    ]);
    const c2 = await ok('/v1/metrics/field', { tenant: A, customer: 'c2', ...RANGE });
    expect((c2.regions as Json[]).map((r) => [r.region, r.jobs])).toEqual([['EMEA', 1]]);
    const apac = await ok('/v1/metrics/field', { tenant: A, region: 'APAC', ...RANGE });
    expect((apac.regions as Json[]).map((r) => [r.region, r.jobs])).toEqual([['APAC', 4]]);
  });
});

describe('GET /v1/metrics/backlog with slice filters', () => {
  it('team and priority narrow the tickets', async () => {
    const day = { tenant: A, from: '2026-03-04T00:00:00Z', to: '2026-03-05T00:00:00Z', interval: 'day' };
    // emea-l1 on Mar 4: T3 created (inflow 1); T4 moved in; T6 open since Tue; T8 passed through
    // (06:00-10:00) → 3 open at the end, no outflow (moves are neither).
    const team = await ok('/v1/metrics/backlog', { ...day, team: 'emea-l1' });
    expect(team.series).toEqual([
      {
        region: 'EMEA',
        points: [
          {
            start: '2026-03-04T00:00:00.000Z',
            end: '2026-03-05T00:00:00.000Z',
            backlog: 3,
            inflow: 1,
            outflow: 0,
          },
        ],
      },
    ]);
    // low: T9 open in APAC; T10 (EMEA) resolved Feb 27 → 0
    const low = await ok('/v1/metrics/backlog', { ...day, priority: 'low' });
    expect((low.series as Json[]).map((s) => [s.region, (s.points as Json[])[0]?.backlog])).toEqual([
      ['APAC', 1],
      ['EMEA', 0],
    ]);
  });
});

describe('GET /v1/tickets/{id}/timeline', () => {
  it('events, segments, handovers, escalations and the SLA clock of one ticket', async () => {
    const body = await ok('/v1/tickets/T1/timeline', { tenant: A });
    expect(body.ticket).toEqual({
      tenant: A,
      ticketId: 'T1',
      createdAt: '2026-03-03T01:00:00.000Z',
      customer: 'c1',
      priority: 'critical',
      createdRegion: 'APAC',
      team: 'emea-l1',
      region: 'EMEA',
      tier: 'L1',
      maxTier: 'L1',
      open: false,
      respondedAt: '2026-03-03T01:10:00.000Z',
      responseKind: expect.any(String),
      resolvedAt: '2026-03-03T09:00:00.000Z',
      closedAt: null,
      cancelledAt: null,
      reopens: 0,
      handovers: 1,
      crossRegionHandovers: 1,
      pingPongHandovers: 0,
      escalations: 0,
    });
    expect((body.events as Json[]).map((e) => [e.at, e.type])).toEqual([
      ['2026-03-03T01:00:00.000Z', 'ticket.created'],
      ['2026-03-03T01:10:00.000Z', 'ticket.commented'],
      ['2026-03-03T07:00:00.000Z', 'ticket.assigned'],
      ['2026-03-03T08:30:00.000Z', 'ticket.commented'],
      ['2026-03-03T09:00:00.000Z', 'ticket.resolved'],
    ]);
    expect((body.events as Json[])[2]!.details).toEqual({ team: 'emea-l1', region: 'EMEA', tier: 'L1' });
    expect(body.segments).toEqual([
      {
        from: '2026-03-03T01:00:00.000Z',
        to: '2026-03-03T07:00:00.000Z',
        openedBy: 'created',
        closedBy: 'transfer',
        customer: 'c1',
        region: 'APAC',
        team: 'apac-l1',
        priority: 'critical',
      },
      {
        from: '2026-03-03T07:00:00.000Z',
        to: '2026-03-03T09:00:00.000Z',
        openedBy: 'transfer',
        closedBy: 'resolved',
        customer: 'c1',
        region: 'EMEA',
        team: 'emea-l1',
        priority: 'critical',
      },
    ]);
    expect(body.handovers).toEqual([
      {
        at: '2026-03-03T07:00:00.000Z',
        fromTeam: 'apac-l1',
        fromRegion: 'APAC',
        toTeam: 'emea-l1',
        toRegion: 'EMEA',
        crossRegion: true,
        pingPong: false,
        outcome: 'picked_up',
        pickedUpAt: '2026-03-03T08:30:00.000Z',
        pickupKind: 'comment',
        endedAt: '2026-03-03T08:30:00.000Z',
        calendar: 'emea-lon',
        wallSeconds: 5_400,
        businessSeconds: 1_800,
        seamIdleSeconds: 3_600,
      },
    ]);
    expect(body.escalations).toEqual([]);
    // 24x7: 01:00 → 09:00 = 28 800 s of 14 400: breached at 05:00; reply after 600 s of 900: met
    expect(body.sla).toMatchObject({
      policyId: 'critical',
      calendar: '24x7',
      resolution: {
        targetSeconds: 14_400,
        elapsedSeconds: 28_800,
        state: 'stopped',
        outcome: 'breached',
        breachedAt: '2026-03-03T05:00:00.000Z',
        percentConsumed: 200,
      },
      response: { targetSeconds: 900, elapsedSeconds: 600, outcome: 'met' },
      consumptionByTeam: [
        { team: 'apac-l1', region: 'APAC', elapsedSeconds: 21_600, pausedSeconds: 0 },
        { team: 'emea-l1', region: 'EMEA', elapsedSeconds: 7_200, pausedSeconds: 0 },
      ],
    });
    const t7 = await ok('/v1/tickets/T7/timeline', { tenant: A });
    expect(t7.escalations).toEqual([
      {
        at: '2026-03-04T02:00:00.000Z',
        kind: 'functional',
        fromTier: expect.any(String),
        toTier: expect.any(String),
        source: expect.any(String),
      },
    ]);
  });

  it('404 when unknown or outside the tenant / region; 400 when the id is in several tenants', async () => {
    const unknown = await get('/v1/tickets/NOPE/timeline', { tenant: A });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'ticket NOPE not found in tenant acme' });
    // T1 was owned by APAC, then EMEA; never by AMER
    expect((await get('/v1/tickets/T1/timeline', { tenant: A, region: 'AMER' })).status).toBe(404);
    expect((await get('/v1/tickets/T1/timeline', { tenant: A, region: 'APAC' })).status).toBe(200);
    expect((await get('/v1/tickets/X1/timeline', { tenant: A })).status).toBe(404);
    expect(((await ok('/v1/tickets/X1/timeline')).ticket as Json).tenant).toBe(G);
    const ambiguous = await get('/v1/tickets/T9/timeline');
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.json().problems?.map((p) => p.path)).toEqual(['querystring.tenant']);
    expect(((await ok('/v1/tickets/T9/timeline', { tenant: G })).ticket as Json).priority).toBe('low');
  });

  it('a key restricted to acme / AMER sees only that', async () => {
    // The key's restriction fills in tenant=acme and region=AMER.
    expect((await get('/v1/tickets/T1/timeline', {}, restrictedKey)).status).toBe(404);
    expect((await get('/v1/tickets/T4/timeline', {}, restrictedKey)).status).toBe(200);
    const pairs = (
      await ok('/v1/metrics/handovers', { ...RANGE, asOf: '2026-03-04T12:00:00Z' }, restrictedKey)
    ).pairs as Json[];
    expect(pairs.map((p) => `${p.fromRegion}>${p.toRegion}`)).toEqual(['AMER>EMEA']);
  });
});

describe('bad input', () => {
  const problem = async (path: string, query: Record<string, string>) => {
    const r = await get(path, query);
    expect(r.status, r.text).toBe(400);
    return r.json().problems?.map((p) => [p.path, p.message]);
  };

  it('names the field and the reason', async () => {
    expect(await problem('/v1/metrics/handovers', { from: '2026-13-01', to: RANGE.to })).toEqual([
      ['querystring.from', expect.stringMatching(/datetime/i)],
    ]);
    expect(await problem('/v1/metrics/escalations', { from: RANGE.to, to: RANGE.from })).toEqual([
      ['querystring.to', 'must be after from'],
    ]);
    expect(await problem('/v1/metrics/sla', { from: RANGE.from, to: RANGE.from })).toEqual([
      ['querystring.to', 'must be after from'],
    ]);
    expect(await problem('/v1/metrics/escalations', { ...RANGE, interval: 'fortnight' })).toEqual([
      ['querystring.interval', expect.any(String)],
    ]);
    expect(await problem('/v1/metrics/escalations', { ...RANGE, tz: 'Mars/Olympus_Mons' })).toEqual([
      ['querystring.tz', 'not a valid IANA time zone'],
    ]);
    // 100 days of hours = 2 400 periods > 1 000
    expect(
      await problem('/v1/metrics/escalations', {
        from: '2026-01-01T00:00:00Z',
        to: '2026-04-11T00:00:00Z',
        interval: 'hour',
      }),
    ).toEqual([['querystring.interval', 'the range holds more than 1000 periods of this interval']]);
    expect(await problem('/v1/sla/at-risk', { sort: 'ticket_id; DROP TABLE x' })).toEqual([
      ['querystring.sort', expect.any(String)],
    ]);
    expect(await problem('/v1/sla/at-risk', { limit: '0' })).toEqual([
      ['querystring.limit', expect.any(String)],
    ]);
    expect(await problem('/v1/sla/at-risk', { minLevel: 'doom' })).toEqual([
      ['querystring.minLevel', expect.any(String)],
    ]);
    expect(await problem('/v1/metrics/sla', { ...RANGE, priority: 'urgent' })).toEqual([
      ['querystring.priority', expect.any(String)],
    ]);
    expect(await problem('/v1/metrics/backlog-vs-headcount', { window: '14' })).toEqual([
      ['querystring.window', expect.any(String)],
    ]);
    expect(await problem('/v1/metrics/field', { from: RANGE.from })).toEqual([
      ['querystring.to', expect.any(String)],
    ]);
  });
});

describe('docs and readiness', () => {
  it('/docs serves the interactive page and /openapi.json lists every metric route', async () => {
    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expect(await docs.text()).toMatch(/swagger/i);
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<
        string,
        {
          get?: {
            summary?: string;
            parameters?: { name: string; in: string }[];
            responses?: Record<string, unknown>;
          };
        }
      >;
    };
    const routes = [
      '/v1/metrics/backlog',
      '/v1/metrics/backlog-vs-headcount',
      '/v1/metrics/handovers',
      '/v1/metrics/escalations',
      '/v1/metrics/sla',
      '/v1/sla/at-risk',
      '/v1/metrics/field',
      '/v1/tickets/{id}/timeline',
    ];
    for (const route of routes) {
      const op = doc.paths[route]?.get;
      expect(op, route).toBeDefined();
      expect(op?.summary, route).toBeTruthy();
      expect(op?.responses?.['200'], route).toBeDefined();
      const query = (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expect(query, route).toEqual(expect.arrayContaining(['tenant', 'region']));
    }
    expect(doc.paths['/v1/tickets/{id}/timeline']?.get?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]),
    );
    expect(doc.paths['/v1/metrics/escalations']?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['from', 'to', 'interval', 'tz', 'customer', 'team', 'priority']),
    );
  });

  it('/readyz checks ClickHouse and Kafka and names what is down', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', clickhouse: 'ok', kafka: 'ok' });

    // Nothing listens on port 1: Kafka is down, ClickHouse is not.
    const broken = await buildApi({
      config: { ...pipeline.config, KAFKA_BROKERS: ['127.0.0.1:1'], API_READY_TIMEOUT_MS: 1_500 },
      ch: pipeline.ch,
      logger: pipeline.logger,
    });
    try {
      await broken.listen({ host: '127.0.0.1', port: 0 });
      const addr = broken.server.address();
      if (addr === null || typeof addr === 'string') throw new Error('no port');
      const res = await fetch(`http://127.0.0.1:${addr.port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'unavailable',
        down: ['kafka'],
        clickhouse: 'ok',
        kafka: 'unreachable',
      });
    } finally {
      await broken.close();
    }
  });
});
