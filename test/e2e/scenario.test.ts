import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { CanonicalEvent, FieldJobEvent, RosterEvent, TicketEvent } from '../../core/events/index.js';
import { readQuery } from '../../core/queries.js';
import { DAY, generateOperation } from '../../ingest/simulator/generate.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The simulator through the real pipeline: two small seeded operations (a steady one, and one
// where the APAC backlog outgrows its headcount) -> Kafka -> transforms -> ClickHouse -> the read
// queries. Every expected figure is worked out below from the generated event list by a slow,
// obvious replay written for this test, not by Baton's transforms.

const ANCHOR = Date.parse('2026-03-30T00:00:00Z'); // a Monday; the end of the story and of the range
const FROM = ANCHOR - 9 * DAY;
const SINCE_EVER = '2000-01-01T00:00:00.000Z';
const REGIONS = ['AMER', 'APAC', 'EMEA'];

const story = generateOperation(
  { seed: 1, tenant: 'story', scenario: 'apac-backlog', anchor: ANCHOR, ticketScale: 0.3 },
  FROM,
  ANCHOR,
);
const calm = generateOperation(
  { seed: 1, tenant: 'calm', scenario: 'none', anchor: ANCHOR, ticketScale: 0.3 },
  FROM,
  ANCHOR,
);

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline('e2e_scenario');
  const all = [...story, ...calm];
  await pipeline.sink.emit(all);
  const want = (family: string) => all.filter((e) => e.type.startsWith(family)).length;
  // The transforms add events of their own (a dispatch becomes a ticket event): count the simulator's.
  const counts = await eventually(
    () =>
      rows<{ t: string; j: string; r: string }>(
        `SELECT (SELECT uniqExactIf((tenant, event_id), source LIKE 'sim-%') FROM ticket_events) AS t,
                (SELECT uniqExactIf((tenant, event_id), source LIKE 'sim-%') FROM field_job_events) AS j,
                (SELECT uniqExactIf((tenant, event_id), source LIKE 'sim-%') FROM roster_events) AS r`,
      ),
    (c) =>
      Number(c[0]?.t) === want('ticket.') &&
      Number(c[0]?.j) === want('job.') &&
      Number(c[0]?.r) === want('roster.'),
    240_000,
    1_000,
  );
  expect(counts.map((c) => [Number(c.t), Number(c.j), Number(c.r)])).toEqual([
    [want('ticket.'), want('job.'), want('roster.')],
  ]);
}, 300_000);

afterAll(async () => pipeline?.close());

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await pipeline.ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

const chTime = (ms: number | string) => toClickHouseTime(new Date(ms));
const at = (e: CanonicalEvent) => Date.parse(e.occurredAt);

// ---- the test's own reference calculation --------------------------------------------------------

/** One entity's events in time order (stable: same-instant events keep the generated order). */
function histories<E extends CanonicalEvent>(events: readonly E[], key: (e: E) => string): E[][] {
  const m = new Map<string, E[]>();
  for (const e of events) m.set(key(e), [...(m.get(key(e)) ?? []), e]);
  return [...m.values()].map((h) => [...h].sort((a, b) => at(a) - at(b)));
}
const ticketsOf = (events: readonly CanonicalEvent[]) =>
  histories(
    events.filter((e): e is TicketEvent => e.type.startsWith('ticket.')),
    (e) => e.ticketId,
  );
const jobsOf = (events: readonly CanonicalEvent[]) =>
  histories(
    events.filter((e): e is FieldJobEvent => e.type.startsWith('job.')),
    (e) => e.jobId,
  );
const agentsOf = (events: readonly CanonicalEvent[]) =>
  histories(
    events.filter((e): e is RosterEvent => e.type.startsWith('roster.')),
    (e) => e.agentId,
  );

/** Open tickets per region once every event before `t` has happened. */
function refBacklog(events: readonly CanonicalEvent[], t: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of ticketsOf(events)) {
    let open = false;
    let region = '';
    for (const e of h) {
      if (at(e) >= t) break;
      if (e.type === 'ticket.created') [open, region] = [true, e.region];
      if (e.type === 'ticket.assigned') region = e.region;
      if (e.type === 'ticket.reopened') open = true;
      if (e.type === 'ticket.resolved' || e.type === 'ticket.closed' || e.type === 'ticket.cancelled')
        open = false;
    }
    if (open) out[region] = (out[region] ?? 0) + 1;
  }
  return out;
}

