import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, buildApi } from '../../api/app.js';
import { createApiKey } from '../../core/api-keys.js';
import type { CanonicalEvent, FieldJobEvent, RosterEvent, TicketEvent } from '../../core/events/index.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// Coverage gap, update staleness, specialist concentration and dispatch as a handover pickup, end
// to end: canonical events → Kafka → lifecycle, roster and field transforms → ClickHouse → the
// /v1 routes. Every expected figure is worked out by hand below (docs/metrics.md walks through
// the same numbers). Week of Monday 2 March 2026: no DST anywhere; London (EMEA) = UTC, works
// 08:00-18:00; Singapore (APAC) = UTC+8. Hour of week 0 = Monday 00:00 local.

const TENANT = 'css';
let pipeline: TestPipeline;
let api: Api;
let key: string;
let keyDir: string;

let seq = 0;
const id = () => String(++seq);
const iso = (s: string) => `2026-03-0${s.slice(0, 1)}T${s.slice(2)}:00.000Z`; // '3 09:10' → 3 March

function tk(ticketId: string, type: TicketEvent['type'], when: string, body: object = {}): TicketEvent {
  const at = iso(when);
  return {
    eventId: `hand:ticket:${ticketId}:${id()}`,
    schemaVersion: 1,
    source: 'hand',
    tenant: TENANT,
    ticketId,
    occurredAt: at,
    receivedAt: at,
    type,
    ...body,
  } as TicketEvent;
}
const created = (
  t: string,
  when: string,
  region: string,
  team: string,
  priority = 'medium',
  category?: string,
) =>
  tk(t, 'ticket.created', when, {
    customer: 'acme',
    region,
    team,
    priority,
    ...(category ? { category } : {}),
  });
const agent = (t: string, when: string, team: string, region: string, name: string) =>
  tk(t, 'ticket.assigned', when, { team, region, agent: name });

function shift(agentId: string, region: string, start: string, end: string): RosterEvent {
  return {
    eventId: `hand:agent:${agentId}:${id()}`,
    schemaVersion: 1,
    source: 'hand',
    tenant: TENANT,
    agentId,
    occurredAt: iso(start),
    receivedAt: iso(start),
    type: 'roster.shift',
    region,
    start: iso(start),
    end: iso(end),
  };
}

function job(type: FieldJobEvent['type'], when: string, body: object, eventKey: string): FieldJobEvent {
  return {
    eventId: `hand:job:J1:${eventKey}`,
    schemaVersion: 1,
    source: 'hand',
    tenant: TENANT,
    jobId: 'J1',
    occurredAt: iso(when),
    receivedAt: iso(when),
    type,
    ...body,
  } as FieldJobEvent;
}

// Specialists: S1-S8 created Thu 10:0x (EMEA how 82, nobody on shift) and resolved Thu 12:00.
const specialist = (t: string, category: string, by: string | null): TicketEvent[] => [
  created(t, `5 10:0${t.slice(1)}`, 'EMEA', 'emea-l2', 'low', category),
  ...(by ? [agent(t, '5 10:30', 'emea-l2', 'EMEA', by)] : []),
  tk(t, 'ticket.resolved', '5 12:00'),
];

