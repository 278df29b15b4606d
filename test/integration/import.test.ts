import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../core/config.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import { type CanonicalEvent, parseCanonicalEvent, type TicketEvent } from '../../core/events/index.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import { allTopics, type TopicKey, topicName } from '../../core/topics.js';
import { loadPreset } from '../../ingest/importers/preset.js';
import { ImportInterruptedError, runImport } from '../../ingest/importers/run.js';
import { createEventSink } from '../../ingest/sink.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// File imports against the real Kafka: events read back from the topics, re-imports add no new
// ids, bad rows land in the dead-letter topic, and the real BPIC 2013 log reproduces its published
// facts. Fails (never skips) when Kafka or the data set is missing.

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../ingest/importers/fixtures/${name}`, import.meta.url));
const bpicFile = fileURLToPath(
  new URL('../../../shared/datasets/bpic2013/vinst-incidents.csv.gz', import.meta.url),
);

const buses: MessageBus[] = [];
const topicsToDelete: { bus: MessageBus; names: string[] }[] = [];

async function setUp(label: string) {
  const config = isolatedConfig(label);
  const logger = testLogger(config, `it-${label}`);
  const bus = createMessageBus(config, logger, { connectionTimeoutMs: 3_000, retries: 2 });
  buses.push(bus);
  try {
    await bus.ensureTopics(allTopics(config));
  } catch (err) {
    throw new Error(
      `Kafka is not reachable at ${config.KAFKA_BROKERS.join(',')} (${(err as Error).message}); start it with 'bash infra/stack.sh up'`,
    );
  }
  topicsToDelete.push({ bus, names: allTopics(config).map((t) => t.name) });
  const sink = createEventSink(config, bus, logger);
  return { config, bus, sink };
}

/** Everything on a topic, read with a fresh consumer group until `expected` messages arrived. */
async function readTopic<T>(
  config: Config,
  key: TopicKey,
  expected: number,
  timeoutMs = 60_000,
): Promise<T[]> {
  const kafka = new Kafka({
    clientId: 'baton-it-import-reader',
    brokers: config.KAFKA_BROKERS,
    logLevel: logLevel.ERROR,
    connectionTimeout: 3_000,
    retry: { retries: 2 },
  });
  const consumer = kafka.consumer({ groupId: `${config.TRANSFORM_GROUP_ID}.reader.${Math.random()}` });
  const out: T[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: topicName(config, key), fromBeginning: true });
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) out.push(JSON.parse(m.value!.toString('utf8')) as T);
        if (out.length >= expected) done();
      },
    });
    if (expected > 0) await Promise.race([finished, new Promise((r) => setTimeout(r, timeoutMs))]);
    // give late duplicates a moment to show up
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await consumer.disconnect();
  }
  return out;
}

afterAll(async () => {
  for (const { bus, names } of topicsToDelete) await bus.deleteTopics(names).catch(() => undefined);
  for (const bus of buses) await bus.close().catch(() => undefined);
});

describe('baton import against Kafka', () => {
  it('imports the fixtures, and a second import adds no new event ids', async () => {
    const { config, sink } = await setUp('import_fixtures');
    const tickets = await runImport({
      file: fixture('servicenow-export.csv'),
      preset: loadPreset('servicenow-export'),
      tenant: 'acme',
      sink,
    });
    const roster = await runImport({
      file: fixture('roster.csv'),
      preset: loadPreset('roster'),
      tenant: 'acme',
      sink,
    });
    expect(tickets.rowsRejected + roster.rowsRejected).toBe(0);

    const first = await readTopic<TicketEvent>(config, 'ticketEvents', tickets.eventsProduced);
    expect(first).toHaveLength(tickets.eventsProduced);
    for (const e of first) expect(parseCanonicalEvent(e).success).toBe(true);
    const byType = (t: string) => first.filter((e) => e.type === t).length;
    expect(byType('ticket.created')).toBe(3);
    expect(byType('ticket.reopened')).toBe(1);
    expect(first.find((e) => e.type === 'ticket.priority_changed')).toMatchObject({
      ticketId: 'INC0010001',
      priority: 'high',
      originalPriority: '2 - High',
      tenant: 'acme',
    });
    const rosterEvents = await readTopic<CanonicalEvent>(config, 'rosterEvents', roster.eventsProduced);
    expect(rosterEvents.map((e) => e.type).sort()).toEqual([
      'roster.member_joined',
      'roster.member_joined',
      'roster.member_joined',
      'roster.member_joined',
      'roster.member_joined',
      'roster.member_left',
    ]);

    // Same file again: the same ids (a sink downstream dedupes on them), nothing new.
    const again = await runImport({
      file: fixture('servicenow-export.csv'),
      preset: loadPreset('servicenow-export'),
      tenant: 'acme',
      sink,
    });
    expect(again.eventsProduced).toBe(tickets.eventsProduced);
    const both = await readTopic<TicketEvent>(config, 'ticketEvents', 2 * tickets.eventsProduced);
    expect(both).toHaveLength(2 * tickets.eventsProduced);
    const firstIds = new Set(first.map((e) => e.eventId));
    expect(firstIds.size).toBe(first.length);
    expect(new Set(both.map((e) => e.eventId))).toEqual(firstIds);
    await sink.close();
  });

  it('keeps every good row of a broken file and dead-letters the bad ones with reasons', async () => {
    const { config, sink } = await setUp('import_broken');
    const summary = await runImport({
      file: fixture('bpic2013-broken.csv'),
      preset: loadPreset('bpic2013'),
      tenant: 'acme',
      sink,
    });
    expect(summary).toMatchObject({ rowsRead: 12, rowsRejected: 7, deadLettered: 7 });
    const events = await readTopic<TicketEvent>(config, 'ticketEvents', summary.eventsProduced);
    expect(events).toHaveLength(summary.eventsProduced);
    expect(new Set(events.map((e) => e.ticketId))).toEqual(new Set(['1-100', '1-200']));
    expect(
      events
        .filter((e) => e.type === 'ticket.resolved')
        .map((e) => e.ticketId)
        .sort(),
    ).toEqual(['1-100', '1-200']);
    const letters = await readTopic<DeadLetter>(config, 'deadLetter', 7);
    expect(letters).toHaveLength(7);
    const lines = letters.map((l) => Number(l.origin.ref.split(':').at(-1))).sort((a, b) => a - b);
    expect(lines).toEqual([4, 5, 6, 7, 8, 9, 11]);
    for (const l of letters) {
      expect(l.origin).toMatchObject({ kind: 'file', source: 'bpic2013' });
      expect(l.origin.ref).toContain('bpic2013-broken.csv:');
      expect(l.reason.length).toBeGreaterThan(10);
      expect(l.raw.length).toBeGreaterThan(0);
    }
    expect(letters.find((l) => l.origin.ref.endsWith(':5'))?.reason).toContain(
      'unknown status "Accepted/Teleported"',
    );
    await sink.close();
  });

  it('says which line was acknowledged last when Kafka is not there', async () => {
    const config = isolatedConfig('import_down', { KAFKA_BROKERS: ['127.0.0.1:1'] });
    const logger = testLogger(config, 'it-import-down');
    const bus = createMessageBus(config, logger, { connectionTimeoutMs: 500, retries: 1 });
    buses.push(bus);
    const sink = createEventSink(config, bus, logger);
    const err = await runImport({
      file: fixture('bpic2013-sample.csv'),
      preset: loadPreset('bpic2013'),
      tenant: 'acme',
      sink,
      batchEvents: 50,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportInterruptedError);
    expect((err as ImportInterruptedError).summary.lastAcknowledgedLine).toBe(0);
    expect((err as Error).message).toMatch(
      /Lines up to 0 of .* were acknowledged.*Re-running the same command is safe/s,
    );
  });
});

describe('BPIC 2013 (real data set)', () => {
  it('reproduces the published facts from the events it produced', async () => {
    expect(existsSync(bpicFile), `data set missing: ${bpicFile}`).toBe(true);
    const { config, sink } = await setUp('import_bpic');
    const started = Date.now();
    const summary = await runImport({
      file: bpicFile,
      preset: loadPreset('bpic2013'),
      tenant: 'volvo',
      sink,
    });
    const seconds = (Date.now() - started) / 1000;
    console.info(
      `BPIC 2013: ${summary.rowsRead} rows, ${summary.eventsProduced} events in ${seconds.toFixed(1)} s (${Math.round(summary.rowsRead / seconds)} rows/s)`,
    );
    // The README says "65,532 data rows" but its per-ST-Level counts sum to 65,533, which is what
    // the file holds (65,534 lines with the header).
    expect(summary.rowsRead).toBe(65_533);
    expect(summary.rowsRejected).toBe(0);

    const events = await readTopic<TicketEvent>(config, 'ticketEvents', summary.eventsProduced, 90_000);
    expect(events).toHaveLength(summary.eventsProduced);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(new Set(events.map((e) => e.ticketId)).size).toBe(7_554);
    expect(events.filter((e) => e.type === 'ticket.created')).toHaveLength(7_554);
    const times = events.map((e) => e.occurredAt).sort();
    expect(times[0]).toBe(new Date('2010-03-31T15:59:42+01:00').toISOString());
    expect(times.at(-1)).toBe(new Date('2012-05-23T00:22:25+01:00').toISOString());

    // Read the CSV independently (no quoted fields in this file: a plain split is exact).
    const lines = gunzipSync(readFileSync(bpicFile)).toString('utf8').split('\n').filter(Boolean);
    const header = lines[0]!.split(',');
    const col = (name: string) => header.indexOf(name);
    const [iSr, iAt, iSt, iLevel] = [
      col('SR Number'),
      col('Change Date+Time'),
      col('Involved ST'),
      col('ST Level'),
    ];
    const rowsByTicket = new Map<string, string[][]>();
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      const list = rowsByTicket.get(f[iSr]!) ?? [];
      list.push(f);
      rowsByTicket.set(f[iSr]!, list);
    }
    const eventsByTicket = new Map<string, TicketEvent[]>();
    for (const e of events) {
      const list = eventsByTicket.get(e.ticketId) ?? [];
      list.push(e);
      eventsByTicket.set(e.ticketId, list);
    }

    let neverChange = 0;
    const levelCounts: Record<string, number> = {};
    for (const [sr, rows] of rowsByTicket) {
      // Team changes in the CSV vs `ticket.assigned` events that change the team.
      let csvChanges = 0;
      for (let i = 1; i < rows.length; i++) if (rows[i]![iSt] !== rows[i - 1]![iSt]) csvChanges += 1;
      if (csvChanges === 0) neverChange += 1;
      const assigned = (eventsByTicket.get(sr) ?? []).filter(
        (e): e is Extract<TicketEvent, { type: 'ticket.assigned' }> => e.type === 'ticket.assigned',
      );
      let eventChanges = 0;
      for (let i = 1; i < assigned.length; i++)
        if (assigned[i]!.team !== assigned[i - 1]!.team) eventChanges += 1;
      expect(eventChanges, `team changes of ${sr}`).toBe(csvChanges);
      // The support line in force at each row, as the emitted assignments say.
      let k = -1;
      for (const row of rows) {
        const at = new Date(row[iAt]!).toISOString();
        while (k + 1 < assigned.length && assigned[k + 1]!.occurredAt <= at) k += 1;
        const tier = assigned[k]?.originalTier ?? 'none';
        levelCounts[tier] = (levelCounts[tier] ?? 0) + 1;
        expect(tier, `${sr} at ${row[iAt]}`).toBe(row[iLevel]);
      }
    }
    expect(neverChange).toBe(3_734);
    expect(rowsByTicket.size - neverChange).toBe(3_820);
    expect(levelCounts).toEqual({ L1: 46_042, L2: 16_541, L3: 2_911, 'L2/L3': 39 });
    await sink.close();
  });
});
