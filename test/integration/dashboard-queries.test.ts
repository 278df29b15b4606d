import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ClickHouseClient } from '../../core/clickhouse.js';
import {
  type CanonicalEvent,
  eventId,
  type FieldJobEvent,
  type RosterEvent,
  type TicketEvent,
} from '../../core/events/index.js';
import { topicName } from '../../core/topics.js';
import { ALL, type ExpandContext, expandPanelSql, type VariableState } from '../helpers/grafana-sql.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// Every panel query and variable query of the generated dashboards, run the way Grafana and the
// ClickHouse plugin would run them (macros expanded as the plugin documents, template variables
// substituted) against a pipeline fed with a small follow-the-sun scenario: each must run, return
// the columns declared below, and return rows, since the scenario has data for every panel.

const TENANT = 'dq';
// The transforms' clock (SLA evaluation, rollup hours): Thursday 5 March 2026, 12:00 UTC.
const NOW = Date.parse('2026-03-05T12:00:00.000Z');
// Events are received now about the past (a backfill), as the pipeline panels see them.
const RECEIVED_AT = new Date().toISOString();
const RANGE = { from: new Date('2026-02-23T00:00:00.000Z'), to: new Date(NOW) };

const at = (s: string): string => new Date(`2026-${s}:00.000Z`).toISOString();
// Records the ticket transform must dead-letter: not JSON, and JSON that is no ticket event.
const POISON = [
  { key: 'poison-1', value: '{not json' },
  { key: 'poison-2', value: '{"hello":"world"}' },
];

// ---- scenario -----------------------------------------------------------------------------------
// Calendars (demo set): APAC Singapore 00–10Z, EMEA London 08–18Z, AMER New York 13–23Z.
// Policies: critical 15 min / 4 h on 24x7; high 1 h / 8 h and medium, low in the owner's hours.
//
// last week (23 Feb – 1 Mar)
//   P1 APAC high, resolved the same morning
//   P2 EMEA medium, escalated, resolved next day
//   P3 AMER high 14:00 → resolved next day 20:00 (8 business hours ran out at 22:00: breached)
// this week (2 Mar –)
//   T1 APAC high → handed to EMEA 07:00, picked up by a comment 09:00 → resolved, reopened, resolved
//   T2 EMEA medium → handed to AMER 17:00, picked up 19:00 → handed back to EMEA 3 Mar 02:00
//      (ping-pong), still pending at NOW
//   T3 APAC critical, escalated, resolved after 6 h (breached)
//   T4 APAC critical 08:30 today, answered, open: 3.5 h of 4 h = 87.5 % (warning)
//   T5 AMER critical 09:30 today, answered, open: 2.5 h of 4 h = 62.5 % (watch)
//   T6 EMEA critical 06:00 today, open: breached
//   T7 AMER low, open since 3 Mar
//   T8 APAC high → handed to AMER 3 Mar 05:00, picked up 14:00 (seam idle 8 h) → resolved 16:00
function ticketEvents(): TicketEvent[] {
  const out: TicketEvent[] = [];
  const ticket = (id: string, created: string, body: Record<string, unknown>) => {
    let n = 0;
    const ev = (type: TicketEvent['type'], when: string, extra: Record<string, unknown> = {}) => {
      out.push({
        eventId: eventId('desk', 'ticket', id, String(n++)),
        schemaVersion: 1,
        source: 'desk',
        tenant: TENANT,
        ticketId: id,
        occurredAt: at(when),
        receivedAt: RECEIVED_AT,
        type,
        ...extra,
      } as TicketEvent);
      return h;
    };
    const h = {
      assign: (when: string, team: string, region: string, agent?: string) =>
        ev('ticket.assigned', when, { team, region, ...(agent ? { agent } : {}) }),
      comment: (when: string, team: string) => ev('ticket.commented', when, { visibility: 'public', team }),
      escalate: (when: string, kind: 'tier' | 'management') => ev('ticket.escalated', when, { kind }),
      resolve: (when: string) => ev('ticket.resolved', when),
      reopen: (when: string) => ev('ticket.reopened', when),
    };
    ev('ticket.created', created, body);
    return h;
  };
  const apac = { region: 'APAC', team: 'apac-l1' };
  const emea = { region: 'EMEA', team: 'emea-l1' };
  const amer = { region: 'AMER', team: 'amer-l1' };
  ticket('P1', '02-24T01:00', { ...apac, priority: 'high', customer: 'acme' })
    .comment('02-24T01:20', 'apac-l1')
    .resolve('02-24T05:00');
  ticket('P2', '02-25T09:00', { ...emea, priority: 'medium', customer: 'globex' })
    .escalate('02-25T10:00', 'tier')
    .resolve('02-26T10:00');
  ticket('P3', '02-26T14:00', { ...amer, priority: 'high', customer: 'initech' }).resolve('02-27T20:00');
  ticket('T1', '03-02T01:00', { ...apac, priority: 'high', customer: 'acme' })
    .assign('03-02T07:00', 'emea-l1', 'EMEA')
    .comment('03-02T09:00', 'emea-l1')
    .resolve('03-02T12:00')
    .reopen('03-03T10:00')
    .resolve('03-03T12:00');
  ticket('T2', '03-02T10:00', { ...emea, priority: 'medium', customer: 'globex' })
    .assign('03-02T17:00', 'amer-l1', 'AMER')
    .assign('03-02T19:00', 'amer-l1', 'AMER', 'amer-7')
    .assign('03-03T02:00', 'emea-l1', 'EMEA');
  ticket('T3', '03-04T02:00', { ...apac, priority: 'critical', customer: 'acme' })
    .escalate('03-04T03:00', 'management')
    .resolve('03-04T08:00');
  ticket('T4', '03-05T08:30', {
    region: 'APAC',
    team: 'apac-l2',
    priority: 'critical',
    customer: 'acme',
  }).comment('03-05T08:35', 'apac-l2');
  ticket('T5', '03-05T09:30', { ...amer, priority: 'critical', customer: 'initech' }).comment(
    '03-05T09:40',
    'amer-l1',
  );
  ticket('T6', '03-05T06:00', { ...emea, priority: 'critical', customer: 'globex' });
  ticket('T7', '03-03T15:00', { ...amer, priority: 'low', customer: 'initech' });
  ticket('T8', '03-03T03:00', { ...apac, priority: 'high', customer: 'acme' })
    .assign('03-03T05:00', 'amer-l1', 'AMER')
    .comment('03-03T14:00', 'amer-l1')
    .resolve('03-03T16:00');
  return out;
}

