import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { eventId, type TicketEvent } from '../../core/events/index.js';
import type { EventProducer, IncomingMessage, PartitionBatch } from '../../core/kafka.js';
import { tables } from '../../core/tables.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { entryBytes } from '../../transforms/history/history-cache.js';
import { type EntityFamily, HistoryTransform } from '../../transforms/history/transform.js';
import { ticketFamily, ticketProjections } from '../../transforms/lifecycle/family.js';
import { loadSlaSettings } from '../../transforms/sla/settings.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// The history cache bounded by bytes, against the real ClickHouse: three tickets get three events
// each, one batch per step. One transform has room for one single-event history only: after the
// first batch it keeps the last ticket (T3) and must read T1 and T2 back; two-event histories do
// not fit at all, so the third batch reads all three back. Another transform keeps everything.
// Both must write the very same rows.

const TENANT = 'hcache';
const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const tickets = ['T1', 'T2', 'T3'];

const created = (t: string): TicketEvent => ({
  eventId: eventId('desk', 'ticket', t, '0'),
  schemaVersion: 1,
  source: 'desk',
  tenant: TENANT,
  ticketId: t,
  occurredAt: '2026-11-30T09:00:00.000Z',
  receivedAt: '2026-11-30T09:00:01.000Z',
  type: 'ticket.created',
  customer: 'acme',
  region: 'EMEA',
  priority: 'high',
});
const assigned = (t: string): TicketEvent => ({
  eventId: eventId('desk', 'ticket', t, '1'),
  schemaVersion: 1,
  source: 'desk',
  tenant: TENANT,
  ticketId: t,
  occurredAt: '2026-11-30T09:10:00.000Z',
  receivedAt: '2026-11-30T09:10:01.000Z',
  type: 'ticket.assigned',
  team: 'emea-l2',
  region: 'EMEA',
});
const resolved = (t: string): TicketEvent => ({
  eventId: eventId('desk', 'ticket', t, '2'),
  schemaVersion: 1,
  source: 'desk',
  tenant: TENANT,
  ticketId: t,
  occurredAt: '2026-11-30T10:00:00.000Z',
  receivedAt: '2026-11-30T10:00:01.000Z',
  type: 'ticket.status_changed',
  status: 'resolved',
});
const steps = [created, assigned, resolved];

const batchOf = (events: TicketEvent[], firstOffset: number): PartitionBatch => ({
  topic: 'ticket-events',
  partition: 0,
  messages: events.map(
    (e, i): IncomingMessage => ({
      key: e.ticketId,
      value: Buffer.from(JSON.stringify(e), 'utf8'),
      offset: String(firstOffset + i),
      timestamp: '0',
      headers: {},
    }),
  ),
});

const noDeadLetters: EventProducer = {
  send: async () => {
    throw new Error('no dead letters expected');
  },
  disconnect: async () => undefined,
};

interface Side {
  config: Config;
  ch: ClickHouseClient;
  /** The ids read back from ClickHouse, per batch. */
  loads: string[][];
  transform: HistoryTransform<TicketEvent>;
}

async function side(label: string, cacheMaxBytes: number): Promise<Side> {
  const config = isolatedConfig(label);
  const logger = testLogger(config, label);
  await migrateDatabase(config, logger);
  const ch = createClickHouse(config);
  const loads: string[][] = [];
  const family: EntityFamily<TicketEvent> = {
    ...ticketFamily,
    loadHistories: async (client, tenant, ids) => {
      loads[loads.length - 1]!.push(...ids);
      return ticketFamily.loadHistories(client, tenant, ids);
    },
  };
  const transform = new HistoryTransform({
    family,
    projections: ticketProjections(loadSlaSettings(config)),
    ch,
    deadLetters: noDeadLetters,
    deadLetterTopic: 'dead-letter',
    logger,
    cacheMaxBytes,
    now: () => NOW,
  });
  return { config, ch, loads, transform };
}

async function rowsOf(s: Side, table: string): Promise<unknown[]> {
  const rs = await s.ch.query({
    query: `SELECT * FROM ${table} FINAL ORDER BY tenant, ticket_id`,
    format: 'JSONEachRow',
  });
  // stored_at is the server's clock at insert time, not derived from the history.
  return (await rs.json<Record<string, unknown>>()).map(({ stored_at: _, ...row }) => row);
}

let tight: Side;
let roomy: Side;

beforeAll(async () => {
  const oneEventHistory = entryBytes(`${TENANT}\u0000T1`, JSON.stringify([created('T1')]));
  tight = await side('hcache_tight', Math.round(oneEventHistory * 1.5));
  roomy = await side('hcache_roomy', 64 * 1024 * 1024);
});

afterAll(async () => {
  for (const s of [tight, roomy]) {
    await s?.ch.command({ query: `DROP DATABASE IF EXISTS ${s.config.CLICKHOUSE_DATABASE}` });
    await s?.ch.close();
  }
});

describe('history cache bounded by bytes', () => {
  it('evicts beyond its bytes, reads evicted histories back and writes the same rows', async () => {
    for (const [i, step] of steps.entries()) {
      for (const s of [tight, roomy]) {
        s.loads.push([]);
        const result = await s.transform.handleBatch(batchOf(tickets.map(step), i * 10));
        expect(result).toMatchObject({ events: 3, deadLettered: 0, entitiesUpdated: 3 });
      }
    }
    // First batch: nothing cached anywhere, so all three are looked up.
    expect(tight.loads).toEqual([tickets, ['T1', 'T2'], tickets]);
    expect(roomy.loads).toEqual([tickets, [], []]);
    expect(tight.transform.cacheUsage().entities).toBe(0);
    expect(roomy.transform.cacheUsage().entities).toBe(3);

    const lifecycle = (await rowsOf(tight, tables.ticketLifecycle)) as {
      ticket_id: string;
      version: unknown;
    }[];
    expect(lifecycle.map((r) => [r.ticket_id, Number(r.version)])).toEqual(tickets.map((t) => [t, 3]));
    for (const table of [tables.ticketLifecycle, tables.ticketFacts, tables.ticketSla]) {
      const rows = await rowsOf(tight, table);
      expect(rows).toHaveLength(3);
      expect(rows).toEqual(await rowsOf(roomy, table));
    }
  });
});