/** FTE per region of the members whose latest join/leave before `t` was a join. */
function refHeadcount(events: readonly CanonicalEvent[], t: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of agentsOf(events)) {
    let member: { region: string; fte: number } | null = null;
    for (const e of h) {
      if (at(e) >= t) break;
      if (e.type === 'roster.member_joined') member = { region: e.region, fte: e.fte };
      if (e.type === 'roster.member_left') member = null;
    }
    if (member) out[member.region] = (out[member.region] ?? 0) + member.fte;
  }
  return out;
}

/** Hand-overs (a change of team after the first one) per "from->to" region pair. */
function refHandovers(events: readonly CanonicalEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of ticketsOf(events)) {
    let team = '';
    let region = '';
    for (const e of h) {
      if (e.type !== 'ticket.assigned') continue;
      if (team && e.team !== team) {
        const pair = `${region}->${e.region}`;
        out[pair] = (out[pair] ?? 0) + 1;
      }
      [team, region] = [e.team, e.region];
    }
  }
  return out;
}

interface EscalationFigures {
  resolved: number;
  escalated: number;
  tier: number;
  management: number;
}

/** Per region owning the ticket at its first resolution: resolved tickets and their escalations. */
function refEscalations(events: readonly CanonicalEvent[]): Record<string, EscalationFigures> {
  const out: Record<string, EscalationFigures> = {};
  for (const h of ticketsOf(events)) {
    const firstResolution = h.findIndex((e) => e.type === 'ticket.resolved');
    if (firstResolution < 0) continue;
    let region = '';
    for (const e of h.slice(0, firstResolution)) {
      if (e.type === 'ticket.created' || e.type === 'ticket.assigned') region = e.region;
    }
    const escalations = h.filter((e) => e.type === 'ticket.escalated');
    out[region] ??= { resolved: 0, escalated: 0, tier: 0, management: 0 };
    const r = out[region]!;
    r.resolved += 1;
    if (escalations.length > 0) r.escalated += 1;
    r.tier += escalations.filter((e) => e.type === 'ticket.escalated' && e.kind === 'tier').length;
    r.management += escalations.filter(
      (e) => e.type === 'ticket.escalated' && e.kind === 'management',
    ).length;
  }
  return out;
}

/** Completed jobs per region and those fixed at the first visit with no revisit. */
function refFieldFix(
  events: readonly CanonicalEvent[],
): Record<string, { jobs: number; firstTimeFix: number }> {
  const out: Record<string, { jobs: number; firstTimeFix: number }> = {};
  for (const h of jobsOf(events)) {
    const created = h.find((e) => e.type === 'job.created');
    if (created?.type !== 'job.created') continue;
    // Completed for good: nothing that reopens the job (a revisit, a new dispatch or visit) after the last completion.
    const last = h.findLast((e) =>
      ['job.completed', 'job.revisit_required', 'job.dispatched', 'job.on_site'].includes(e.type),
    );
    if (last?.type !== 'job.completed') continue;
    out[created.region] ??= { jobs: 0, firstTimeFix: 0 };
    const r = out[created.region]!;
    r.jobs += 1;
    const visits = h.filter((e) => e.type === 'job.on_site').length;
    const revisits = h.filter((e) => e.type === 'job.revisit_required').length;
    if (last.fixed && revisits === 0 && visits <= 1) r.firstTimeFix += 1;
  }
  return out;
}

const pct = (a: number, b: number) => (100 * (a - b)) / b;

// ---- the figures in ClickHouse --------------------------------------------------------------------

interface VsRow {
  region: string;
  backlog_start: number | string;
  backlog_end: number | string;
  headcount_start: number;
  headcount_end: number;
  gap_pp: number | null;
}

async function vsHeadcount(tenant: string, events: readonly CanonicalEvent[]): Promise<VsRow[]> {
  const b = refBacklog(events, ANCHOR);
  const h = refHeadcount(events, ANCHOR);
  return eventually(
    () =>
      rows<VsRow>(readQuery('backlog-vs-headcount'), {
        tenant,
        region: '',
        team: '',
        at: chTime(ANCHOR),
        window_days: 7,
      }),
    (r) =>
      r.length === 3 &&
      r.every((x) => Number(x.backlog_end) === (b[x.region] ?? 0) && x.headcount_end === h[x.region]),
    120_000,
    1_000,
  );
}