const events: CanonicalEvent[] = [
  // Shifts. e1 across midnight Mon 22:00 → Tue 06:00, reported twice in part (merged); e2 Tue
  // 08:00-16:00; e3 Tue 08:00-12:00; p1 (APAC) Mon 01:00-03:00Z = 09:00-11:00 SGT.
  shift('e1', 'EMEA', '2 22:00', '3 06:00'),
  shift('e1', 'EMEA', '2 23:00', '3 01:00'),
  shift('e2', 'EMEA', '3 08:00', '3 16:00'),
  shift('e3', 'EMEA', '3 08:00', '3 12:00'),
  shift('p1', 'APAC', '2 01:00', '2 03:00'),

  // C1 medium, no update since its creation Mon 23:15 (how 23, e1 on shift). Due Tue 18:00.
  created('C1', '2 23:15', 'EMEA', 'emea-l1'),
  // C2 medium, Mon 19:00 (how 19, nobody on shift); an internal comment is no update. Due Tue 18:00.
  created('C2', '2 19:00', 'EMEA', 'emea-l1'),
  tk('C2', 'ticket.commented', '4 09:00', { visibility: 'internal', team: 'emea-l1' }),
  // C3 network, resolved by ann Tue 11:00, reopened Tue 15:30 (inflow how 39): due Wed 15:30.
  created('C3', '3 09:10', 'EMEA', 'emea-l2', 'medium', 'network'),
  agent('C3', '3 09:30', 'emea-l2', 'EMEA', 'ann'),
  tk('C3', 'ticket.resolved', '3 11:00'),
  tk('C3', 'ticket.reopened', '3 15:30'),
  // C4 Tue 09:20 (how 33); a public reply by dan Wed 08:30: due Wed 08:30 + 9.5 h + 0.5 h = Thu 08:30.
  created('C4', '3 09:20', 'EMEA', 'emea-l1'),
  tk('C4', 'ticket.commented', '4 08:30', { visibility: 'public', agent: 'dan' }),
  // C5 high, Wed 07:00 (how 55), on hold for the customer at 07:30: paused, no due.
  created('C5', '4 07:00', 'EMEA', 'emea-l2', 'high'),
  tk('C5', 'ticket.status_changed', '4 07:30', { status: 'on_hold', holdReason: 'customer' }),
  // C6 high (4 h), Tue 16:00 (how 40, e2's shift ended): Tue 16-18 + Wed 08-10 → due Wed 10:00.
  created('C6', '3 16:00', 'EMEA', 'emea-l2', 'high'),
  // A1 APAC network, Mon 01:30Z = 09:30 SGT (how 9), resolved by pat.
  created('A1', '2 01:30', 'APAC', 'apac-l1', 'medium', 'network'),
  agent('A1', '2 02:00', 'apac-l1', 'APAC', 'pat'),
  tk('A1', 'ticket.resolved', '2 03:00'),
  // D1 APAC Mon 02:00Z = 10:00 SGT (how 10), handed to emea-field Tue 09:00, picked up by the
  // dispatch of J1 at 09:40, resolved with no agent Tue 14:00 (category none).
  created('D1', '2 02:00', 'APAC', 'apac-l1'),
  tk('D1', 'ticket.assigned', '3 09:00', { team: 'emea-field', region: 'EMEA' }),
  tk('D1', 'ticket.resolved', '3 14:00'),
  // The dispatch is sent before the job's creation (the link to D1 arrives second).
  job('job.dispatched', '3 09:40', { engineer: 'eng-1' }, 'dispatched'),
  job('job.created', '3 08:30', { ticketId: 'D1', site: 'LON-1', region: 'EMEA' }, 'created'),
  ...specialist('S1', 'network', 'ann'),
  ...specialist('S2', 'network', 'ann'),
  ...specialist('S3', 'network', 'bob'),
  ...specialist('S4', 'network', null),
  ...specialist('S5', 'printers', 'cid'),
  ...specialist('S6', 'printers', 'cid'),
  ...specialist('S7', 'storage', 'ann'),
  ...specialist('S8', 'storage', 'bob'),
];

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'baton-css-'));
  const keyFile = join(keyDir, 'keys.json');
  key = createApiKey(keyFile, { id: 'reader', scopes: ['read'] }).key;
  pipeline = await startPipeline('css', { overrides: { API_KEYS_FILE: keyFile } });
  api = await buildApi({ config: pipeline.config, ch: pipeline.ch, logger: pipeline.logger });
  await pipeline.sink.emit(events);
  // Everything is in once the last ticket rows, the shifts and the dispatch pickup are stored.
  const ready = await eventually(
    async () => {
      const rs = await pipeline.ch.query({
        query: `SELECT
            (SELECT count() FROM ticket_facts FINAL) AS facts,
            (SELECT count() FROM ticket_sla FINAL) AS sla,
            (SELECT count() FROM agent_shifts FINAL) AS shifts,
            (SELECT countIf(has(ho_pickup_kind, 'dispatch')) FROM ticket_facts FINAL) AS dispatch_pickups`,
        format: 'JSONEachRow',
      });
      const row = (await rs.json<Record<string, string | number>>())[0]!;
      return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
    },
    (r) => r.facts === 16 && r.sla === 16 && r.shifts === 4 && r.dispatch_pickups === 1,
  );
  // 16 tickets: C1-C6, A1, D1, S1-S8; 4 agents with shifts.
  expect(ready).toEqual({ facts: 16, sla: 16, shifts: 4, dispatch_pickups: 1 });
});

