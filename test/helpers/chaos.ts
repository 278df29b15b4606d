import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import { allTopics, topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { eventually, isolatedConfig, testLogger } from './services.js';

// Shared by the fault-injection suite (test/chaos) and the crash test: Baton's built CLI run as
// real child processes, a ledger of what was acknowledged against what ClickHouse holds, a watch
// on committed offsets, and the metric tables compared with those of a clean run.

export const cli = fileURLToPath(new URL('../../dist/bin/baton.js', import.meta.url));

/** BATON_CHAOS_LONG=1 runs the longer fault scenarios (more seeds, longer outages). */
export const chaosLong = process.env.BATON_CHAOS_LONG === '1';

export type Cleanup = () => Promise<unknown>;

/** Cleanups run in reverse order of registration, each failure ignored. */
export function cleanupList(): { add(c: Cleanup): void; run(): Promise<void> } {
  const list: Cleanup[] = [];
  return {
    add: (c) => list.push(c),
    async run() {
      for (const c of list.splice(0).reverse()) await c().catch(() => undefined);
    },
  };
}

/** The environment of a Baton child process that uses this configuration's topics and database. */
export function childEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: config.KAFKA_TOPIC_PREFIX,
    CLICKHOUSE_URL: config.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: config.CLICKHOUSE_DATABASE,
    TRANSFORM_GROUP_ID: config.TRANSFORM_GROUP_ID,
    // A killed member's partitions move to its successor after this (the broker's minimum).
    TRANSFORM_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'error',
    ...extra,
  };
}

