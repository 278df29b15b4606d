import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertRules } from '../../core/alert-rules.js';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { eventId, type TicketEvent } from '../../core/events/index.js';
import type { EventProducer } from '../../core/kafka.js';
import { readQuery } from '../../core/queries.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { decideSlaRisk, observe, slaRowSchema } from '../../transforms/alerts/conditions.js';
import { HistoryTransform } from '../../transforms/history/transform.js';
import { ticketFamily, ticketProjections } from '../../transforms/lifecycle/family.js';
import { loadSlaSettings } from '../../transforms/sla/settings.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// The SLA-risk alert counts at-risk tickets per tenant and region inside ClickHouse instead of
// reading a row per open ticket. Open tickets of mixed priorities and ages are written by the
// transform's own projections; the counts must equal the per-ticket fold over sla-at-risk's rows
// (what the evaluator computed before) at every level, with and without predicted breaches.

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const tickets: [string, string, 'critical' | 'high' | 'medium' | 'low', number][] = [
  ['E1', 'EMEA', 'critical', 30],
  ['E2', 'EMEA', 'high', 2],
  ['E3', 'EMEA', 'low', 200],
  ['A1', 'APAC', 'critical', 1],
  ['A2', 'APAC', 'medium', 100],
];

const createdAgo = ([id, region, priority, hoursAgo]: (typeof tickets)[number]): TicketEvent => {
  const at = new Date(NOW - hoursAgo * 3_600_000).toISOString();
  return {
    eventId: eventId('desk', 'ticket', id, '0'),
    schemaVersion: 1,
    source: 'desk',
    tenant: 'risk',
    ticketId: id,
    occurredAt: at,
    receivedAt: at,
    type: 'ticket.created',
    customer: 'acme',
    region,
    priority,
  };
};

let config: Config;
let ch: ClickHouseClient;

beforeAll(async () => {
  config = isolatedConfig('slarisk');
  const logger = testLogger(config, 'slarisk');
  await migrateDatabase(config, logger);
  ch = createClickHouse(config);
  const transform = new HistoryTransform({
    family: ticketFamily,
    projections: ticketProjections(loadSlaSettings(config)),
    ch,
    deadLetters: {} as EventProducer,
    deadLetterTopic: 'dead-letter',
    logger,
    now: () => NOW,
  });
  await transform.handleBatch({
    topic: 'ticket-events',
    partition: 0,
    messages: tickets.map((t, i) => ({
      key: t[0],
      value: Buffer.from(JSON.stringify(createdAgo(t)), 'utf8'),
      offset: String(i),
      timestamp: '0',
      headers: {},
    })),
  });
});

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await ch?.close();
});

const surge = (params: Record<string, unknown>) =>
  parseAlertRules([
    { id: 'surge', kind: 'sla_risk_surge', params: { minTickets: 2, ...params } },
  ])[0] as Extract<ReturnType<typeof parseAlertRules>[number], { kind: 'sla_risk_surge' }>;

async function perTicketFold(rule: ReturnType<typeof surge>) {
  const rs = await ch.query({
    query: readQuery('sla-at-risk'),
    query_params: {
      tenant: '',
      region: '',
      team: '',
      priority: '',
      min_level: rule.params.includePredicted ? 'none' : rule.params.minLevel,
      min_history: rule.params.minHistory,
      as_of: new Date(NOW).toISOString().replace('T', ' ').replace('Z', ''),
    },
    format: 'JSONEachRow',
  });
  return decideSlaRisk(rule, slaRowSchema.array().parse(await rs.json()));
}

const byGroup = (obs: { group: Record<string, string> }[]) =>
  [...obs].sort((a, b) => `${a.group.region}`.localeCompare(`${b.group.region}`));

describe('sla_risk_surge counted in ClickHouse', () => {
  it('reads every open ticket when predictions count: a group per region with open tickets', async () => {
    const rule = surge({ minLevel: 'watch', includePredicted: true });
    const got = byGroup(await observe(ch, rule, NOW));
    expect(got.map((o) => o.group.region)).toEqual(['APAC', 'EMEA']);
    expect(got).toEqual(byGroup(await perTicketFold(rule)));
  });

  it('gives what the per-ticket fold gives at each level, with and without predictions', async () => {
    for (const minLevel of ['watch', 'warning', 'critical', 'breached']) {
      for (const includePredicted of [false, true]) {
        const rule = surge({ minLevel, includePredicted });
        expect(byGroup(await observe(ch, rule, NOW))).toEqual(byGroup(await perTicketFold(rule)));
      }
    }
  });
});