afterAll(async () => {
  await api?.close();
  await pipeline?.close();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

async function get(url: string) {
  const res = await api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  return { status: res.statusCode, body: res.json() };
}

interface Hour {
  hourOfWeek: number;
  hours: number;
  inflow: number;
  avgInflow: number;
  avgOnShift: number;
  agents: number;
  inflowPerHead: number | null;
  gap: string;
}

describe('GET /v1/metrics/coverage', () => {
  const range = `tenant=${TENANT}&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z`;

  it("per region in its own calendar's zone: inflow against heads on shift", async () => {
    const { status, body } = await get(`/v1/metrics/coverage?${range}`);
    expect(status).toBe(200);
    expect(body.regions.map((r: { region: string; timeZone: string }) => [r.region, r.timeZone])).toEqual([
      ['APAC', 'Asia/Singapore'],
      ['EMEA', 'Europe/London'],
    ]);
    const emea: Hour[] = body.regions[1].hours;
    expect(emea).toHaveLength(168);
    const nonEmpty = emea
      .filter((h) => h.inflow > 0 || h.agents > 0)
      .map((h) => [h.hourOfWeek, h.inflow, h.avgOnShift, h.agents, h.inflowPerHead, h.gap]);
    expect(nonEmpty).toEqual([
      [19, 1, 0, 0, null, 'uncovered'], // C2
      [22, 0, 1, 1, 0, ''], // e1
      [23, 1, 1, 1, 1, ''], // C1; e1's two reports are one presence
      [24, 0, 1, 1, 0, ''],
      [25, 0, 1, 1, 0, ''],
      [26, 0, 1, 1, 0, ''],
      [27, 0, 1, 1, 0, ''],
      [28, 0, 1, 1, 0, ''],
      [29, 0, 1, 1, 0, ''],
      [32, 0, 2, 2, 0, ''], // e2, e3
      [33, 2, 2, 2, 1, ''], // C3, C4
      [34, 0, 2, 2, 0, ''],
      [35, 0, 2, 2, 0, ''],
      [36, 0, 1, 1, 0, ''], // e3 left at 12:00
      [37, 0, 1, 1, 0, ''],
      [38, 0, 1, 1, 0, ''],
      [39, 1, 1, 1, 1, ''], // C3 reopened
      [40, 1, 0, 0, null, 'uncovered'], // C6: e2 left at 16:00
      [55, 1, 0, 0, null, 'uncovered'], // C5
      [82, 8, 0, 0, null, 'uncovered'], // S1-S8
    ]);
    expect(emea.reduce((s, h) => s + h.inflow, 0)).toBe(15);
    const apac: Hour[] = body.regions[0].hours;
    expect(
      apac
        .filter((h) => h.inflow > 0 || h.agents > 0)
        .map((h) => [h.hourOfWeek, h.inflow, h.avgOnShift, h.inflowPerHead]),
    ).toEqual([
      [9, 1, 1, 1], // A1 at 09:30 SGT, p1 09:00-11:00 SGT
      [10, 1, 1, 1], // D1 at 10:00 SGT
    ]);
  });

  it('a threshold flags overload; tz overrides the zone; region narrows', async () => {
    const { body } = await get(`/v1/metrics/coverage?${range}&region=EMEA&maxInflowPerHead=0.9`);
    const overloaded = (body.regions[0].hours as Hour[])
      .filter((h) => h.gap === 'overloaded')
      .map((h) => h.hourOfWeek);
    expect(overloaded).toEqual([23, 33, 39]); // 1 per head > 0.9
    const ny = await get(`/v1/metrics/coverage?${range}&region=EMEA&tz=America/New_York`);
    expect(ny.body.regions[0].timeZone).toBe('America/New_York');
    // C2 at 19:00Z = 14:00 EST Monday.
    expect((ny.body.regions[0].hours as Hour[]).find((h) => h.hourOfWeek === 14)?.inflow).toBe(1);
  });

  it('bad input: the field and the reason', async () => {
    const bad = await get(
      `/v1/metrics/coverage?tenant=${TENANT}&from=2026-03-02T00:10:00Z&to=2026-03-09T00:00:00Z&tz=Mars/Olympus`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'querystring.tz', message: 'not a valid IANA time zone' }),
      ]),
    );
    const unaligned = await get(
      `/v1/metrics/coverage?tenant=${TENANT}&from=2026-03-02T00:10:00Z&to=2026-03-09T00:00:00Z`,
    );
    expect(unaligned.status).toBe(400);
    expect(unaligned.body.problems[0].path).toBe('querystring.from');
  });
});