// J1 APAC fixed first time · J2 EMEA faulty part, fixed on the one visit · J3 AMER unfixed, revisit,
// fixed · J4 APAC open, blocked on access since 03:05 today · J5 APAC last week, fixed first time.
function fieldEvents(): FieldJobEvent[] {
  const out: FieldJobEvent[] = [];
  const job = (id: string, region: string, created: string) => {
    let n = 0;
    const ev = (type: FieldJobEvent['type'], when: string, extra: Record<string, unknown> = {}) => {
      out.push({
        eventId: eventId('fsm', 'job', id, String(n++)),
        schemaVersion: 1,
        source: 'fsm',
        tenant: TENANT,
        jobId: id,
        occurredAt: at(when),
        receivedAt: RECEIVED_AT,
        type,
        ...extra,
      } as FieldJobEvent);
      return ev;
    };
    ev('job.created', created, { site: `${region}-${id}`, region, customer: 'acme' });
    return ev;
  };
  const j1 = job('J1', 'APAC', '03-02T08:00');
  j1('job.dispatched', '03-02T08:10', { engineer: 'eng-1' });
  j1('job.on_site', '03-02T08:40');
  j1('job.completed', '03-02T10:40', { fixed: true });
  const j2 = job('J2', 'EMEA', '03-03T09:00');
  j2('job.dispatched', '03-03T09:30', { engineer: 'eng-2' });
  j2('job.on_site', '03-03T10:00');
  j2('job.parts_requested', '03-03T10:10', { part: 'disk' });
  j2('job.parts_arrived', '03-03T12:00', { part: 'disk', late: true });
  j2('job.parts_faulty', '03-03T12:05', { part: 'disk' });
  j2('job.parts_arrived', '03-03T14:00', { part: 'disk', late: false });
  j2('job.completed', '03-03T15:00', { fixed: true });
  const j3 = job('J3', 'AMER', '03-04T14:00');
  j3('job.dispatched', '03-04T14:30', { engineer: 'eng-3' });
  j3('job.on_site', '03-04T15:00');
  j3('job.completed', '03-04T16:00', { fixed: false });
  j3('job.revisit_required', '03-04T16:05');
  j3('job.on_site', '03-05T10:00');
  j3('job.completed', '03-05T11:00', { fixed: true });
  const j4 = job('J4', 'APAC', '03-05T02:00');
  j4('job.dispatched', '03-05T02:10', { engineer: 'eng-4' });
  j4('job.on_site', '03-05T03:00');
  j4('job.access_delayed', '03-05T03:05', { reason: 'cage locked' });
  const j5 = job('J5', 'APAC', '02-25T03:00');
  j5('job.dispatched', '02-25T03:30', { engineer: 'eng-1' });
  j5('job.on_site', '02-25T04:00');
  j5('job.completed', '02-25T05:00', { fixed: true });
  return out;
}

