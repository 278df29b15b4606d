import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, buildApi } from '../../api/app.js';
import { loadReviewTargets } from '../../api/review/targets.js';
import {
  type CanonicalEvent,
  eventId,
  type FieldJobEvent,
  type RosterEvent,
  type TicketEvent,
} from '../../core/events/index.js';
import { projectRoot } from '../../core/paths.js';
import { bearer, testApiKeys } from '../helpers/api-keys.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The weekly regional review through the real pipeline: hand-made ticket, roster and field-job
// events → Kafka → transforms → ClickHouse → GET /v1/reviews/weekly over real HTTP, then the same
// review as a page in headless Chromium. Every expected figure is worked out by hand below.
//
// Region APAC works by the Singapore calendar (UTC+8, no DST; business hours 08:00-18:00 SGT =
// 00:00-10:00Z on weekdays). Its ISO weeks start on Monday 00:00 SGT = Sunday 16:00Z:
//   previous week P = 2026-W10 = [Sun 1 Mar 16:00Z, Sun 8 Mar 16:00Z)
//   current week  C = 2026-W11 = [Sun 8 Mar 16:00Z, Sun 15 Mar 16:00Z)
// N3 (Sun 8 Mar 15:00Z = Sun 23:00 SGT) belongs to P and N4 (17:00Z = Mon 01:00 SGT) to C,
// although both fall on Sunday 8 March in UTC: the weeks must be the region's own.
//
// APAC tickets (tenant wr; times UTC; demo SLA policies in the owner's calendar: low 5 business
// days = 50 h, medium 3 = 30 h, critical 4 h on 24x7):
//   O1 created Mon 23 Feb 02:00 apac-l1 low acme, cancelled Fri 13 Mar 02:00
//   O2 created 23 Feb apac-l1 low acme; H1 → apac-l2 Mon 2 Mar 01:00, agent assigned 02:00;
//      H3 → apac-l1 Mon 9 Mar 02:00 (ping-pong), apac-l1 comment 02:30. Open.
//   O3 created 23 Feb apac-l1 low globex; H2 → apac-l2 Tue 3 Mar 09:00, in progress Wed 4 01:00. Open.
//   O4 created 23 Feb apac-l1 low globex; H5 → apac-l2 Thu 12 Mar 09:30, in progress Fri 13 00:30. Open.
//   O5 created 23 Feb apac-l1 low initech; functional escalation Mon 2 Mar 05:00; resolved Tue 3 Mar 02:00
//   N1 created Tue 3 Mar 03:00 apac-l1 medium acme; resolved Thu 5 Mar 03:00; reopened Thu 12 Mar 02:00
//   N2 created Tue 3 Mar 03:00 apac-l1 medium acme; resolved Wed 11 Mar 02:00
//   N3 created Sun 8 Mar 15:00 apac-l1 low globex; N4 created Sun 8 Mar 17:00 apac-l1 low globex. Open.
//   N5..N8 created Tue 10 Mar 02:00 apac-l2 low acme. Open.
//   M1 created EMEA emea-l1 Tue 10 Mar 09:00 low initech; → apac-l2 (APAC) Wed 11 Mar 09:00, never picked up
//   M2 created EMEA emea-l1 Mon 9 Mar 08:00 medium initech; → apac-l1 (APAC) Mon 9 Mar 09:00, agent
//      assigned Tue 10 Mar 01:00; resolved Wed 11 Mar 03:00
//   X1 created 3.5 h before the test runs, critical, replied after 5 min: at SLA risk now
//   plus one ticket of another tenant in APAC during C, which a tenant filter must leave out.
//
// Backlog (a period counts at t when opened before t and not closed before t):
//   B(P start) = O1..O5 = 5
//   P: inflow N1, N2, N3 = 3; outflow O5, N1 = 2; B(P end) = 5 + 3 − 2 = 6 (O1..O4, N2, N3)
//   C: inflow N4, N5..N8, N1 reopened = 6; outflow N2, M2, O1 = 3; moved in M1, M2 = 2 (moves are
//      neither inflow nor outflow); B(C end) = 6 + 6 − 3 + 2 = 11
//   growth P = (6 − 5) / 5 = 20 %; C = (11 − 6) / 6 = 83.33 %
// Headcount: A1..A4 1 FTE and A5 0.5 FTE joined 1 Feb; A4 left Thu 5 Mar; A6 (1 FTE) joined Wed 11 Mar.
//   H(P end) = 3 + 0.5 = 3.5; H(C end) = 3.5 + 1 = 4.5; load P = 6 / 3.5 = 1.7143, C = 11 / 4.5 = 2.4444
// Handovers with APAC on either side: P H1, H2 = 2; C H3, M2's, M1's, H5 = 4.
//   Pickup latency of those received and picked up (wall; business in Singapore hours 00-10Z):
//   P  H1 01:00 → 02:00 = 3 600 / 3 600; H2 Tue 09:00 → Wed 01:00 = 57 600 / (1 h + 1 h) 7 200
//      wall p50 = (3 600 + 57 600) / 2 = 30 600, p90 = 3 600 + 0.9 × 54 000 = 52 200
//      business p50 = 5 400, p90 = 3 600 + 0.9 × 3 600 = 6 840
//   C  H3 1 800 / 1 800; M2 Mon 09:00 → Tue 01:00 = 57 600 / 7 200; H5 Thu 09:30 → Fri 00:30 =
//      54 000 / (30 min + 30 min) 3 600. Sorted wall 1 800, 54 000, 57 600: p50 54 000, p90 at rank
//      1.8 = 54 000 + 0.8 × 3 600 = 56 880; business 1 800, 3 600, 7 200: p50 3 600, p90 3 600 +
//      0.8 × 3 600 = 6 480
//   Pending at the week's end: P none (both picked up by Wed 4 Mar); C M1, waiting since Wed 11 Mar
//   09:00 → Sun 15 Mar 16:00 = 4 d 7 h = 370 800 s
// First resolutions: P O5 (escalated), N1 (reopened later): escalation 1/2, reopen 1/2;
//   C N2, M2 (O1 was cancelled: not a resolution): 0/2 and 0/2.
// SLA (resolution clock, current rows): O5 low from Mon 23 Feb 02:00: 8 + 40 + 2 h = 50 h at Mon
//   2 Mar 02:00 → breached, stopped Tue 3 Mar: P = 1 of 1 (N1 was reopened: its clock runs again,
//   so it is no longer a stopped one of P). C: N2 medium from Tue 3 Mar 03:00: 7 + 10 + 10 + 3 h =
//   30 h at Fri 6 Mar 03:00 → breached; M2 medium: 1 h London + 1 + 10 + 3 h Singapore = 15 h → met;
//   O1 breached on Mon 2 Mar, then its clock stopped by the cancellation in C: once breached, always
//   breached, so it counts like in sla-summary.sql: 2 of 3. Breaches that happened in C: N3 and N4 (low, 50 h from Mon 9 00:00Z → Fri 13 10:00Z,
//   globex), N1 (20 h used, resumed Thu 12 02:00 + 8 h + 2 h → Fri 13 02:00Z, acme).
// Field jobs completed in APAC: P J1 fixed first time, J2 not fixed: 1/2; C J3, J4 fixed first
//   time, J5 fixed after a revisit: 2/3.