describe('GET /v1/metrics/staleness', () => {
  it('open tickets without a public update within their interval, per region and team', async () => {
    const { status, body } = await get(`/v1/metrics/staleness?tenant=${TENANT}&asOf=2026-03-04T12:00:00Z`);
    expect(status).toBe(200);
    expect(body).toEqual({
      asOf: '2026-03-04T12:00:00.000Z',
      openTickets: 6,
      stale: 3,
      groups: [
        {
          region: 'EMEA',
          team: 'emea-l1',
          openTickets: 3, // C1, C2, C4
          stale: 2, // C1 and C2, both due Tue 18:00
          paused: 0,
          oldestUpdateAt: '2026-03-02T19:00:00.000Z', // C2's creation
          oldestTicketId: 'C2',
          oldestAgeSeconds: 147_600, // Mon 19:00 → Wed 12:00 = 41 h
          maxOverdueSeconds: 64_800, // Tue 18:00 → Wed 12:00 = 18 h
        },
        {
          region: 'EMEA',
          team: 'emea-l2',
          openTickets: 3, // C3, C5, C6
          stale: 1, // C6, due Wed 10:00
          paused: 1, // C5
          oldestUpdateAt: '2026-03-03T16:00:00.000Z',
          oldestTicketId: 'C6',
          oldestAgeSeconds: 72_000,
          maxOverdueSeconds: 7_200,
        },
      ],
    });
    // Earlier the same day, before C6's due: only C1 and C2.
    const early = await get(`/v1/metrics/staleness?tenant=${TENANT}&asOf=2026-03-04T09:00:00Z&team=emea-l2`);
    expect(early.body.groups).toEqual([
      expect.objectContaining({ team: 'emea-l2', stale: 0, oldestTicketId: null }),
    ]);
  });
});

describe('GET /v1/metrics/specialists', () => {
  it('share of the busiest agent and the number of agents per category and region', async () => {
    const { status, body } = await get(
      `/v1/metrics/specialists?tenant=${TENANT}&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z`,
    );
    expect(status).toBe(200);
    const row = (
      region: string,
      category: string,
      r: number,
      a: number,
      n: number,
      top: string | null,
      tn: number,
      share: number | null,
      flagged: boolean,
    ) => ({
      region,
      category,
      resolutions: r,
      attributed: a,
      agents: n,
      topAgent: top,
      topAgentResolutions: tn,
      topAgentShare: share,
      flagged,
    });
    expect(body.rows).toEqual([
      row('APAC', 'network', 1, 1, 1, 'pat', 1, 1, true), // one person covers it
      row('EMEA', 'network', 5, 4, 2, 'ann', 3, 0.75, true), // ann: C3, S1, S2; bob S3; S4 unattributed
      row('EMEA', 'printers', 2, 2, 1, 'cid', 2, 1, true),
      row('EMEA', '', 1, 0, 0, null, 0, null, false), // D1, nobody named: not judged
      row('EMEA', 'storage', 2, 2, 2, 'ann', 1, 0.5, false), // a tie: half is not more than half
    ]);
  });
});

describe('dispatch as a handover pickup', () => {
  it("J1's dispatch picked up D1's handover to emea-field", async () => {
    const rs = await pipeline.ch.query({
      query: `SELECT ho_to_team, ho_outcome, ho_pickup_kind, ho_wall_seconds, ho_business_seconds
              FROM ticket_facts FINAL WHERE tenant = {t:String} AND ticket_id = 'D1'`,
      query_params: { t: TENANT },
      format: 'JSONEachRow',
    });
    // Tue 09:00 → 09:40, London open: 2 400 s wall and business.
    expect(await rs.json()).toEqual([
      {
        ho_to_team: ['emea-field'],
        ho_outcome: ['picked_up'],
        ho_pickup_kind: ['dispatch'],
        ho_wall_seconds: [2400],
        ho_business_seconds: [2400],
      },
    ]);
    const stored = await pipeline.ch.query({
      query: `SELECT count() AS n FROM ticket_events FINAL WHERE tenant = {t:String} AND type = 'ticket.field_dispatched'`,
      query_params: { t: TENANT },
      format: 'JSONEachRow',
    });
    expect((await stored.json<{ n: string | number }>()).map((r) => Number(r.n))).toEqual([1]);
  });
});
