import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertTicketEvents, loadTicketHistories } from '../../transforms/lifecycle/sink.js';
import { type MigrationDatabase, migrationDatabase } from '../helpers/migration-database.js';
import { ticketHistories } from '../helpers/ticket-histories.js';

// 0030_ticket_events_granules.sql on a database that already holds ticket events: the table is
// rebuilt in granules of 1,024 rows and holds exactly the rows it held, and the leftover of an
// attempt that failed part-way (a half-filled copy) neither doubles nor replaces any of them.

let db: MigrationDatabase;

// Two tenants with the same ticket ids; ticket i has i % 3 + 1 events.
const events = ticketHistories(['north', 'south'], 40, (i) => (i % 3) + 1);

/** Every stored row, every column, in a fixed order. */
const storedRows = () =>
  db.compactRows(
    `SELECT event_id, tenant, ticket_id, type, source, toString(occurred_at), toString(received_at), payload,
       toString(stored_at) FROM ticket_events ORDER BY tenant, ticket_id, event_id`,
  );

beforeAll(async () => {
  db = await migrationDatabase('ticket_events_granules', 30);
  await insertTicketEvents(db.ch, events);
});
afterAll(async () => db?.drop());

it('rebuilds ticket_events in smaller granules with every row as it was, whatever a failed attempt left', async () => {
  const before = await storedRows();
  expect(before).toHaveLength(events.length);
  // A failed attempt's half-filled copy: rows the table holds, and one it never held.
  await db.ch.command({ query: 'CREATE TABLE ticket_events_rebuild AS ticket_events' });
  await db.ch.command({
    query:
      'INSERT INTO ticket_events_rebuild SELECT * FROM ticket_events ORDER BY tenant, ticket_id, event_id LIMIT 5',
  });
  await db.ch.command({
    query: `INSERT INTO ticket_events_rebuild SELECT * REPLACE ('STALE' AS ticket_id, 'test:stale' AS event_id)
      FROM ticket_events ORDER BY tenant, ticket_id, event_id LIMIT 1`,
  });

  expect((await db.migrateRest()).applied).toContain(30);

  expect(await storedRows()).toEqual(before);
  const [[settings]] = (await db.compactRows(
    `SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'ticket_events'`,
  )) as [[string]];
  expect(settings).toContain('index_granularity = 1024');
  expect(
    await db.compactRows(
      `SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'ticket_events_rebuild'`,
    ),
  ).toEqual([]);
  // What a transform reads back is each ticket's whole history, per tenant.
  const north = await loadTicketHistories(db.ch, 'north', ['T-2', 'T-4', 'T-39']);
  expect(new Map([...north].map(([id, h]) => [id, h.map((e) => e.eventId).sort()]))).toEqual(
    new Map([
      ['T-2', ['test:north:T-2:0', 'test:north:T-2:1', 'test:north:T-2:2']],
      ['T-4', ['test:north:T-4:0', 'test:north:T-4:1']],
      ['T-39', ['test:north:T-39:0']],
    ]),
  );
});