const TENANT = 'wr';
const HOUR = 3_600_000;
const started = Date.now();

const ticketEvents: TicketEvent[] = [];
const rosterEvents: RosterEvent[] = [];
const jobEvents: FieldJobEvent[] = [];

function ticket(id: string, at: string, body: Record<string, unknown>, tenant = TENANT) {
  let n = 0;
  const ev = (type: TicketEvent['type'], when: string, extra: Record<string, unknown> = {}) => {
    const iso = new Date(when).toISOString();
    ticketEvents.push({
      eventId: eventId('desk', 'ticket', id, String(n++)),
      schemaVersion: 1,
      source: 'desk',
      tenant,
      ticketId: id,
      occurredAt: iso,
      receivedAt: iso,
      type,
      ...extra,
    } as TicketEvent);
    return handle;
  };
  const handle = {
    assign: (when: string, team: string, region: string, agent?: string) =>
      ev('ticket.assigned', when, { team, region, ...(agent ? { agent } : {}) }),
    status: (when: string, status: string) => ev('ticket.status_changed', when, { status }),
    comment: (when: string, team: string) => ev('ticket.commented', when, { visibility: 'public', team }),
    escalate: (when: string, kind: string) => ev('ticket.escalated', when, { kind }),
    resolve: (when: string) => ev('ticket.resolved', when),
    reopen: (when: string) => ev('ticket.reopened', when),
    cancel: (when: string) => ev('ticket.cancelled', when),
  };
  return ev('ticket.created', at, body);
}