describe('the simulator through the pipeline', () => {
  it('backlog and headcount per region at the start and end of the last week equal the replay', async () => {
    for (const [tenant, events] of [
      ['story', story],
      ['calm', calm],
    ] as const) {
      const got = await vsHeadcount(tenant, events);
      const [b0, b1] = [refBacklog(events, ANCHOR - 7 * DAY), refBacklog(events, ANCHOR)];
      const [h0, h1] = [refHeadcount(events, ANCHOR - 7 * DAY), refHeadcount(events, ANCHOR)];
      expect(
        got.map((r) => [
          r.region,
          Number(r.backlog_start),
          Number(r.backlog_end),
          r.headcount_start,
          r.headcount_end,
        ]),
      ).toEqual(REGIONS.map((r) => [r, b0[r] ?? 0, b1[r] ?? 0, h0[r], h1[r]]));
      // a few hundred tickets, a roster of about forty people per region
      expect(REGIONS.every((r) => (b1[r] ?? 0) > 20 && h1[r]! > 30)).toBe(true);
    }
  });

  it('apac-backlog: the APAC backlog outpaces headcount by more than 20 pp over 7 days; the steady operation does not', async () => {
    const storyRows = await vsHeadcount('story', story);
    const calmRows = await vsHeadcount('calm', calm);
    const apac = storyRows.find((r) => r.region === 'APAC')!;
    // the replay's gap, from the same figures
    const [b0, b1] = [refBacklog(story, ANCHOR - 7 * DAY).APAC!, refBacklog(story, ANCHOR).APAC!];
    const [h0, h1] = [refHeadcount(story, ANCHOR - 7 * DAY).APAC!, refHeadcount(story, ANCHOR).APAC!];
    expect(apac.gap_pp).toBeCloseTo(pct(b1, b0) - pct(h1, h0), 3);
    expect(apac.gap_pp).toBeGreaterThan(20);
    expect(h1).toBeGreaterThan(h0); // people were added, and it was not enough
    expect(calmRows.find((r) => r.region === 'APAC')!.gap_pp).toBeLessThanOrEqual(20);
  });

  it('hand-overs per from -> to region pair equal the replay (escalations in a region, follow-the-sun across)', async () => {
    for (const [tenant, events] of [
      ['story', story],
      ['calm', calm],
    ] as const) {
      const want = refHandovers(events);
      const got = await eventually(
        () =>
          rows<{ from_region: string; to_region: string; handovers: string }>(readQuery('handovers'), {
            tenant,
            region: '',
            from: chTime(SINCE_EVER),
            to: chTime(ANCHOR),
            as_of: chTime(ANCHOR),
          }),
        (r) =>
          r.reduce((s, x) => s + Number(x.handovers), 0) === Object.values(want).reduce((s, n) => s + n, 0),
        120_000,
        1_000,
      );
      const pairs = Object.fromEntries(
        got
          .filter((r) => Number(r.handovers) > 0)
          .map((r) => [`${r.from_region}->${r.to_region}`, Number(r.handovers)]),
      );
      expect(pairs).toEqual(want);
      for (const pair of ['APAC->APAC', 'APAC->EMEA', 'EMEA->AMER', 'AMER->APAC'])
        expect(want[pair]).toBeGreaterThan(0);
    }
  });

  it('escalations of the resolved tickets per region equal the replay', async () => {
    const want = refEscalations(story);
    const got = await eventually(
      () =>
        rows<Record<string, string | number>>(readQuery('escalations'), {
          tenant: 'story',
          region: '',
          from: chTime(SINCE_EVER),
          to: chTime(ANCHOR),
        }),
      (r) =>
        r.reduce((s, x) => s + Number(x.resolved), 0) ===
        Object.values(want).reduce((s, x) => s + x.resolved, 0),
      120_000,
      1_000,
    );
    expect(
      got.map((r) => [
        r.region,
        Number(r.resolved),
        Number(r.escalated_tickets),
        Number(r.tier_escalations),
        Number(r.management_escalations),
      ]),
    ).toEqual(
      REGIONS.map((r) => [r, want[r]!.resolved, want[r]!.escalated, want[r]!.tier, want[r]!.management]),
    );
    expect(Object.values(want).every((x) => x.escalated > 0 && x.tier > 0)).toBe(true);
  });

  it('field jobs completed and fixed first time per region equal the replay', async () => {
    const want = refFieldFix(story);
    const got = await eventually(
      () =>
        rows<{ region: string; jobs: string; first_time_fix_rate: number }>(readQuery('field-summary'), {
          tenant: 'story',
          region: '',
          customer: '',
          from: chTime(SINCE_EVER),
          to: chTime(ANCHOR),
        }),
      (r) =>
        r.reduce((s, x) => s + Number(x.jobs), 0) === Object.values(want).reduce((s, x) => s + x.jobs, 0),
      120_000,
      1_000,
    );
    expect(
      got.map((r) => [r.region, Number(r.jobs), Math.round(r.first_time_fix_rate * Number(r.jobs))]),
    ).toEqual(REGIONS.map((r) => [r, want[r]!.jobs, want[r]!.firstTimeFix]));
    expect(Object.values(want).every((x) => x.jobs > x.firstTimeFix && x.firstTimeFix > 0)).toBe(true);
  });
});