export interface BatonChild {
  process: ChildProcess;
  /** The last lines the process wrote (its JSON logs), for a failing assertion's message. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

export function spawnBaton(
  command: 'transforms' | 'ingest' | 'api',
  env: NodeJS.ProcessEnv,
  cleanups?: { add(c: Cleanup): void },
): BatonChild {
  const child = spawn(process.execPath, [cli, command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );
  cleanups?.add(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  return { process: child, output: () => lines.join('\n'), exited };
}

export const isAlive = (c: BatonChild) => c.process.exitCode === null && c.process.signalCode === null;

export async function kill(c: BatonChild, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  c.process.kill(signal);
  await c.exited;
}

export interface ChaosPipeline {
  config: Config;
  bus: MessageBus;
  ch: ClickHouseClient;
}

/** Topics, consumer groups and a migrated database of the test's own, dropped by the cleanups. */
export async function chaosPipeline(
  label: string,
  cleanups: { add(c: Cleanup): void },
  overrides: Partial<Config> = {},
): Promise<ChaosPipeline> {
  // The test's own clients stay quiet: faults make them log every failed attempt.
  const config = isolatedConfig(label, { LOG_LEVEL: 'silent', ...overrides });
  const logger = testLogger(config, label);
  await migrateDatabase(config, logger);
  const bus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  const ch = createClickHouse(config);
  cleanups.add(async () => {
    await bus.deleteTopics(allTopics(config).map((t) => t.name)).catch(() => undefined);
    await bus.close();
    await ch.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
    await ch.close();
  });
  return { config, bus, ch };
}

const lifecycleGroup = (config: Config) => `${config.TRANSFORM_GROUP_ID}.lifecycle`;

/** Metric tables compared row for row with a clean run's, without the column that records when a row was written. */
const metricQueries: Record<string, string> = {
  ticket_lifecycle: 'SELECT * EXCEPT (stored_at) FROM ticket_lifecycle FINAL ORDER BY tenant, ticket_id',
  ticket_facts: 'SELECT * EXCEPT (stored_at) FROM ticket_facts FINAL ORDER BY tenant, ticket_id',
};

export type Tables = Record<string, unknown[]>;

export async function metricTables(ch: ClickHouseClient): Promise<Tables> {
  const out: Tables = {};
  for (const [table, query] of Object.entries(metricQueries)) {
    out[table] = await (await ch.query({ query, format: 'JSONEachRow' })).json();
  }
  return out;
}

/** Rows of either side without an equal row on the other (a multiset difference, both ways). */
export function mismatchedRows(a: Tables, b: Tables): number {
  let n = 0;
  for (const table of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const left = new Map<string, number>();
    for (const r of a[table] ?? []) {
      const k = JSON.stringify(r);
      left.set(k, (left.get(k) ?? 0) + 1);
    }
    for (const r of b[table] ?? []) {
      const k = JSON.stringify(r);
      const m = left.get(k) ?? 0;
      if (m > 0) left.set(k, m - 1);
      else n++;
    }
    for (const m of left.values()) n += m;
  }
  return n;
}

export async function storedCount(ch: ClickHouseClient): Promise<number> {
  const rows = await (
    await ch.query({ query: 'SELECT count() AS n FROM ticket_events FINAL', format: 'JSONEachRow' })
  ).json<{ n: number }>();
  return Number(rows[0]?.n ?? 0);
}

async function storedIds(ch: ClickHouseClient): Promise<Set<string>> {
  const rows = await (
    await ch.query({ query: 'SELECT DISTINCT event_id FROM ticket_events', format: 'JSONEachRow' })
  ).json<{ event_id: string }>();
  return new Set(rows.map((r) => r.event_id));
}

/** Messages of the ticket topic not yet committed by the lifecycle consumer group. */
export async function lag(p: ChaosPipeline): Promise<number> {
  const topic = topicName(p.config, 'ticketEvents');
  const [committed, ends] = await Promise.all([
    p.bus.committedOffsets(lifecycleGroup(p.config), topic),
    p.bus.endOffsets(topic),
  ]);
  let total = 0;
  for (const [partition, end] of ends) {
    const c = Number(committed.get(partition) ?? '-1');
    total += Number(end) - Math.max(c, 0);
  }
  return total;
}

/**
 * Waits until every event is stored and every offset committed (no lag left); fails with the
 * figures reached and the processes' last log lines otherwise.
 */
export async function drained(
  p: ChaosPipeline,
  total: number,
  processes: BatonChild[] = [],
  timeoutMs = 180_000,
): Promise<void> {
  const stored = await eventually(
    () => storedCount(p.ch),
    (n) => n >= total,
    timeoutMs,
    250,
  );
  const left =
    stored >= total
      ? await eventually(
          () => lag(p),
          (n) => n === 0,
          60_000,
          250,
        )
      : -1;
  if (stored < total || left !== 0) {
    throw new Error(
      `not drained: ${stored} of ${total} events stored, lag ${left}\n${processes.map((c) => c.output()).join('\n')}`,
    );
  }
}

export async function sendTicketEvents(p: ChaosPipeline, events: readonly TicketEvent[]): Promise<void> {
  const producer = await p.bus.createProducer();
  await emitTicketEvents(producer, topicName(p.config, 'ticketEvents'), events, 500);
  await producer.disconnect();
}

/** A steady stream's events: the simulator's tickets created over `days` days from `fromIso`. */
export function chaosEvents(seed: number, tenant: string, fromIso: string, days: number): TicketEvent[] {
  const from = Date.parse(fromIso);
  return ticketsCreatedBetween({ seed, tenant }, from, from + days * 86_400_000);
}

/** Sends driveAtRate's batches straight to the ticket topic (acks=all: sent means acknowledged). */
export async function ticketTopicSender(
  p: ChaosPipeline,
): Promise<{ send(batch: TicketEvent[]): Promise<boolean>; close(): Promise<void> }> {
  const producer = await p.bus.createProducer();
  const topic = topicName(p.config, 'ticketEvents');
  return {
    async send(batch) {
      await emitTicketEvents(producer, topic, batch);
      return true;
    },
    close: () => producer.disconnect(),
  };
}

/** The clean run every faulty one is compared with: all events, one transform process, no fault. */
export async function cleanRun(label: string, events: readonly TicketEvent[]): Promise<Tables> {
  const cleanups = cleanupList();
  try {
    const p = await chaosPipeline(label, cleanups);
    await sendTicketEvents(p, events);
    const child = spawnBaton('transforms', childEnv(p.config), cleanups);
    await drained(p, new Set(events.map((e) => e.eventId)).size, [child]);
    await kill(child, 'SIGTERM');
    return await metricTables(p.ch);
  } finally {
    await cleanups.run();
  }
}

/**
 * Sends events at a steady rate (in ticks of `tickMs`), each tick's batch through `send` (which
 * tells whether the batch was acknowledged), until all are sent. A slow send delays the next
 * ticks, which then catch up at no more than four times the rate. Returns the acknowledged events.
 */
export function driveAtRate(
  events: readonly TicketEvent[],
  perSecond: number,
  send: (batch: TicketEvent[]) => Promise<boolean>,
  tickMs = 100,
): { done: Promise<TicketEvent[]>; sent(): number } {
  const acked: TicketEvent[] = [];
  let next = 0;
  const started = Date.now();
  const maxBatch = Math.max(1, Math.ceil((perSecond * tickMs * 4) / 1000));
  const done = (async () => {
    while (next < events.length) {
      const due = Math.min(
        events.length,
        next + maxBatch,
        Math.floor(((Date.now() - started) / 1000) * perSecond),
      );
      if (due > next) {
        const batch = events.slice(next, due);
        next = due;
        if (await send(batch)) acked.push(...batch);
      }
      await new Promise((r) => setTimeout(r, tickMs));
    }
    return acked;
  })();
  return { done, sent: () => next };
}

interface CommitSample {
  committed: Map<number, bigint>;
  stored: Set<string>;
}

/**
 * Samples the lifecycle group's committed offsets and then the stored event ids, over and over.
 * Ids stored only grow, so an offset committed before the ids were read must have all of its
 * messages among them: otherwise an offset ran ahead of the data.
 */
export function watchCommits(
  p: ChaosPipeline,
  intervalMs = 1_000,
): { stop(): Promise<{ samples: number; violations: string[] }> } {
  const topic = topicName(p.config, 'ticketEvents');
  const samples: CommitSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const raw = await p.bus.committedOffsets(lifecycleGroup(p.config), topic);
        const committed = new Map([...raw].map(([k, v]) => [k, BigInt(v)] as const));
        samples.push({ committed, stored: await storedIds(p.ch) });
      } catch {
        // A sample that could not be taken (the test's own broker being restarted) is skipped.
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const byOffset = await readTopic(p, topic);
      const violations: string[] = [];
      for (const s of samples) {
        for (const [partition, upTo] of s.committed) {
          const ids = byOffset.get(partition) ?? [];
          for (let o = 0; o < Number(upTo) && o < ids.length; o++) {
            const id = ids[o];
            if (id !== undefined && !s.stored.has(id)) {
              violations.push(`partition ${partition} committed ${upTo} but offset ${o} (${id}) not stored`);
              break;
            }
          }
        }
      }
      return { samples: samples.length, violations };
    },
  };
}