// Members joined 16 Feb (m2 on 3 Mar); a1, e1 and m1 work their region's business hours every
// weekday of the range.
function rosterEvents(): RosterEvent[] {
  const out: RosterEvent[] = [];
  const seq = new Map<string, number>();
  const base = (agentId: string, when: string) => {
    const n = seq.get(agentId) ?? 0;
    seq.set(agentId, n + 1);
    return {
      eventId: eventId('hr', 'agent', agentId, String(n)),
      schemaVersion: 1 as const,
      source: 'hr',
      tenant: TENANT,
      agentId,
      occurredAt: at(when),
      receivedAt: RECEIVED_AT,
    };
  };
  const join = (agentId: string, when: string, team: string, region: string, fte = 1) =>
    out.push({ ...base(agentId, when), type: 'roster.member_joined', team, region, role: 'engineer', fte });
  join('a1', '02-16T00:00', 'apac-l1', 'APAC');
  join('a2', '02-16T00:00', 'apac-l1', 'APAC');
  join('a3', '02-16T00:00', 'apac-l2', 'APAC', 0.5);
  join('e1', '02-16T00:00', 'emea-l1', 'EMEA');
  join('e2', '02-16T00:00', 'emea-l1', 'EMEA');
  join('m1', '02-16T00:00', 'amer-l1', 'AMER');
  join('m2', '03-03T00:00', 'amer-l1', 'AMER');
  const hours: Record<string, [string, string, string]> = {
    a1: ['APAC', '00:00', '10:00'],
    e1: ['EMEA', '08:00', '18:00'],
    m1: ['AMER', '13:00', '23:00'],
  };
  const days = ['02-23', '02-24', '02-25', '02-26', '02-27', '03-02', '03-03', '03-04', '03-05'];
  for (const [agentId, [region, start, end]] of Object.entries(hours)) {
    for (const d of days) {
      out.push({
        ...base(agentId, `${d}T${start}`),
        type: 'roster.shift',
        region,
        start: at(`${d}T${start}`),
        end: at(`${d}T${end}`),
      });
    }
  }
  return out;
}

// ---- what every panel returns ---------------------------------------------------------------------
// Declared by hand per dashboard and panel title; a panel without a declaration fails the test.