const apac = (team: string, priority: string, customer: string) => ({
  region: 'APAC',
  team,
  priority,
  customer,
});
const feb23 = '2026-02-23T02:00:00Z';
ticket('O1', feb23, apac('apac-l1', 'low', 'acme')).cancel('2026-03-13T02:00:00Z');
ticket('O2', feb23, apac('apac-l1', 'low', 'acme'))
  .assign('2026-03-02T01:00:00Z', 'apac-l2', 'APAC')
  .assign('2026-03-02T02:00:00Z', 'apac-l2', 'APAC', 'agent-l2')
  .assign('2026-03-09T02:00:00Z', 'apac-l1', 'APAC')
  .comment('2026-03-09T02:30:00Z', 'apac-l1');
ticket('O3', feb23, apac('apac-l1', 'low', 'globex'))
  .assign('2026-03-03T09:00:00Z', 'apac-l2', 'APAC')
  .status('2026-03-04T01:00:00Z', 'in_progress');
ticket('O4', feb23, apac('apac-l1', 'low', 'globex'))
  .assign('2026-03-12T09:30:00Z', 'apac-l2', 'APAC')
  .status('2026-03-13T00:30:00Z', 'in_progress');
ticket('O5', feb23, apac('apac-l1', 'low', 'initech'))
  .escalate('2026-03-02T05:00:00Z', 'functional')
  .resolve('2026-03-03T02:00:00Z');
ticket('N1', '2026-03-03T03:00:00Z', apac('apac-l1', 'medium', 'acme'))
  .resolve('2026-03-05T03:00:00Z')
  .reopen('2026-03-12T02:00:00Z');
ticket('N2', '2026-03-03T03:00:00Z', apac('apac-l1', 'medium', 'acme')).resolve('2026-03-11T02:00:00Z');
ticket('N3', '2026-03-08T15:00:00Z', apac('apac-l1', 'low', 'globex'));
ticket('N4', '2026-03-08T17:00:00Z', apac('apac-l1', 'low', 'globex'));
for (const id of ['N5', 'N6', 'N7', 'N8']) ticket(id, '2026-03-10T02:00:00Z', apac('apac-l2', 'low', 'acme'));
ticket('M1', '2026-03-10T09:00:00Z', {
  region: 'EMEA',
  team: 'emea-l1',
  priority: 'low',
  customer: 'initech',
}).assign('2026-03-11T09:00:00Z', 'apac-l2', 'APAC');
ticket('M2', '2026-03-09T08:00:00Z', {
  region: 'EMEA',
  team: 'emea-l1',
  priority: 'medium',
  customer: 'initech',
})
  .assign('2026-03-09T09:00:00Z', 'apac-l1', 'APAC')
  .assign('2026-03-10T01:00:00Z', 'apac-l1', 'APAC', 'agent-l1')
  .resolve('2026-03-11T03:00:00Z');
// critical: 4 h on 24x7; 3.5 h consumed = 87.5 % (warning), critical from 3.6 h, breached only at 4 h
ticket('X1', new Date(started - 3.5 * HOUR).toISOString(), apac('apac-l1', 'critical', 'acme')).comment(
  new Date(started - 3.5 * HOUR + 5 * 60_000).toISOString(),
  'apac-l1',
);
ticket('Z1', '2026-03-10T02:00:00Z', apac('apac-l1', 'low', 'acme'), 'other-tenant');

function member(agentId: string, changes: Array<[string, number] | [string]>) {
  changes.forEach(([at, fte], n) => {
    const base = {
      eventId: eventId('hr', 'agent', agentId, String(n)),
      schemaVersion: 1 as const,
      source: 'hr',
      tenant: TENANT,
      agentId,
      occurredAt: new Date(at).toISOString(),
      receivedAt: new Date(at).toISOString(),
    };
    rosterEvents.push(
      fte === undefined
        ? { ...base, type: 'roster.member_left' }
        : { ...base, type: 'roster.member_joined', team: 'apac-l1', region: 'APAC', role: 'engineer', fte },
    );
  });
}
for (const id of ['A1', 'A2', 'A3']) member(id, [['2026-02-01T01:00:00Z', 1]]);
member('A4', [['2026-02-01T01:00:00Z', 1], ['2026-03-05T01:00:00Z']]);
member('A5', [['2026-02-01T01:00:00Z', 0.5]]);
member('A6', [['2026-03-11T01:00:00Z', 1]]);