/** Every message of a topic, as event ids by partition and offset, read by a group of its own. */
async function readTopic(p: ChaosPipeline, topic: string): Promise<Map<number, string[]>> {
  const ends = await p.bus.endOffsets(topic);
  const total = [...ends.values()].reduce((s, e) => s + Number(e), 0);
  const out = new Map<number, string[]>();
  let read = 0;
  const consumer = await p.bus.runConsumer({
    groupId: `${p.config.TRANSFORM_GROUP_ID}.ledger-reader`,
    topics: [topic],
    fromBeginning: true,
    handleBatch: async (batch) => {
      const ids = out.get(batch.partition) ?? [];
      for (const m of batch.messages) {
        const value = JSON.parse(m.value?.toString('utf8') ?? '{}') as { eventId?: string };
        ids[Number(m.offset)] = value.eventId ?? '';
        read++;
      }
      out.set(batch.partition, ids);
    },
  });
  await eventually(
    async () => read,
    (n) => n >= total,
    60_000,
    100,
  );
  await consumer.stop();
  return out;
}

export interface LedgerFigures {
  acknowledged: number;
  stored: number;
  distinctStored: number;
  duplicates: number;
  missing: number;
  unexpected: number;
}

/**
 * Acknowledged events against ticket_events FINAL: each must be there exactly once, and nothing
 * there that was never produced (an unanswered send may or may not have been stored).
 */
export async function ledger(
  ch: ClickHouseClient,
  acknowledged: readonly TicketEvent[],
  produced: readonly TicketEvent[] = acknowledged,
): Promise<LedgerFigures> {
  const [figures] = await (
    await ch.query({
      query: 'SELECT count() AS n, uniqExact(event_id) AS d FROM ticket_events FINAL',
      format: 'JSONEachRow',
    })
  ).json<{ n: number; d: number }>();
  const ids = await storedIds(ch);
  const acked = new Set(acknowledged.map((e) => e.eventId));
  let missing = 0;
  for (const id of acked) if (!ids.has(id)) missing++;
  const known = new Set(produced.map((e) => e.eventId));
  let unexpected = 0;
  for (const id of ids) if (!known.has(id)) unexpected++;
  const stored = Number(figures?.n ?? 0);
  const distinctStored = Number(figures?.d ?? 0);
  return {
    acknowledged: acked.size,
    stored,
    distinctStored,
    duplicates: stored - distinctStored,
    missing,
    unexpected,
  };
}

/** One line the lead can quote: the scenario's figures as JSON. */
export function reportScenario(scenario: string, figures: Record<string, unknown>): void {
  console.log(JSON.stringify({ chaos: scenario, ...figures }));
}

export interface OutageProxy {
  port: number;
  /** Drops every open connection and resets each new one until `restore`. */
  cut(): void;
  restore(): void;
  /** Connections attempted while cut: how hard the clients knocked during the outage. */
  refused(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `127.0.0.1:upstreamPort`: a service becomes unreachable for the
 * processes that use the proxy's port, and no one else.
 */
export async function outageProxy(upstreamPort: number): Promise<OutageProxy> {
  const open = new Set<Socket>();
  let down = false;
  let refused = 0;
  const server: Server = createServer((client) => {
    if (down) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(upstreamPort, '127.0.0.1', () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    cut() {
      down = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export type PostResult =
  | { status: number; retryAfter: string | null }
  | { status: 'no-answer'; error: string };

/** POSTs one batch of canonical events to the ingest gateway; a dropped connection is 'no-answer'. */
export async function postEvents(gatewayUrl: string, batch: readonly TicketEvent[]): Promise<PostResult> {
  try {
    const res = await fetch(`${gatewayUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: batch }),
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    return { status: 'no-answer', error: (err as Error).message };
  }
}

/** Resolves when `url` answers 200 (a process's /healthz after a start). */
export async function answers(url: string, timeoutMs = 60_000): Promise<boolean> {
  const ok = await eventually(
    async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    },
    (up) => up,
    timeoutMs,
    100,
  );
  return ok;
}