const expectedColumns: Record<string, Record<string, string[]>> = {
  'baton-delivery-health': {
    'Open backlog at the end of the range': ['region', 'backlog'],
    'Backlog by region': ['time', 'region', 'backlog'],
    'Backlog growth against headcount (7 days to the end of the range)': [
      'region',
      'backlog_start',
      'backlog_end',
      'backlog_growth',
      'headcount_start',
      'headcount_end',
      'headcount_growth',
      'load_end',
      'gap_pp',
    ],
    'Load: open tickets per rostered FTE': ['time', 'region', 'open_per_fte'],
    'SLA at risk now (warning or critical)': ['region', 'at_risk', 'breached_open'],
    'Resolution SLA breach rate': ['region', 'resolved', 'breached', 'breach_rate'],
    'Handover pickup latency p50 (business time)': [
      'region',
      'picked_up',
      'business_p50_seconds',
      'business_p90_seconds',
      'wall_p50_seconds',
    ],
    'Escalation rate': ['region', 'resolved', 'escalated_tickets', 'escalation_rate'],
    'Reopen rate': ['region', 'resolved', 'reopened', 'reopen_rate'],
    'Field first-time fix': ['region', 'completed', 'first_time_fix_rate'],
    'Oldest open tickets': [
      'tenant',
      'ticket_id',
      'customer',
      'region',
      'team',
      'priority',
      'created_at',
      'age_seconds',
      'handovers',
      'escalations',
      'reopens',
    ],
  },
  'baton-regional-weekly-review': {
    'Week over week: $region, week of $week': ['metric', 'this_week', 'last_week', 'delta', 'delta_ratio'],
    'Teams with the most SLA breaches': ['team', 'resolved', 'breached', 'breach_rate'],
    'Customers bringing the most tickets': [
      'customer',
      'created',
      'still_open',
      'escalated_tickets',
      'handovers_total',
    ],
    'Oldest open tickets at the week end': [
      'tenant',
      'ticket_id',
      'team',
      'priority',
      'created_at',
      'age_at_week_end_seconds',
    ],
    'Most handed-over tickets in the week': [
      'tenant',
      'ticket_id',
      'handovers_in_week',
      'ping_pong_in_week',
      'current_team',
    ],
  },
  'baton-handover': {
    'Pickup latency matrix: p50 business time (from region → to region)': [
      'from_region',
      'to_region',
      'business_p50_seconds',
    ],
    'Handovers by region pair': [
      'from_region',
      'to_region',
      'handovers_made',
      'picked_up',
      'ping_pong',
      'business_p50_seconds',
      'business_p90_seconds',
      'wall_p50_seconds',
    ],
    'Pending handovers at the end of the range': [
      'tenant',
      'ticket_id',
      'from_team',
      'from_region',
      'to_team',
      'to_region',
      'handed_over_at',
      'waiting_seconds',
    ],
    'Ping-pong handovers by receiving region': ['time', 'region', 'ping_pong'],
    'Seam idle share of pickup latency': [
      'region',
      'picked_up',
      'seam_idle_seconds',
      'wall_seconds',
      'seam_idle_share',
    ],
    'Inflow against on-shift agents by hour of the week (UTC)': [
      'region',
      'hour_of_week',
      'utc_hour',
      'inflow',
      'agent_hours',
      'inflow_per_agent_hour',
      'uncovered',
    ],
  },
  'baton-sla-risk': {
    'Open tickets by risk level': ['region', 'watch', 'warning', 'critical', 'breached'],
    'At-risk tickets, soonest due first': [
      'tenant',
      'ticket_id',
      'customer',
      'region',
      'team',
      'priority',
      'policy_id',
      'risk',
      'due_at',
      'state',
      'percent_consumed',
      'remaining_seconds',
      'as_of',
    ],
    'Resolution SLA breach rate': ['time', 'region', 'breach_rate'],
    'Breaches by region and priority': [
      'region',
      'priority',
      'resolved',
      'breached',
      'breach_rate',
      'response_breached',
    ],
    'SLA consumption by team': [
      'team',
      'region',
      'tickets',
      'breached_tickets',
      'consumed_seconds',
      'paused_seconds',
      'consumed_per_ticket_seconds',
    ],
  },
  'baton-field-execution': {
    'First-time fix': ['region', 'first_time_fix_rate'],
    'Field execution by region': [
      'region',
      'jobs',
      'dispatch_p50_seconds',
      'dispatch_p90_seconds',
      'arrival_p50_seconds',
      'arrival_p90_seconds',
      'access_delayed_share',
      'access_delay_seconds',
      'parts_delay_p50_seconds',
      'faulty_on_arrival_rate',
      'first_time_fix_rate',
      'revisit_rate',
    ],
    'Dispatch latency p50': ['time', 'region', 'dispatch_p50_seconds'],
    Revisits: ['time', 'region', 'revisit_count'],
    'Open jobs blocked on access or parts at the end of the range': [
      'tenant',
      'job_id',
      'ticket_id',
      'region',
      'site',
      'customer',
      'engineer',
      'block',
      'blocked_since',
      'blocked_seconds',
    ],
  },
  'baton-pipeline-health': {
    'Events in per source': ['time', 'stream', 'events'],
    'Freshness per source': [
      'family',
      'source',
      'events',
      'latest_received_at',
      'freshness_seconds',
      'latest_stored_at',
    ],
    'Ingest → store delay p95': ['time', 'family', 'p95_delay_seconds'],
    'Periodic jobs': ['job', 'tenant', 'covered_until', 'behind_seconds'],
    'Consumer lag now': ['consumer', 'lag'],
    'Consumer lag': ['time', 'consumer', 'lag'],
    'Dead letters per topic and reason': ['time', 'stream', 'dead_letters'],
    'Latest dead letters': ['dead_lettered_at', 'origin', 'family', 'reason', 'problems', 'raw_preview'],
  },
};