function job(
  id: string,
  day: string,
  steps: Array<[string, FieldJobEvent['type'], Record<string, unknown>?]>,
) {
  const all: Array<[string, FieldJobEvent['type'], Record<string, unknown>?]> = [
    ['01:00', 'job.created', { site: `SIN-${id}`, region: 'APAC', customer: 'acme' }],
    ['01:10', 'job.dispatched', { engineer: `eng-${id}` }],
    ['02:00', 'job.on_site'],
    ...steps,
  ];
  all.forEach(([hhmm, type, body], n) => {
    const iso = new Date(`${day}T${hhmm}:00Z`).toISOString();
    jobEvents.push({
      eventId: eventId('fsm', 'job', id, String(n)),
      schemaVersion: 1,
      source: 'fsm',
      tenant: TENANT,
      jobId: id,
      occurredAt: iso,
      receivedAt: iso,
      type,
      ...(body ?? {}),
    } as FieldJobEvent);
  });
}
job('J1', '2026-03-03', [['03:00', 'job.completed', { fixed: true }]]);
job('J2', '2026-03-04', [['03:00', 'job.completed', { fixed: false }]]);
job('J3', '2026-03-10', [['03:00', 'job.completed', { fixed: true }]]);
job('J4', '2026-03-11', [['03:00', 'job.completed', { fixed: true }]]);
job('J5', '2026-03-12', [
  ['02:30', 'job.revisit_required'],
  ['05:00', 'job.on_site'],
  ['06:00', 'job.completed', { fixed: true }],
]);

// ---- the review's JSON shape, as far as the assertions need it ------------------------------

interface HeadlineJson {
  key: string;
  unit: string;
  current: number | null;
  previous: number | null;
  delta: number | null;
  target: { min?: number; max?: number } | null;
  onTarget: boolean | null;
}
interface ReviewJson {
  region: string | null;
  timeZone: string;
  week: { label: string; start: string; end: string };
  previousWeek: { label: string; start: string; end: string };
  complete: boolean;
  headline: HeadlineJson[];
  days: Array<{
    week: string;
    date: string;
    weekday: string;
    backlog: number;
    inflow: number;
    outflow: number;
  }>;
  handoverPairs: Array<Record<string, unknown>>;
  slaRiskNow: { atRisk: number };
  offenders: Record<string, Array<Record<string, unknown>>>;
}

let pipeline: TestPipeline;
let app: Api;
let url: string;
let headers: Record<string, string>;
let apacHeaders: Record<string, string>;
let removeKeys: () => void = () => {};
let targetsDir: string;

