import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import { allTopics, topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { type RunningTransforms, startTransforms } from '../../transforms/main.js';
import { replayTickets } from '../../transforms/replay.js';
import { loadSlaSettings } from '../../transforms/sla/settings.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// `baton replay` after a definition change: the derived table is made wrong on purpose (emptied,
// and one ticket's row replaced by what an older definition might have written), then the
// replay must leave it exactly as the clean run had it, and a second replay must change nothing.

let config: Config;
let bus: MessageBus;
let transforms: RunningTransforms;

beforeAll(async () => {
  config = isolatedConfig('replay');
  const logger = testLogger(config, 'replay');
  await migrateDatabase(config, logger);
  bus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  transforms = await startTransforms(config, logger);
});

afterAll(async () => {
  await transforms?.stop();
  await bus?.deleteTopics(allTopics(config).map((t) => t.name));
  await bus?.close();
  const admin = createClickHouse(config, { database: null });
  await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await admin.close();
});

describe('replay', () => {
  it('rebuilds the lifecycle table exactly as a clean run left it', async () => {
    const from = Date.parse('2026-04-06T00:00:00Z');
    const to = from + 24 * 3_600_000;
    const events = ticketsCreatedBetween({ seed: 11, tenant: 'replay' }, from, to);
    const tickets = new Set(events.map((e) => e.ticketId)).size;
    const producer = await bus.createProducer();
    await emitTicketEvents(producer, topicName(config, 'ticketEvents'), events);

    const ch = createClickHouse(config);
    const snapshot = async () => {
      const rs = await ch.query({
        query:
          'SELECT ticket_id, version, iv_region, iv_opened_at, iv_closed_at, iv_close_kind FROM ticket_lifecycle FINAL ORDER BY ticket_id',
        format: 'JSONEachRow',
      });
      return rs.json<Record<string, unknown>>();
    };
    const clean = await eventually(snapshot, (rows) => rows.length === tickets);
    expect(clean).toHaveLength(tickets);
    await transforms.stop(); // nothing else writes while the table is broken and rebuilt

    await ch.command({ query: 'TRUNCATE TABLE ticket_lifecycle' });
    const first = clean[0]!;
    await ch.insert({
      table: 'ticket_lifecycle',
      format: 'JSONEachRow',
      values: [
        {
          tenant: 'replay',
          ticket_id: first.ticket_id,
          version: first.version,
          created_at: '2026-04-06 00:00:00',
        },
      ],
    });
    expect(await snapshot()).not.toEqual(clean);

    const logger = testLogger(config, 'replay');
    const settings = loadSlaSettings(config);
    const range = { from: new Date(from), to: new Date(to + 30 * 86_400_000), tenant: 'replay' };
    await ch.command({ query: 'TRUNCATE TABLE backlog_dirty' });
    const result = await replayTickets(ch, settings, range, logger, { pageSize: 50 });
    expect(result.entities).toBe(tickets);
    expect(await snapshot()).toEqual(clean);
    // The rollup is told to recompute from the earliest replayed event's hour on.
    const earliest = Math.min(...events.map((e) => Date.parse(e.occurredAt)));
    const markers = await (
      await ch.query({
        query: "SELECT min(from_hour) AS h FROM backlog_dirty WHERE tenant = 'replay'",
        format: 'JSONEachRow',
      })
    ).json<{ h: string }>();
    expect(markers[0]?.h).toBe(
      new Date(Math.floor(earliest / 3_600_000) * 3_600_000).toISOString().slice(0, 19).replace('T', ' '),
    );

    await replayTickets(ch, settings, range, logger, { pageSize: 50 });
    expect(await snapshot()).toEqual(clean);
    await ch.close();
  });
});
