import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import { seededRandom } from '../../core/random.js';
import { allTopics, topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// Exactly-once under crashes: the transform process is SIGKILLed at random moments of a run and
// restarted; its tables must end equal, row for row, to those of an uninterrupted run over the same
// events. Runs the built CLI (`npm test` builds first) as real child processes.

const cli = fileURLToPath(new URL('../../dist/bin/baton.js', import.meta.url));
// Tables compared row for row, without the column that records when a row was written. (ticket_sla
// is evaluated as of the processing time, so two runs differ in it by design.)
const compared: Record<string, string> = {
  ticket_events: 'SELECT * EXCEPT (stored_at) FROM ticket_events FINAL ORDER BY tenant, ticket_id, event_id',
  ticket_lifecycle: 'SELECT * EXCEPT (stored_at) FROM ticket_lifecycle FINAL ORDER BY tenant, ticket_id',
  ticket_facts: 'SELECT * EXCEPT (stored_at) FROM ticket_facts FINAL ORDER BY tenant, ticket_id',
};

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function startTransformProcess(config: Config, fetchMaxBytes = 1_048_576): ChildProcess {
  const child = spawn(process.execPath, [cli, 'transforms'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: config.KAFKA_TOPIC_PREFIX,
      CLICKHOUSE_URL: config.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: config.CLICKHOUSE_DATABASE,
      TRANSFORM_GROUP_ID: config.TRANSFORM_GROUP_ID,
      TRANSFORM_FETCH_MAX_BYTES: String(fetchMaxBytes),
      // A killed member's partitions move to its successor after this (the broker's minimum).
      TRANSFORM_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanups.push(async () => child.kill('SIGKILL'));
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );

async function pipeline(label: string) {
  const config = isolatedConfig(label);
  const logger = testLogger(config, label);
  await migrateDatabase(config, logger);
  const bus: MessageBus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  const ch = createClickHouse(config);
  cleanups.push(async () => {
    await bus.deleteTopics(allTopics(config).map((t) => t.name));
    await bus.close();
    await ch.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
    await ch.close();
  });
  return { config, bus, ch };
}

async function tablesOf(ch: ReturnType<typeof createClickHouse>) {
  const out: Record<string, unknown[]> = {};
  for (const [table, query] of Object.entries(compared)) {
    out[table] = await (await ch.query({ query, format: 'JSONEachRow' })).json();
  }
  return out;
}

async function committedAll(bus: MessageBus, config: Config): Promise<boolean> {
  const topic = topicName(config, 'ticketEvents');
  const committed = await bus.committedOffsets(`${config.TRANSFORM_GROUP_ID}.lifecycle`, topic);
  return [...committed.values()].every((o) => o !== '-1') && committed.size > 0;
}

describe('transform crashes', () => {
  it('SIGKILL at random points, restarted each time, ends equal to an uninterrupted run', async () => {
    const from = Date.parse('2026-05-04T00:00:00Z');
    const events = ticketsCreatedBetween({ seed: 23, tenant: 'crash' }, from, from + 3 * 86_400_000);
    const tickets = new Set(events.map((e) => e.ticketId)).size;
    expect(events.length).toBeGreaterThan(3_000);

    const clean = await pipeline('crash_clean');
    const crashed = await pipeline('crash_killed');
    for (const p of [clean, crashed]) {
      const producer = await p.bus.createProducer();
      // Small chunks: many batches, so a kill lands between and inside them.
      await emitTicketEvents(producer, topicName(p.config, 'ticketEvents'), events, 200);
      await producer.disconnect();
    }

    // The uninterrupted run.
    const cleanProcess = startTransformProcess(clean.config);
    const storedEvents = async (ch: ReturnType<typeof createClickHouse>) =>
      (
        await (
          await ch.query({ query: 'SELECT count() AS n FROM ticket_events FINAL', format: 'JSONEachRow' })
        ).json<{ n: number }>()
      )[0]!.n;
    await eventually(
      () => storedEvents(clean.ch),
      (n) => n === events.length,
      120_000,
      200,
    );
    await eventually(
      () => committedAll(clean.bus, clean.config),
      (ok) => ok,
      60_000,
      200,
    );
    cleanProcess.kill('SIGTERM');
    await exited(cleanProcess);
    const expected = await tablesOf(clean.ch);
    expect(expected.ticket_lifecycle).toHaveLength(tickets);

    // The same events, killed five times while it works: each kill waits for a seeded share of the
    // events to be stored (a different point of the run each time), then SIGKILLs at once.
    const rnd = seededRandom(5);
    const kills: number[] = [];
    for (let i = 0; i < 5; i++) {
      // Small fetches make many small batches, so kills land between and inside them.
      const child = startTransformProcess(crashed.config, 24_576);
      const target = Math.floor(events.length * (0.08 + 0.16 * i + rnd() * 0.08));
      await eventually(
        () => storedEvents(crashed.ch),
        (n) => n >= target,
        60_000,
        20,
      );
      child.kill('SIGKILL');
      await exited(child);
      kills.push(await storedEvents(crashed.ch));
    }
    // Kills must have landed mid-run for the test to mean anything.
    expect(
      kills.every((n) => n < events.length),
      `events stored at each kill: ${kills.join(', ')} of ${events.length}`,
    ).toBe(true);
    const last = startTransformProcess(crashed.config, 24_576);
    await eventually(
      () => storedEvents(crashed.ch),
      (n) => n === events.length,
      120_000,
      200,
    );
    await eventually(
      () => committedAll(crashed.bus, crashed.config),
      (ok) => ok,
      60_000,
      500,
    );
    last.kill('SIGTERM');
    await exited(last);

    expect(await tablesOf(crashed.ch)).toEqual(expected);
  }, 300_000);
});