beforeAll(async () => {
  targetsDir = mkdtempSync(join(tmpdir(), 'baton-review-'));
  const targetsFile = join(targetsDir, 'targets.json');
  writeFileSync(
    targetsFile,
    JSON.stringify({
      default: { escalationRate: { max: 0.25 } },
      regions: { APAC: { loadPerFte: { max: 2 }, slaAtRisk: null } },
    }),
  );
  pipeline = await startPipeline('weekly_review', { overrides: { REVIEW_TARGETS_FILE: targetsFile } });
  const keys = testApiKeys(pipeline.config, {
    reader: { scopes: ['read'] },
    apacOnly: { scopes: ['read'], tenants: [TENANT], regions: ['APAC'] },
  });
  removeKeys = keys.remove;
  headers = bearer(keys.keys.reader);
  apacHeaders = bearer(keys.keys.apacOnly);
  app = await buildApi({ config: keys.config, ch: pipeline.ch, logger: pipeline.logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const all: CanonicalEvent[] = [...ticketEvents, ...rosterEvents, ...jobEvents];
  // Newest first and a share twice: arrival order and re-deliveries must not change a figure.
  await pipeline.sink.emit([...all].reverse());
  await pipeline.sink.emit(all.filter((_, i) => i % 5 === 0));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await pipeline?.close();
  rmSync(targetsDir, { recursive: true, force: true });
  removeKeys();
});

async function getReview(query: string): Promise<{ status: number; body: ReviewJson }> {
  const res = await fetch(`${url}/v1/reviews/weekly?${query}`, { headers });
  return { status: res.status, body: (await res.json()) as ReviewJson };
}

const fig = (r: ReviewJson, key: string): HeadlineJson => {
  const h = r.headline.find((x) => x.key === key);
  if (!h) throw new Error(`no headline figure ${key}`);
  return h;
};

/** The review once the derived tables hold every event written above. */
async function settledReview(): Promise<ReviewJson> {
  const got = await eventually(
    () => getReview(`tenant=${TENANT}&region=APAC&week=2026-W11`),
    ({ status, body }) =>
      status === 200 &&
      fig(body, 'backlogEnd').current === 11 &&
      fig(body, 'backlogEnd').previous === 6 &&
      fig(body, 'headcountFte').current === 4.5 &&
      fig(body, 'pendingHandovers').current === 1 &&
      fig(body, 'pickupWallP50Seconds').current === 54_000 &&
      fig(body, 'escalationRate').previous === 0.5 &&
      Math.abs((fig(body, 'slaBreachRate').current ?? 0) - 2 / 3) < 1e-9 &&
      fig(body, 'slaBreachRate').previous === 1 &&
      fig(body, 'slaAtRisk').current === 1 &&
      fig(body, 'firstTimeFixRate').current !== null &&
      Math.abs((fig(body, 'firstTimeFixRate').current ?? 0) - 2 / 3) < 1e-9,
    90_000,
    500,
  );
  expect(got.status).toBe(200);
  return got.body;
}

describe('weekly review: JSON', () => {
  it('headline figures, deltas and targets of APAC for 2026-W11 against 2026-W10', async () => {
    const r = await settledReview();
    expect(r.region).toBe('APAC');
    expect(r.timeZone).toBe('Asia/Singapore');
    expect(r.week).toEqual({
      label: '2026-W11',
      start: '2026-03-08T16:00:00.000Z',
      end: '2026-03-15T16:00:00.000Z',
    });
    expect(r.previousWeek).toEqual({
      label: '2026-W10',
      start: '2026-03-01T16:00:00.000Z',
      end: '2026-03-08T16:00:00.000Z',
    });
    expect(r.complete).toBe(true);

    const close = (key: string, current: number, previous: number, delta: number) => {
      const h = fig(r, key);
      expect(h.current).toBeCloseTo(current, 9);
      expect(h.previous).toBeCloseTo(previous, 9);
      expect(h.delta).toBeCloseTo(delta, 9);
    };
    const exact = (key: string) => {
      const h = fig(r, key);
      return [h.current, h.previous, h.delta];
    };
    expect(exact('backlogEnd')).toEqual([11, 6, 5]);
    expect(exact('inflow')).toEqual([6, 3, 3]);
    expect(exact('outflow')).toEqual([3, 2, 1]);
    expect(exact('headcountFte')).toEqual([4.5, 3.5, 1]);
    expect(exact('handovers')).toEqual([4, 2, 2]);
    expect(exact('pickupWallP50Seconds')).toEqual([54_000, 30_600, 23_400]);
    expect(exact('pickupWallP90Seconds')).toEqual([56_880, 52_200, 4_680]);
    expect(exact('pickupBusinessP50Seconds')).toEqual([3_600, 5_400, -1_800]);
    expect(exact('pickupBusinessP90Seconds')).toEqual([6_480, 6_840, -360]);
    expect(exact('pendingHandovers')).toEqual([1, 0, 1]);
    expect(exact('escalationRate')).toEqual([0, 0.5, -0.5]);
    expect(exact('reopenRate')).toEqual([0, 0.5, -0.5]);
    close('slaBreachRate', 2 / 3, 1, 2 / 3 - 1);
    // a snapshot of now: no figure for the previous week, hence no change
    expect(exact('slaAtRisk')).toEqual([1, null, null]);

    close('backlogGrowthPct', 500 / 6, 20, 500 / 6 - 20); // (11 − 6) / 6 = 83.33 %; (6 − 5) / 5 = 20 %
    close('loadPerFte', 11 / 4.5, 6 / 3.5, 11 / 4.5 - 6 / 3.5); // 2.4444 − 1.7143 = 0.7302
    close('firstTimeFixRate', 2 / 3, 0.5, 2 / 3 - 0.5);
    // relative change: backlog 6 → 11 = +83.33 %
    expect(r.headline.find((h) => h.key === 'backlogEnd')).toMatchObject({
      deltaPct: expect.closeTo(500 / 6, 9),
    });

    // Targets: built-in, overridden by the file's default and by its APAC entry.
    expect(fig(r, 'escalationRate')).toMatchObject({ target: { max: 0.25 }, onTarget: true }); // file default
    expect(fig(r, 'loadPerFte')).toMatchObject({ target: { max: 2 }, onTarget: false }); // APAC: 2.44 > 2
    expect(fig(r, 'slaAtRisk')).toMatchObject({ target: null, onTarget: null }); // removed for APAC
    expect(fig(r, 'firstTimeFixRate')).toMatchObject({ target: { min: 0.8 }, onTarget: false }); // built in
    expect(fig(r, 'slaBreachRate')).toMatchObject({ target: { max: 0.05 }, onTarget: false });
    expect(fig(r, 'inflow')).toMatchObject({ target: null, onTarget: null });
  });

  it('daily series in Singapore days, offenders behind the changes', async () => {
    const r = await settledReview();
    const series = (week: string) =>
      r.days.filter((d) => d.week === week).map((d) => [d.date, d.backlog, d.inflow, d.outflow]);
    // P (local days): Tue O5 resolved, N1 and N2 created; Thu N1 resolved; Sun N3 at 23:00 SGT
    expect(series('previous')).toEqual([
      ['2026-03-02', 5, 0, 0],
      ['2026-03-03', 6, 2, 1],
      ['2026-03-04', 6, 0, 0],
      ['2026-03-05', 5, 0, 1],
      ['2026-03-06', 5, 0, 0],
      ['2026-03-07', 5, 0, 0],
      ['2026-03-08', 6, 1, 0],
    ]);
    // C: Mon N4 (01:00 SGT) + M2 moved in; Tue N5..N8; Wed N2, M2 out, M1 moved in; Thu N1 reopened;
    // Fri O1 cancelled
    expect(series('current')).toEqual([
      ['2026-03-09', 8, 1, 0],
      ['2026-03-10', 12, 4, 0],
      ['2026-03-11', 11, 0, 2],
      ['2026-03-12', 12, 1, 0],
      ['2026-03-13', 11, 0, 1],
      ['2026-03-14', 11, 0, 0],
      ['2026-03-15', 11, 0, 0],
    ]);
    expect(r.days.map((d) => d.weekday).slice(0, 7)).toEqual([
      'Mon',
      'Tue',
      'Wed',
      'Thu',
      'Fri',
      'Sat',
      'Sun',
    ]);

    // Teams at C start: apac-l1 O1, O4, N2, N3 = 4; apac-l2 O2, O3 = 2. At C end: apac-l1 O2, N1, N3,
    // N4 = 4; apac-l2 O3, O4, N5..N8, M1 = 7. apac-l1 in: N4, N1 reopened; out: N2, M2, O1.
    expect(r.offenders.teamsByBacklogGrowth).toEqual([
      { team: 'apac-l2', backlogStart: 2, backlogEnd: 7, growth: 5, inflow: 4, outflow: 0 },
      { team: 'apac-l1', backlogStart: 4, backlogEnd: 4, growth: 0, inflow: 2, outflow: 3 },
    ]);
    // apac-l1 received H3 (1 800 s) and M2 (7 200 s): p50 4 500, p90 1 800 + 0.9 × 5 400 = 6 660;
    // apac-l2 received H5 (3 600 s) and M1 (still pending)
    expect(r.offenders.teamsBySlowestPickup).toEqual([
      {
        team: 'apac-l1',
        received: 2,
        pickedUp: 2,
        businessP50Seconds: 4_500,
        businessP90Seconds: 6_660,
        pendingAtEnd: 0,
      },
      {
        team: 'apac-l2',
        received: 2,
        pickedUp: 1,
        businessP50Seconds: 3_600,
        businessP90Seconds: 3_600,
        pendingAtEnd: 1,
      },
    ]);
    // Breaches in C: N3, N4 (globex), N1 (acme); stopped in C: N2 and O1 (acme, both breached), M2
    // (initech, met). Open and breached now: globex O3, O4, N3, N4; acme O2, N1, N5..N8
    expect(r.offenders.customersByBreaches).toEqual([
      { customer: 'globex', breaches: 2, resolved: 0, resolvedBreached: 0, openBreachedNow: 4 },
      { customer: 'acme', breaches: 1, resolved: 2, resolvedBreached: 2, openBreachedNow: 6 },
    ]);
    expect(r.offenders.oldestPendingHandovers).toEqual([
      {
        tenant: TENANT,
        ticketId: 'M1',
        customer: 'initech',
        priority: 'low',
        fromTeam: 'emea-l1',
        fromRegion: 'EMEA',
        toTeam: 'apac-l2',
        toRegion: 'APAC',
        handedOverAt: '2026-03-11T09:00:00.000Z',
        ageSeconds: 370_800,
      },
    ]);
    // Oldest first: O2, O3, O4 (23 Feb 02:00; 20 d 14 h = 1 778 400 s at Sun 15 Mar 16:00Z), N1, N3,
    // N4, N5..N8 (Tue 10 Mar 02:00), M1 (Tue 10 Mar 09:00)
    expect(r.offenders.oldestTickets?.map((t) => t.ticketId)).toEqual([
      'O2',
      'O3',
      'O4',
      'N1',
      'N3',
      'N4',
      'N5',
      'N6',
      'N7',
      'N8',
    ]);
    expect(r.offenders.oldestTickets?.[0]).toMatchObject({ team: 'apac-l1', ageSeconds: 1_778_400 });

    // Region pairs of C: APAC → APAC (H3, H5) and EMEA → APAC (M2 picked up, M1 pending)
    const pairs = r.handoverPairs
      .filter((p) => p.week === 'current')
      .map((p) => [p.fromRegion, p.toRegion, p.handovers, p.pickedUp, p.businessP50Seconds]);
    expect(pairs).toEqual([
      ['APAC', 'APAC', 2, 2, 2_700], // (1 800 + 3 600) / 2
      ['EMEA', 'APAC', 2, 1, 7_200],
    ]);
  });

  it('without a region: all regions in UTC weeks; the tenant filter holds', async () => {
    await settledReview();
    const { status, body } = await getReview(`tenant=${TENANT}&week=2026-W11`);
    expect(status).toBe(200);
    expect(body.region).toBeNull();
    expect(body.timeZone).toBe('UTC');
    expect(body.week.start).toBe('2026-03-09T00:00:00.000Z');
    // UTC W11 [Mon 9 Mar 00:00Z, Mon 16 Mar 00:00Z): N3 and N4 (Sun 8 Mar) are both in W10 now;
    // C inflow = N5..N8 + N1 reopened + M1 and M2 created in EMEA = 7; Z1 is another tenant's
    expect(fig(body, 'inflow').current).toBe(7);
    // P (UTC W10 [Mon 2 Mar, Mon 9 Mar)): N1, N2, N3, N4 = 4
    expect(fig(body, 'inflow').previous).toBe(4);
  });

  it('a key restricted to one tenant and region gets that review, and no other', async () => {
    const r = await settledReview();
    // no tenant or region named: the key's own are filled in
    const res = await fetch(`${url}/v1/reviews/weekly?week=2026-W11`, { headers: apacHeaders });
    expect(res.status).toBe(200);
    const forced = (await res.json()) as ReviewJson;
    expect([forced.region, forced.timeZone]).toEqual(['APAC', 'Asia/Singapore']);
    expect(forced.headline.map((h) => [h.key, h.current, h.previous])).toEqual(
      r.headline.map((h) => [h.key, h.current, h.previous]),
    );
    const other = await fetch(`${url}/v1/reviews/weekly.html?region=EMEA&week=2026-W11`, {
      headers: apacHeaders,
    });
    expect(other.status).toBe(403);
  });

  it('answers 400 with the field and the reason for a bad week or region', async () => {
    const bad = async (query: string) => {
      const res = await fetch(`${url}/v1/reviews/weekly?${query}`, { headers });
      return {
        status: res.status,
        body: (await res.json()) as { problems?: { path: string; message: string }[] },
      };
    };
    const cases: Array<[string, string, RegExp]> = [
      ['region=APAC&week=2026-47', 'querystring.week', /ISO week like 2026-W47/],
      ['region=APAC&week=2026-W54', 'querystring.week', /2026 has ISO weeks 01 to 53/],
      ['region=APAC&week=2026-W00', 'querystring.week', /ISO weeks 01 to 53/],
      ['region=APAC&week=2099-W01', 'querystring.week', /has not started yet in Asia\/Singapore/],
      ['region=&week=2026-W11', 'querystring.region', /.+/],
      [`region=${'X'.repeat(201)}`, 'querystring.region', /.+/],
    ];
    for (const [query, path, message] of cases) {
      const { status, body } = await bad(query);
      expect([query, status]).toEqual([query, 400]);
      expect(body.problems?.[0]?.path).toBe(path);
      expect(body.problems?.[0]?.message).toMatch(message);
    }
  });

  it('a bad targets file stops the start with the path and the reason', () => {
    const file = join(targetsDir, 'bad.json');
    writeFileSync(file, JSON.stringify({ regions: { APAC: { loadPerFte: { min: 3, max: 2 }, nope: {} } } }));
    expect(() => loadReviewTargets({ REVIEW_TARGETS_FILE: file })).toThrow(
      /regions\.APAC\.loadPerFte\.max: max must not be below min/,
    );
    expect(() => loadReviewTargets({ REVIEW_TARGETS_FILE: file })).toThrow(/regions\.APAC/);
  });
});

// ---- the page -------------------------------------------------------------------------------

const CHROMIUM = '/usr/bin/chromium';

/** How the page shows a figure, written out independently of the page code. */
function shown(unit: string, v: number | null): string {
  if (v === null) return '–';
  if (unit === 'count') return String(Math.round(v));
  if (unit === 'fte') return v.toFixed(1);
  if (unit === 'tickets_per_fte') return v.toFixed(2);
  if (unit === 'percent') return `${v.toFixed(1)} %`;
  if (unit === 'ratio') return `${(v * 100).toFixed(1)} %`;
  if (unit === 'seconds') return v < 3_600 ? `${(v / 60).toFixed(0)} min` : `${(v / 3_600).toFixed(1)} h`;
  throw new Error(`unit ${unit}`);
}

describe('weekly review: the printable page in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: run infra/setup.sh as root (apt-get install chromium)`,
      );
    browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  });
  afterAll(async () => browser?.close());

  it('renders with its charts, no console error, and the same headline numbers as the JSON', async () => {
    const review = await settledReview();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setExtraHTTPHeaders(headers);
    await page.setViewport({ width: 1200, height: 900 });
    const pageUrl = `${url}/v1/reviews/weekly.html?tenant=${TENANT}&region=APAC&week=2026-W11`;
    const res = await page.goto(pageUrl, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toMatch(/^text\/html/);

    expect(await page.title()).toBe('Weekly review — APAC — 2026-W11');
    expect(await page.$$eval('figure.chart svg', (svgs) => svgs.length)).toBe(5);
    // every chart has drawn marks, not only an empty frame
    const marks = await page.$$eval('figure.chart svg', (svgs) =>
      svgs.map((s) => s.querySelectorAll('path, rect, line').length),
    );
    for (const m of marks) expect(m).toBeGreaterThan(3);

    const cells = await page.$$eval('table.headline tbody tr', (rows) =>
      rows.map((row) => ({
        key: row.getAttribute('data-key') ?? '',
        current: row.querySelector('td.current')?.firstChild?.textContent?.trim() ?? '',
        previous: row.querySelector('td.previous')?.firstChild?.textContent?.trim() ?? '',
        currentValue: row.querySelector('td.current')?.getAttribute('data-value') ?? '',
      })),
    );
    expect(cells.map((c) => c.key)).toEqual(review.headline.map((h) => h.key));
    for (const h of review.headline) {
      const c = cells.find((x) => x.key === h.key)!;
      expect([h.key, c.current, c.previous]).toEqual([
        h.key,
        shown(h.unit, h.current),
        shown(h.unit, h.previous),
      ]);
      expect([h.key, c.currentValue === '' ? null : Number(c.currentValue)]).toEqual([h.key, h.current]);
    }
    // the figures the comments above work out, as a reader sees them
    const text = (key: string) => cells.find((c) => c.key === key)?.current;
    expect([
      text('backlogEnd'),
      text('loadPerFte'),
      text('pickupBusinessP90Seconds'),
      text('slaBreachRate'),
    ]).toEqual(['11', '2.44', '1.8 h', '66.7 %']);

    // the inline <style> applies (a Content-Security-Policy must allow it: the page's contract)
    expect(
      await page.$eval(
        'figure.chart',
        (f) => f.ownerDocument.defaultView?.getComputedStyle(f).borderTopStyle,
      ),
    ).toBe('solid');

    // offenders are on the page, escaped text in tables
    const offenderText = await page.$eval('main', (m) => m.textContent ?? '');
    expect(offenderText).toContain('apac-l2');
    expect(offenderText).toContain('M1');

    // nothing but the page itself was fetched: no script, font or image from anywhere
    expect(requests).toEqual([pageUrl]);
    expect(problems).toEqual([]);

    const outDir = join(projectRoot, '.cache', 'test-output');
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, 'weekly-review.png'), fullPage: true });
    expect(existsSync(join(outDir, 'weekly-review.png'))).toBe(true);
    await page.close();
  });

  it('the JSON route answers the page to a client that prefers HTML, JSON otherwise', async () => {
    await settledReview();
    const q = `${url}/v1/reviews/weekly?tenant=${TENANT}&region=APAC&week=2026-W11`;
    const html = await fetch(q, {
      headers: { ...headers, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await html.text();
    expect(body).toMatch(/^<!doctype html>/);
    expect(body).not.toMatch(/<script/i);
    const json = await fetch(q, { headers: { ...headers, accept: '*/*' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
