import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { eventId, type TicketEvent } from '../../core/events/ticket.js';
import { createMessageBus, type EventProducer, type MessageBus } from '../../core/kafka.js';
import { readQuery } from '../../core/queries.js';
import { allTopics, topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { type RunningTransforms, startTransforms } from '../../transforms/main.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// SLA through the real pipeline: hand-made tickets → Kafka → lifecycle transform (SLA projection)
// → ticket_sla, then time passes on an injected clock and the sweep re-evaluates the open tickets
// without any new event. Every expected figure is worked out by hand below, with the demo
// policies and calendars (critical 4 h / 15 min on 24x7; high 8 h / 1 h and medium 3 business
// days (108 000 s) / 4 h in the owner's calendar; London 08:00-18:00 = UTC in March before the
// 29th; Singapore 08:00-18:00 SGT = 00:00-10:00Z).

const TENANT = 'sla';
const T0 = '2026-03-09T12:30:00Z'; // Monday
const T1 = '2026-03-09T13:30:00Z';
const T2 = '2026-03-09T14:45:00Z';

let config: Config;
let bus: MessageBus;
let producer: EventProducer;
let transforms: RunningTransforms;
let ch: ClickHouseClient;
let clock = Date.parse(T0);

beforeAll(async () => {
  config = isolatedConfig('sla', { SLA_SWEEP_INTERVAL_SECONDS: 1 });
  const logger = testLogger(config, 'sla');
  await migrateDatabase(config, logger);
  bus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  producer = await bus.createProducer();
  transforms = await startTransforms(config, logger, { now: () => clock });
  ch = createClickHouse(config);
});

afterAll(async () => {
  await transforms?.stop();
  await bus?.deleteTopics(allTopics(config).map((t) => t.name));
  await bus?.close();
  await ch?.close();
  const admin = createClickHouse(config, { database: null });
  await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await admin.close();
});

function ev(ticketId: string, seq: number, type: TicketEvent['type'], at: string, body = {}): TicketEvent {
  const iso = new Date(at).toISOString();
  return {
    eventId: eventId('hand', 'ticket', ticketId, String(seq)),
    schemaVersion: 1,
    source: 'hand',
    tenant: TENANT,
    ticketId,
    occurredAt: iso,
    receivedAt: iso,
    type,
    ...body,
  } as TicketEvent;
}

const created = (id: string, at: string, priority: string, region: string, team: string) =>
  ev(id, 0, 'ticket.created', at, { customer: 'acme', priority, region, team });
const reply = (id: string, seq: number, at: string, team: string) =>
  ev(id, seq, 'ticket.commented', at, { visibility: 'public', team });

const events: TicketEvent[] = [
  // C1: critical, 24x7. Response 10:15 → 10:20 = 300 s, met.
  created('C1', '2026-03-09T10:15:00Z', 'critical', 'EMEA', 'emea-l1'),
  reply('C1', 1, '2026-03-09T10:20:00Z', 'emea-l1'),
  // B1: medium, London calendar, created on a Friday, on hold (customer) for an hour, then open
  // over the weekend. Response Fri 14:00 → 15:00 = 3 600 s, met.
  created('B1', '2026-03-06T14:00:00Z', 'medium', 'EMEA', 'emea-l2'),
  reply('B1', 1, '2026-03-06T15:00:00Z', 'emea-l2'),
  ev('B1', 2, 'ticket.status_changed', '2026-03-06T16:00:00Z', { status: 'on_hold', holdReason: 'customer' }),
  ev('B1', 3, 'ticket.status_changed', '2026-03-06T17:00:00Z', { status: 'in_progress' }),
  // O1: high, owner mode, APAC (Singapore) then handed to EMEA (London). Response 06:00 → 06:30.
  created('O1', '2026-03-09T06:00:00Z', 'high', 'APAC', 'apac-l1'),
  reply('O1', 1, '2026-03-09T06:30:00Z', 'apac-l1'),
  ev('O1', 2, 'ticket.assigned', '2026-03-09T09:00:00Z', { team: 'emea-l1', region: 'EMEA' }),
  // History of emea-l1 / high: resolved a week earlier after 7, 9, 10 and 5 business hours (London,
  // Mon 2 Mar from 08:00Z). 9 h and 10 h breach the 8 h target (at 16:00Z). No reply: the
  // resolution notice is the response, after more than 1 h, so every response is breached.
  ...[
    ['H1', '2026-03-02T15:00:00Z'],
    ['H2', '2026-03-02T17:00:00Z'],
    ['H3', '2026-03-02T18:00:00Z'],
    ['H4', '2026-03-02T13:00:00Z'],
  ].flatMap(([id, resolvedAt]) => [
    created(id!, '2026-03-02T08:00:00Z', 'high', 'EMEA', 'emea-l1'),
    ev(id!, 1, 'ticket.resolved', resolvedAt!),
  ]),
];

const columns = `ticket_id, policy_id, calendar, region, team, priority, event_count, toString(as_of) AS as_of,
  risk, toString(due_at) AS due_at, stopped, met, breached, toString(breached_at) AS breached_at,
  res_target_seconds, res_elapsed_seconds, res_paused_seconds, res_remaining_seconds, res_percent,
  res_state, res_outcome, res_risk, resp_target_seconds, resp_elapsed_seconds, resp_outcome,
  team_name, team_region, team_elapsed_seconds, team_paused_seconds`;

type Row = Record<string, unknown>;

async function slaRows(): Promise<Record<string, Row>> {
  const rs = await ch.query({
    query: `SELECT ${columns} FROM ticket_sla FINAL WHERE tenant = {tenant:String} ORDER BY ticket_id`,
    query_params: { tenant: TENANT },
    format: 'JSONEachRow',
  });
  return Object.fromEntries((await rs.json<Row>()).map((r) => [r.ticket_id as string, r]));
}

const chTime = (iso: string) => toClickHouseTime(Date.parse(iso));

async function rowsAsOf(iso: string): Promise<Record<string, Row>> {
  return eventually(slaRows, (rows) => {
    const list = Object.values(rows);
    return list.length === 7 && list.every((r) => r.stopped === 1 || r.as_of === chTime(iso));
  });
}

describe('SLA in the pipeline', () => {
  it('stores hand-computed clocks, then re-evaluates open tickets as time passes', async () => {
    await emitTicketEvents(producer, topicName(config, 'ticketEvents'), events);
    const atT0 = await rowsAsOf(T0);

    // C1 at 12:30: 24x7, elapsed 10:15 → 12:30 = 8 100 s of 14 400 = 56.25 % → watch;
    // remaining 6 300 s → due 14:15Z.
    expect(atT0.C1).toMatchObject({
      policy_id: 'critical',
      calendar: '24x7',
      region: 'EMEA',
      team: 'emea-l1',
      event_count: 2,
      as_of: chTime(T0),
      risk: 'watch',
      due_at: chTime('2026-03-09T14:15:00Z'),
      stopped: 0,
      breached: 0,
      breached_at: null,
      res_target_seconds: 14_400,
      res_elapsed_seconds: 8_100,
      res_paused_seconds: 0,
      res_remaining_seconds: 6_300,
      res_percent: 56.25,
      res_state: 'running',
      res_outcome: 'pending',
      res_risk: 'watch',
      resp_target_seconds: 900,
      resp_elapsed_seconds: 300,
      resp_outcome: 'met',
      team_name: ['emea-l1'],
      team_elapsed_seconds: [8_100],
    });

    // B1 at Mon 12:30: Fri 14-16 running 2 h; 16-17 paused 1 h; Fri 17-18 running 1 h; weekend 0;
    // Mon 08:00-12:30 running 4.5 h → elapsed 7.5 h = 27 000 s (25 % of 108 000, risk none),
    // paused 3 600 s (wall time since creation is 70.5 h). Remaining 81 000 s = 22.5 h: Mon
    // 12:30-18:00 5.5 h, Tue 10 h, Wed 08:00 + 7 h → due Wed 11 Mar 15:00Z.
    expect(atT0.B1).toMatchObject({
      policy_id: 'medium',
      calendar: 'owner',
      team: 'emea-l2',
      event_count: 4,
      risk: 'none',
      due_at: chTime('2026-03-11T15:00:00Z'),
      stopped: 0,
      res_target_seconds: 108_000,
      res_elapsed_seconds: 27_000,
      res_paused_seconds: 3_600,
      res_remaining_seconds: 81_000,
      res_percent: 25,
      res_state: 'running',
      res_risk: 'none',
      resp_target_seconds: 14_400,
      resp_elapsed_seconds: 3_600,
      resp_outcome: 'met',
      team_name: ['emea-l2'],
      team_region: ['EMEA'],
      team_elapsed_seconds: [27_000],
      team_paused_seconds: [3_600],
    });

    // O1 at 12:30: APAC 06:00-09:00Z = 14:00-17:00 SGT, 3 h = 10 800 s (apac-l1); EMEA
    // 09:00-12:30 London, 3.5 h = 12 600 s (emea-l1); 23 400 of 28 800 = 81.25 % → warning;
    // remaining 5 400 s in London → due 14:00Z.
    expect(atT0.O1).toMatchObject({
      policy_id: 'high',
      calendar: 'owner',
      region: 'EMEA',
      team: 'emea-l1',
      risk: 'warning',
      due_at: chTime('2026-03-09T14:00:00Z'),
      res_elapsed_seconds: 23_400,
      res_remaining_seconds: 5_400,
      res_percent: 81.25,
      res_risk: 'warning',
      resp_elapsed_seconds: 1_800,
      resp_outcome: 'met',
      team_name: ['apac-l1', 'emea-l1'],
      team_region: ['APAC', 'EMEA'],
      team_elapsed_seconds: [10_800, 12_600],
      team_paused_seconds: [0, 0],
    });

    // H2: resolved after 9 h, breached when 8 h had passed (Mon 2 Mar 16:00Z).
    expect(atT0.H2).toMatchObject({
      stopped: 1,
      met: 0,
      breached: 1,
      breached_at: chTime('2026-03-02T16:00:00Z'),
      risk: 'breached',
      res_elapsed_seconds: 32_400,
      res_outcome: 'breached',
      resp_outcome: 'breached',
    });
    expect(atT0.H1).toMatchObject({
      stopped: 1,
      met: 1,
      breached: 0,
      risk: 'none',
      res_elapsed_seconds: 25_200,
    });

    // At-risk list at T0, level ≥ watch: O1 (due 14:00) before C1 (due 14:15); B1 is below watch.
    // O1's predicted breach: emea-l1/high tickets resolved in the 28 days before T0 that ran longer
    // than O1's 23 400 s: H1 25 200, H2 32 400, H3 36 000 (H4's 18 000 is shorter) → residuals
    // 1 800, 9 000, 12 600 → median 9 000 > remaining 5 400 → predicted. C1's team has no
    // critical history → no expectation, no prediction.
    const atRisk = await query('sla-at-risk', {
      as_of: chTime(T0),
      min_level: 'watch',
      min_history: 3,
      tenant: TENANT,
      region: '',
      team: '',
      priority: '',
    });
    expect(
      atRisk.map((r) => [r.ticket_id, r.risk, r.due_at, r.expected_remaining_seconds, r.predicted_breach]),
    ).toEqual([
      ['O1', 'warning', chTime('2026-03-09T14:00:00Z'), 9_000, 1],
      ['C1', 'watch', chTime('2026-03-09T14:15:00Z'), null, 0],
    ]);
    const highOnly = await query('sla-at-risk', {
      as_of: chTime(T0),
      min_level: 'none',
      min_history: 3,
      tenant: TENANT,
      region: 'EMEA',
      team: '',
      priority: 'medium',
    });
    expect(highOnly.map((r) => r.ticket_id)).toEqual(['B1']);

    // Summary of 2 Mar: EMEA/high resolved 4 (H1-H4), breached 2 (H2, H3) → 50 %; all 4 responses
    // breached. Team consumption: emea-l1 held all 4: 25 200 + 32 400 + 36 000 + 18 000 = 111 600 s.
    const window = {
      from: chTime('2026-03-02T00:00:00Z'),
      to: chTime('2026-03-03T00:00:00Z'),
      tenant: TENANT,
    };
    expect(await query('sla-summary', { ...window, region: '' })).toEqual([
      { region: 'EMEA', priority: 'high', resolved: 4, breached: 2, breach_rate: 0.5, response_breached: 4 },
    ]);
    expect(await query('sla-team-consumption', window)).toEqual([
      {
        team: 'emea-l1',
        region: 'EMEA',
        tickets: 4,
        breached_tickets: 2,
        elapsed_seconds: 111_600,
        paused_seconds: 0,
      },
    ]);

    // One hour later, no new event; the sweep re-evaluates. C1: 3 h 15 = 11 700 s = 81.25 % →
    // warning. O1: 23 400 + 3 600 = 27 000 s = 93.75 % → critical. B1: + 1 h = 30 600 s.
    clock = Date.parse(T1);
    const atT1 = await rowsAsOf(T1);
    expect(atT1.C1).toMatchObject({
      risk: 'warning',
      res_elapsed_seconds: 11_700,
      res_remaining_seconds: 2_700,
    });
    expect(atT1.O1).toMatchObject({ risk: 'critical', res_elapsed_seconds: 27_000 });
    expect(atT1.B1).toMatchObject({ risk: 'none', res_elapsed_seconds: 30_600 });
    expect(atT1.H1).toMatchObject({ as_of: chTime(T0) }); // stopped tickets are not swept

    // At 14:45: C1 4.5 h = 16 200 s > 14 400 → breached at 10:15 + 4 h = 14:15Z; O1 breached at
    // 14:00Z (elapsed 27 000 + 4 500 = 31 500 s). Both stay open, so the due time is the missed one.
    clock = Date.parse(T2);
    const atT2 = await rowsAsOf(T2);
    expect(atT2.C1).toMatchObject({
      risk: 'breached',
      breached: 1,
      stopped: 0,
      breached_at: chTime('2026-03-09T14:15:00Z'),
      due_at: chTime('2026-03-09T14:15:00Z'),
      res_elapsed_seconds: 16_200,
      res_remaining_seconds: 0,
      res_percent: 112.5,
    });
    expect(atT2.O1).toMatchObject({
      risk: 'breached',
      breached_at: chTime('2026-03-09T14:00:00Z'),
      res_elapsed_seconds: 31_500,
    });

    // A stale evaluation arriving late (C1 without its reply, so a shorter history, computed at a
    // later instant) does not replace the newer history's row.
    await ch.insert({
      table: 'ticket_sla',
      format: 'JSONEachRow',
      values: [
        {
          tenant: TENANT,
          ticket_id: 'C1',
          version: String(1n * 2n ** 32n + BigInt(Date.parse(T2) / 1000 + 3600)),
          event_count: 1,
          risk: 'none',
        },
      ],
    });
    const afterStale = await slaRows();
    expect(afterStale.C1).toMatchObject({ event_count: 2, risk: 'breached', as_of: chTime(T2) });
  });
});

async function query(name: string, params: Record<string, unknown>): Promise<Row[]> {
  const rs = await ch.query({ query: readQuery(name), query_params: params, format: 'JSONEachRow' });
  return rs.json<Row>();
}
