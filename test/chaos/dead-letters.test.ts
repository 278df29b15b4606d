import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../bin/commands.js';
import { DeadLettersUsageError, deadLettersCommand } from '../../bin/dead-letters.js';
import { type DeadLetter, deadLetter, deadLetterMessage } from '../../core/dead-letter.js';
import type { EventProducer } from '../../core/kafka.js';
import { topicName } from '../../core/topics.js';
import { MAX_REDRIVES } from '../../ingest/dead-letters.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// `baton dead-letters list|redrive` against the real broker and engine. Letters come from the
// transforms themselves (a record without a key, a record that is not JSON) and from an older
// deployment (a letter written before a fix, whose record is valid today); a webhook's letter
// cannot be re-sent to a topic. A redrive processes what is now valid exactly once, sends what is
// still bad back to the dead-letter topic pointing at its predecessor, and `--all` stops after
// MAX_REDRIVES re-sends of one record.

const TENANT = 'redrive';
let p: TestPipeline;
let producer: EventProducer;

beforeAll(async () => {
  p = await startPipeline('redrive');
  producer = await p.bus.createProducer();
});
afterAll(async () => {
  await producer?.disconnect();
  await p?.close();
});

const event = (ticketId: string, n: number, type: string, extra: Record<string, unknown> = {}) => ({
  eventId: `redrive:ticket:${ticketId}:${n}`,
  schemaVersion: 1,
  source: 'redrive',
  tenant: TENANT,
  ticketId,
  occurredAt: new Date(Date.UTC(2026, 2, 2 + n, 9)).toISOString(),
  receivedAt: new Date(Date.UTC(2026, 2, 2 + n, 9)).toISOString(),
  type,
  ...extra,
});
const created = (id: string) =>
  event(id, 0, 'ticket.created', { customer: 'Acme', region: 'APAC', priority: 'low' });

async function cli(...args: string[]): Promise<string> {
  let text = '';
  await deadLettersCommand(args, p.config, p.logger, { stdout: (s) => (text += s) });
  return text;
}
type Listed = DeadLetter & { id: string; redriven: boolean; attempt: number };
const listJson = async (...extra: string[]) =>
  (await cli('list', '--json', '--limit', '0', ...extra))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Listed);

async function ticketRows(): Promise<{
  events: number;
  lifecycle: { ticket_id: string; version: number }[];
}> {
  const q = async <T>(query: string) =>
    (await p.ch.query({ query, query_params: { tenant: TENANT }, format: 'JSONEachRow' })).json<T>();
  const [{ n }] = (await q<{ n: string }>(
    'SELECT count() AS n FROM ticket_events FINAL WHERE tenant = {tenant:String}',
  )) as [{ n: string }];
  const lifecycle = await q<{ ticket_id: string; version: string }>(
    'SELECT ticket_id, version FROM ticket_lifecycle FINAL WHERE tenant = {tenant:String} ORDER BY ticket_id',
  );
  return {
    events: Number(n),
    lifecycle: lifecycle.map((r) => ({ ticket_id: r.ticket_id, version: Number(r.version) })),
  };
}

