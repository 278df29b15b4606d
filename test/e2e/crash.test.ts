import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** True when the group's committed offsets reach the end of every partition: nothing left behind. */
async function committedAll(bus: MessageBus, config: Config): Promise<boolean> {
  const topic = topicName(config, 'ticketEvents');
  const [committed, ends] = await Promise.all([
    bus.committedOffsets(`${config.TRANSFORM_GROUP_ID}.lifecycle`, topic),
    bus.endOffsets(topic),
  ]);
  return [...ends].every(([partition, end]) => committed.get(partition) === end);
}

const storedEvents = async (ch: ReturnType<typeof createClickHouse>) =>
  (
    await (
      await ch.query({ query: 'SELECT count() AS n FROM ticket_events FINAL', format: 'JSONEachRow' })
    ).json<{
      n: number;
    }>()
  )[0]!.n;

type Pipeline = Awaited<ReturnType<typeof pipeline>>;

/** Waits until every event is stored and every offset committed, then stops the processes. */
async function finish(p: Pipeline, total: number, children: ChildProcess[]) {
  await eventually(
    () => storedEvents(p.ch),
    (n) => n === total,
    120_000,
    200,
  );
  await eventually(
    () => committedAll(p.bus, p.config),
    (ok) => ok,
    60_000,
    200,
  );
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map(exited));
}

const from = Date.parse('2026-05-04T00:00:00Z');
const events = ticketsCreatedBetween({ seed: 23, tenant: 'crash' }, from, from + 3 * 86_400_000);
const tickets = new Set(events.map((e) => e.ticketId)).size;

async function loadedPipeline(label: string): Promise<Pipeline> {
  const p = await pipeline(label);
  const producer = await p.bus.createProducer();
  await emitTicketEvents(producer, topicName(p.config, 'ticketEvents'), events, 200);
  await producer.disconnect();
  return p;
}

describe('transform crashes', () => {
  let expected: Record<string, unknown[]>;

  beforeAll(async () => {
    expect(events.length).toBeGreaterThan(3_000);
    // The uninterrupted run, the reference for the others.
    const clean = await loadedPipeline('crash_clean');
    await finish(clean, events.length, [startTransformProcess(clean.config)]);
    expected = await tablesOf(clean.ch);
    expect(expected.ticket_lifecycle).toHaveLength(tickets);
  }, 180_000);

  it('SIGKILL at five points of a run, restarted each time, ends equal to an uninterrupted run', async () => {
    const crashed = await loadedPipeline('crash_killed');
    // Each kill waits for a seeded share of the events to be stored (a different point of the run
    // each time), then SIGKILLs at once. Small fetches make many small batches.
    const rnd = seededRandom(5);
    const kills: number[] = [];
    for (let i = 0; i < 5; i++) {
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
    await finish(crashed, events.length, [startTransformProcess(crashed.config, 24_576)]);
    expect(await tablesOf(crashed.ch)).toEqual(expected);
  }, 300_000);

  it('two instances in one group, one SIGKILLed mid-run, end equal to one uninterrupted instance', async () => {
    const pair = await loadedPipeline('crash_pair');
    const first = startTransformProcess(pair.config, 24_576);
    const second = startTransformProcess(pair.config, 24_576);
    await eventually(
      () => storedEvents(pair.ch),
      (n) => n >= events.length * 0.4,
      60_000,
      20,
    );
    second.kill('SIGKILL');
    await exited(second);
    const atKill = await storedEvents(pair.ch);
    expect(atKill, `events stored when the second instance died: ${atKill}`).toBeLessThan(events.length);
    await finish(pair, events.length, [first]);
    expect(await tablesOf(pair.ch)).toEqual(expected);
  }, 300_000);
});