// The single column each variable query returns.
const expectedVariableColumns: Record<string, string> = {
  tenant: 'tenant',
  region: 'region',
  team: 'team',
  week: 'week',
};

// ---- the generated dashboards, as much of them as the test reads -----------------------------------

const targetSchema = z.object({
  refId: z.string(),
  rawSql: z.string(),
  format: z.union([z.literal(0), z.literal(1)]),
});
interface PanelJson {
  type: string;
  title?: string;
  interval?: string;
  targets?: z.infer<typeof targetSchema>[];
  panels?: PanelJson[];
}
const panelSchema: z.ZodType<PanelJson> = z.lazy(() =>
  z.object({
    type: z.string(),
    title: z.string().optional(),
    interval: z.string().optional(),
    targets: z.array(targetSchema).optional(),
    panels: z.array(panelSchema).optional(),
  }),
);
const variableSchema = z.object({
  type: z.string(),
  name: z.string(),
  query: z.unknown().optional(),
  multi: z.boolean().optional(),
  includeAll: z.boolean().optional(),
  sort: z.number().optional(),
  current: z.object({ value: z.union([z.string(), z.array(z.string())]) }).optional(),
});
const dashboardSchema = z.object({
  uid: z.string(),
  title: z.string(),
  templating: z.object({ list: z.array(variableSchema) }),
  panels: z.array(panelSchema),
});
type DashboardJson = z.infer<typeof dashboardSchema>;

const generatedDir = new URL('../../dashboards/generated/', import.meta.url);
const generated: DashboardJson[] = readdirSync(generatedDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => dashboardSchema.parse(JSON.parse(readFileSync(new URL(f, generatedDir), 'utf8'))));

function queryPanels(d: DashboardJson): PanelJson[] {
  const flat = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  return flat.filter((p) => (p.targets ?? []).length > 0);
}