describe('baton dead-letters', () => {
  it('is a command with its usage; wrong use is a usage error', async () => {
    expect(commands['dead-letters']?.usage).toContain('baton dead-letters redrive');
    await expect(cli('redrive')).rejects.toBeInstanceOf(DeadLettersUsageError);
    await expect(cli('redrive', '--all', '--id', '0:1')).rejects.toBeInstanceOf(DeadLettersUsageError);
    await expect(cli('list', '--limit', 'many')).rejects.toThrow('--limit must be an integer >= 0');
    await expect(cli('purge')).rejects.toThrow('expected "list" or "redrive"');
    const elsewhere = { ...p.config, KAFKA_TOPIC_PREFIX: `${p.config.KAFKA_TOPIC_PREFIX}absent.` };
    await expect(
      deadLettersCommand(['list'], elsewhere, p.logger, { stdout: () => undefined }),
    ).rejects.toThrow(
      `the dead-letter topic ${elsewhere.KAFKA_TOPIC_PREFIX}baton.dead-letter.v1 does not exist`,
    );
  });

  it('lists letters with reason and origin, filters by reason, and redrives them without doubling or looping', async () => {
    const ticketTopic = topicName(p.config, 'ticketEvents');
    const dlqTopic = topicName(p.config, 'deadLetter');
    // A letter an older deployment wrote before a fix: its record is a valid event today.
    const old = deadLetter(
      { kind: 'kafka', ref: `${ticketTopic}:0:9999`, source: 'ticket' },
      'not a canonical ticket event v1',
      JSON.stringify(event('R-1', 1, 'ticket.resolved')),
    );
    // A webhook's letter: its vendor payload must be sent again from the vendor, not to a topic.
    const webhook = deadLetter(
      { kind: 'http', ref: 'POST /v1/webhooks/jira', source: 'jira' },
      'unknown status',
      '{}',
    );
    await producer.send(dlqTopic, [deadLetterMessage(old), deadLetterMessage(webhook)]);
    await producer.send(ticketTopic, [{ key: 'R-1', value: JSON.stringify(created('R-1')) }]);
    await producer.send(ticketTopic, [{ key: 'R-2', value: JSON.stringify(created('R-2')) }]);
    // Dead-lettered by the transform: no key (fixed by a redrive, which keys by the ticket), not JSON.
    const { Kafka, logLevel } = await import('kafkajs');
    const raw = new Kafka({
      clientId: 'redrive-test',
      brokers: p.config.KAFKA_BROKERS,
      logLevel: logLevel.ERROR,
    }).producer();
    await raw.connect();
    await raw.send({
      topic: ticketTopic,
      acks: -1,
      messages: [{ key: null, value: JSON.stringify(event('R-2', 1, 'ticket.resolved')) }],
    });
    await raw.send({
      topic: ticketTopic,
      acks: -1,
      messages: [{ key: 'R-3', value: '{"ticketId": "R-3", ' }],
    });
    await raw.disconnect();

    const seen = await eventually(listJson, (l) => l.length >= 4, 60_000, 500);
    // The transform's two letters come from two partitions, in either order: named by reason here.
    const find = (list: Listed[], reason: string) => list.find((l) => l.reason.startsWith(reason))!;
    const listed = [
      find(seen, 'not a canonical'),
      find(seen, 'unknown status'),
      find(seen, 'record has no key'),
      find(seen, 'invalid JSON'),
    ];
    expect(seen).toHaveLength(4);
    expect(listed.map((l) => [l.origin.kind, l.reason.split(':')[0], l.redriven, l.attempt])).toEqual([
      ['kafka', 'not a canonical ticket event v1', false, 1],
      ['http', 'unknown status', false, 1],
      ['kafka', 'record has no key; it must be the ticketId "R-2"', false, 1],
      ['kafka', 'invalid JSON', false, 1],
    ]);
    expect(seen.slice(0, 2)).toEqual(listed.slice(0, 2));
    expect(listed[2]!.origin.ref).toMatch(new RegExp(`^${ticketTopic.replaceAll('.', '\\.')}:\\d+:\\d+$`));
    expect(listed[3]!.raw).toBe('{"ticketId": "R-3", ');
    expect((await listJson('--reason', 'INVALID json')).map((l) => l.id)).toEqual([listed[3]!.id]);
    const text = await cli('list', '--limit', '2');
    expect(text.trim().split('\n')).toHaveLength(3);
    expect(text).toContain('2 of 4 letters shown');
    expect(text).toContain(`${seen[3]!.id}\t`);
    expect(text).not.toContain(`${seen[1]!.id}\t`);
    const before = {
      events: 2,
      lifecycle: [
        { ticket_id: 'R-1', version: 1 },
        { ticket_id: 'R-2', version: 1 },
      ],
    };
    // The two created events may sit on partitions processed after the letters were written.
    const same = (x: unknown) => (y: unknown) => JSON.stringify(x) === JSON.stringify(y);
    expect(await eventually(ticketRows, same(before), 30_000, 250)).toEqual(before);

    // A dry run sends nothing.
    const endsBefore = await p.bus.endOffsets(ticketTopic);
    const dry = await cli('redrive', '--all', '--dry-run');
    expect(dry).toContain('would re-send 3, skipped 1');
    expect(dry).toContain(`skipped ${listed[1]!.id}: it came from http (POST /v1/webhooks/jira)`);
    expect(dry).toContain(`would re-send ${listed[2]!.id} to ${ticketTopic} (key R-2)`);
    const dryNoKey = await cli('redrive', '--all', '--reason', 'NO KEY', '--dry-run');
    expect(dryNoKey.trim().split('\n')).toEqual([
      `would re-send ${listed[2]!.id} to ${ticketTopic} (key R-2)`,
      'would re-send 1, skipped 0',
    ]);
    expect(await p.bus.endOffsets(ticketTopic)).toEqual(endsBefore);

    expect(await cli('redrive', '--all')).toContain('re-sent 3, skipped 1');
    // R-1 and R-2 are resolved now; R-3's record is still not JSON and comes back.
    const after = {
      events: 4,
      lifecycle: [
        { ticket_id: 'R-1', version: 2 },
        { ticket_id: 'R-2', version: 2 },
      ],
    };
    expect(await eventually(ticketRows, same(after), 60_000, 250)).toEqual(after);
    const again = await eventually(listJson, (l) => l.length >= 5, 60_000, 500);
    expect(listed.map((l) => again.find((a) => a.id === l.id)!.redriven)).toEqual([true, false, true, true]);
    expect(again[4]).toMatchObject({
      reason: expect.stringMatching(/^invalid JSON/),
      raw: '{"ticketId": "R-3", ',
      origin: { kind: 'kafka', redriveOf: listed[3]!.id },
      attempt: 2,
    });

    // Re-sending an already processed record again changes nothing: same event id, same rows.
    expect(await cli('redrive', '--id', listed[0]!.id, '--id', listed[2]!.id)).toContain(
      're-sent 2, skipped 0',
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await ticketRows()).toEqual(after);

    // --all picks up only what was not re-sent yet, and gives up on a record after MAX_REDRIVES.
    const rounds: string[] = [];
    for (let i = 0; i < MAX_REDRIVES + 2; i++) {
      const letters = await listJson();
      const out = await cli('redrive', '--all');
      rounds.push(out.trim().split('\n').pop()!);
      if (out.includes('re-sent 0,')) break;
      await eventually(listJson, (l) => l.length > letters.length, 60_000, 500);
    }
    expect(rounds).toEqual(['re-sent 1, skipped 1', 're-sent 1, skipped 1', 're-sent 0, skipped 2']);
    const last = await listJson('--reason', 'invalid json');
    expect(last.map((l) => l.attempt)).toEqual([1, 2, 3, 4]);
    const final = await cli('redrive', '--all');
    expect(final).toContain(
      `skipped ${last[3]!.id}: re-sent ${MAX_REDRIVES} times already; re-send it with --id`,
    );
    expect(final).toContain('re-sent 0, skipped 2');
    expect(await ticketRows()).toEqual(after);
  });
});