/** Grafana's interval for a panel: at least its min interval; these ranges never need more. */
function intervalMs(panel: PanelJson): number {
  const m = /^(\d+)([smhd])$/.exec(panel.interval ?? '1h');
  if (!m) throw new Error(`unsupported panel interval ${panel.interval}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

// ---- the pipeline -------------------------------------------------------------------------------

let pipeline: TestPipeline;
let ch: ClickHouseClient;
const started = Date.now();
const tickets = ticketEvents();
const jobs = fieldEvents();
const roster = rosterEvents();

async function rows<T>(query: string): Promise<T[]> {
  const rs = await ch.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

beforeAll(async () => {
  pipeline = await startPipeline('dashq', {
    now: () => NOW,
    overrides: { BACKLOG_ROLLUP_INTERVAL_SECONDS: 1, SLA_SWEEP_INTERVAL_SECONDS: 1 },
  });
  ch = pipeline.ch;
  const all: CanonicalEvent[] = [...roster, ...tickets, ...jobs];
  await pipeline.sink.emit(all);
  // Two poison records on the ticket topic, for the dead-letter panels.
  const producer = await pipeline.bus.createProducer();
  await producer.send(topicName(pipeline.config, 'ticketEvents'), POISON);
  await producer.disconnect();
  // Ready when every entity has its derived row and the rollup has closed the hour before NOW
  // with the five tickets open then (T2, T4, T5, T6, T7).
  const expected = {
    facts: 11,
    sla: 11,
    jobs: 5,
    agents: 7,
    roster: roster.length,
    open_at_noon: 5,
    dead_letters: POISON.length,
  };
  const state = await eventually(
    async () => {
      const [r] = await rows<Record<keyof typeof expected, number | string>>(`
        SELECT
          (SELECT count() FROM ticket_facts FINAL) AS facts,
          (SELECT count() FROM ticket_sla FINAL) AS sla,
          (SELECT count() FROM field_job_facts FINAL) AS jobs,
          (SELECT count() FROM agent_membership FINAL) AS agents,
          (SELECT uniqExact(event_id) FROM roster_events) AS roster,
          (SELECT sum(backlog) FROM backlog_hourly FINAL WHERE hour = toDateTime('2026-03-05 11:00:00', 'UTC')) AS open_at_noon,
          (SELECT count() FROM dead_letters FINAL) AS dead_letters`);
      return Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, Number(v)]));
    },
    (r) => JSON.stringify(r) === JSON.stringify(expected),
    100_000,
    500,
  );
  expect(state).toEqual(expected);
  // A lag sample once every consumer group has committed all it stored: 6 + 6 + 3 partitions, none behind.
  const sample = await eventually(
    () => pipeline.transforms.pipelineStats.runOnce(),
    (s) => s.length === 15 && s.every((p) => p.lag === 0),
    60_000,
    500,
  );
  expect(sample.map((p) => p.lag)).toEqual(new Array(15).fill(0));
}, 150_000);

afterAll(async () => pipeline?.close());

// ---- running them -----------------------------------------------------------------------------

type Row = Record<string, unknown>;

async function run(sql: string): Promise<{ columns: string[]; data: Row[] }> {
  const rs = await ch.query({
    query: sql,
    format: 'JSON',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const body = (await rs.json()) as { meta: { name: string }[]; data: Row[] };
  return { columns: body.meta.map((m) => m.name), data: body.data };
}

const pick = (rows: Row[], keys: string[]): Row[] =>
  rows.map((r) => Object.fromEntries(keys.map((k) => [k, r[k]])));

// A few figures worked out by hand from the scenario, to show the panels compute what they say.
const spotChecks: Record<string, (rows: Row[]) => void> = {
  'baton-delivery-health / Open backlog at the end of the range': (rows) =>
    // T2, T6 (EMEA) · T4 (APAC) · T5, T7 (AMER)
    expect(rows).toEqual([
      { region: 'AMER', backlog: 2 },
      { region: 'APAC', backlog: 1 },
      { region: 'EMEA', backlog: 2 },
    ]),
  'baton-handover / Handovers by region pair': (rows) =>
    expect(
      pick(rows, [
        'from_region',
        'to_region',
        'handovers_made',
        'picked_up',
        'ping_pong',
        'business_p50_seconds',
        'wall_p50_seconds',
      ]),
    ).toEqual([
      // T2 back to EMEA 3 Mar 02:00: a ping-pong, still waiting
      {
        from_region: 'AMER',
        to_region: 'EMEA',
        handovers_made: 1,
        picked_up: 0,
        ping_pong: 1,
        business_p50_seconds: null,
        wall_p50_seconds: null,
      },
      // T8 05:00 → 14:00: 9 h wall, New York opens 13:00Z so 1 business hour
      {
        from_region: 'APAC',
        to_region: 'AMER',
        handovers_made: 1,
        picked_up: 1,
        ping_pong: 0,
        business_p50_seconds: 3600,
        wall_p50_seconds: 32400,
      },
      // T1 07:00 → 09:00: London opens 08:00
      {
        from_region: 'APAC',
        to_region: 'EMEA',
        handovers_made: 1,
        picked_up: 1,
        ping_pong: 0,
        business_p50_seconds: 3600,
        wall_p50_seconds: 7200,
      },
      // T2 17:00 → 19:00, inside New York's hours
      {
        from_region: 'EMEA',
        to_region: 'AMER',
        handovers_made: 1,
        picked_up: 1,
        ping_pong: 0,
        business_p50_seconds: 7200,
        wall_p50_seconds: 7200,
      },
    ]),
  'baton-handover / Pending handovers at the end of the range': (rows) =>
    // 3 Mar 02:00 → 5 Mar 12:00 = 58 h
    expect(pick(rows, ['ticket_id', 'to_region', 'waiting_seconds'])).toEqual([
      { ticket_id: 'T2', to_region: 'EMEA', waiting_seconds: 208800 },
    ]),
  'baton-handover / Seam idle share of pickup latency': (rows) =>
    // AMER: (32400 − 3600) + 0 of 32400 + 7200; EMEA: 3600 of 7200
    expect(pick(rows, ['region', 'seam_idle_seconds', 'wall_seconds'])).toEqual([
      { region: 'AMER', seam_idle_seconds: 28800, wall_seconds: 39600 },
      { region: 'EMEA', seam_idle_seconds: 3600, wall_seconds: 7200 },
    ]),
  'baton-handover / Inflow against on-shift agents by hour of the week (UTC)': (rows) =>
    // T6 came in at 06:00 before London's shift, T5 at 09:30 before New York's; the rest on shift.
    expect(
      pick(
        rows.filter((r) => r.uncovered === 1),
        ['region', 'utc_hour', 'inflow'],
      ),
    ).toEqual([
      { region: 'AMER', utc_hour: 'Thu 09:00 UTC', inflow: 1 },
      { region: 'EMEA', utc_hour: 'Thu 06:00 UTC', inflow: 1 },
    ]),
  'baton-sla-risk / At-risk tickets, soonest due first': (rows) =>
    expect(
      pick(
        rows.filter((r) => r.ticket_id === 'T4' || r.ticket_id === 'T5'),
        ['ticket_id', 'risk', 'percent_consumed'],
      ),
    ).toEqual([
      { ticket_id: 'T4', risk: 'warning', percent_consumed: 87.5 },
      { ticket_id: 'T5', risk: 'watch', percent_consumed: 62.5 },
    ]),
  'baton-pipeline-health / Consumer lag now': (rows) => {
    const group = pipeline.config.TRANSFORM_GROUP_ID;
    const topic = (key: 'ticketEvents' | 'fieldJobEvents' | 'rosterEvents') =>
      topicName(pipeline.config, key);
    expect(rows).toEqual([
      { consumer: `${group}.field · ${topic('fieldJobEvents')}`, lag: 0 },
      { consumer: `${group}.lifecycle · ${topic('ticketEvents')}`, lag: 0 },
      { consumer: `${group}.roster · ${topic('rosterEvents')}`, lag: 0 },
    ]);
  },
  'baton-pipeline-health / Dead letters per topic and reason': (rows) => {
    const topic = topicName(pipeline.config, 'ticketEvents');
    const perStream = new Map<string, number>();
    for (const r of rows)
      perStream.set(String(r.stream), (perStream.get(String(r.stream)) ?? 0) + Number(r.dead_letters));
    expect(Object.fromEntries(perStream)).toEqual({
      [`${topic} · invalid JSON`]: 1,
      [`${topic} · not a canonical ticket event v1`]: 1,
    });
  },
  'baton-pipeline-health / Latest dead letters': (rows) => {
    const topic = topicName(pipeline.config, 'ticketEvents');
    expect(rows).toHaveLength(2);
    for (const r of rows)
      expect(String(r.origin)).toMatch(new RegExp(`^${topic.replace(/\./g, '\\.')}/\\d+/\\d+$`));
    expect(rows.map((r) => [r.family, String(r.reason).split(':')[0], r.raw_preview]).sort()).toEqual([
      ['ticket', 'invalid JSON', '{not json'],
      ['ticket', 'not a canonical ticket event v1', '{"hello":"world"}'],
    ]);
  },
  'baton-field-execution / Open jobs blocked on access or parts at the end of the range': (rows) =>
    // J4 since 03:05 → 12:00
    expect(pick(rows, ['job_id', 'block', 'blocked_seconds'])).toEqual([
      { job_id: 'J4', block: 'access', blocked_seconds: 32100 },
    ]),
};

function timeRange(d: DashboardJson): { from: Date; to: Date } {
  // Pipeline health is about arrival and storage, which happened while this test ran.
  if (d.uid === 'baton-pipeline-health')
    return { from: new Date(started - 3_600_000), to: new Date(Date.now() + 60_000) };
  return RANGE;
}

/** Grafana's variable resolution on load: in order, each query run with the variables before it. */
async function resolveVariables(d: DashboardJson): Promise<Record<string, VariableState>> {
  const variables: Record<string, VariableState> = {};
  const range = timeRange(d);
  for (const v of d.templating.list) {
    if (v.type === 'textbox') {
      const value = typeof v.query === 'string' ? v.query : '';
      variables[v.name] = { current: [value], options: [value], multi: false };
      continue;
    }
    expect(v.type, `${d.uid} variable ${v.name}`).toBe('query');
    expect(typeof v.query, `${d.uid} variable ${v.name}: SQL text`).toBe('string');
    const ctx: ExpandContext = { ...range, intervalMs: 3_600_000, variables };
    const sql = expandPanelSql(String(v.query), ctx);
    const rs = await ch.query({ query: sql, format: 'JSON' });
    const body = (await rs.json()) as { meta: { name: string }[]; data: Record<string, unknown>[] };
    expect(
      body.meta.map((m) => m.name),
      `${d.uid} variable ${v.name}`,
    ).toEqual([expectedVariableColumns[v.name]]);
    const options = body.data.map((row) => String(Object.values(row)[0]));
    if (v.sort === 1) options.sort();
    if (v.sort === 2) options.sort().reverse();
    expect(options.length, `${d.uid} variable ${v.name} has options`).toBeGreaterThan(0);
    const current = v.current?.value;
    const isAll =
      v.includeAll === true && (current === ALL || (Array.isArray(current) && current[0] === ALL));
    variables[v.name] = {
      current: isAll ? [ALL] : [options[0] ?? ''],
      options,
      multi: v.multi === true,
    };
  }
  return variables;
}

describe('generated dashboards', () => {
  it('has a spot check for panels that exist', () => {
    const titles = new Set(generated.flatMap((d) => queryPanels(d).map((p) => `${d.uid} / ${p.title}`)));
    for (const key of Object.keys(spotChecks)) expect(titles, key).toContain(key);
  });

  it('declares the columns of every panel and nothing else', () => {
    const found = Object.fromEntries(
      generated.map((d) => [
        d.uid,
        queryPanels(d)
          .map((p) => p.title ?? '')
          .sort(),
      ]),
    );
    const declared = Object.fromEntries(
      Object.entries(expectedColumns).map(([uid, panels]) => [uid, Object.keys(panels).sort()]),
    );
    expect(found).toEqual(declared);
  });

  describe.each(generated.map((d) => [d.title, d] as const))('%s', (_title, dashboard) => {
    it('runs every variable and panel query with the declared columns and rows', async () => {
      const variables = await resolveVariables(dashboard);
      const expected = expectedColumns[dashboard.uid] ?? {};
      for (const panel of queryPanels(dashboard)) {
        for (const target of panel.targets ?? []) {
          const label = `${dashboard.uid} / ${panel.title} / ${target.refId}`;
          const sql = expandPanelSql(target.rawSql, {
            ...timeRange(dashboard),
            intervalMs: intervalMs(panel),
            variables,
          });
          const result = await run(sql).catch((err: unknown) => {
            throw new Error(`${label}: ${err instanceof Error ? err.message : String(err)}\n${sql}`);
          });
          expect(result.columns, label).toEqual(expected[panel.title ?? '']);
          // A time-series target must start with its time column, which the plugin pivots on.
          if (target.format === 0) expect(result.columns[0], label).toBe('time');
          expect(result.data.length, `${label}: rows`).toBeGreaterThan(0);
          spotChecks[`${dashboard.uid} / ${panel.title}`]?.(result.data);
        }
      }
    });

    it('runs them with one value picked in every multi-value variable (the conditional branch)', async () => {
      const resolved = await resolveVariables(dashboard);
      const variables = Object.fromEntries(
        Object.entries(resolved).map(([name, v]) => [
          name,
          v.current[0] === ALL ? { ...v, current: [v.options[0] ?? ''] } : v,
        ]),
      );
      const expected = expectedColumns[dashboard.uid] ?? {};
      for (const panel of queryPanels(dashboard)) {
        for (const target of panel.targets ?? []) {
          const label = `${dashboard.uid} / ${panel.title} / ${target.refId}`;
          const sql = expandPanelSql(target.rawSql, {
            ...timeRange(dashboard),
            intervalMs: intervalMs(panel),
            variables,
          });
          expect(sql, label).not.toContain('1=1');
          const result = await run(sql).catch((err: unknown) => {
            throw new Error(`${label}: ${err instanceof Error ? err.message : String(err)}\n${sql}`);
          });
          expect(result.columns, label).toEqual(expected[panel.title ?? '']);
        }
      }
    });
  });
});
