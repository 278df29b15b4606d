import { createHash } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeadLetter, deadLetterSchema } from '../../core/dead-letter.js';
import { type TopicKey, topicName } from '../../core/topics.js';
import { fixtureMappings } from '../../ingest/connectors/shared/fixture-mappings.js';
import { buildGateway } from '../../ingest/gateway/app.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// Guarantee 4 (poison is isolated) against the real broker and engine: records of every bad kind
// are written straight to the three event topics between good ones. Each bad record must land
// exactly once on the dead-letter topic, at its own origin (topic:partition:offset), with its
// reason and raw bytes; every good record must be processed; the consumers must keep going
// (offsets committed to the end, a later record processed). Then the same kinds through the
// ingest gateway: 207 with the exact field path of each bad item, the good ones stored.

const TENANT = 'poison';
let p: TestPipeline;
let producer: Producer;
let kafka: Kafka;

beforeAll(async () => {
  p = await startPipeline('poison');
  kafka = new Kafka({
    clientId: 'baton-poison-test',
    brokers: p.config.KAFKA_BROKERS,
    logLevel: logLevel.ERROR,
    retry: { retries: 2 },
  });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await p?.close();
});

const at = (day: number, hour = 9) => new Date(Date.UTC(2026, 2, day, hour)).toISOString();
const base = (id: string, kind: 'ticket' | 'job' | 'agent', n: number, extra: Record<string, unknown>) => ({
  eventId: `poison:${kind}:${id}:${n}`,
  schemaVersion: 1,
  source: 'poison',
  tenant: TENANT,
  occurredAt: at(2 + n),
  receivedAt: at(2 + n),
  ...extra,
});
const ticket = (id: string, n: number, extra: Record<string, unknown>) =>
  base(id, 'ticket', n, { ticketId: id, ...extra });
const created = (id: string) =>
  ticket(id, 0, { type: 'ticket.created', customer: 'Acme', region: 'EMEA', priority: 'high' });
const job = (id: string, n: number, extra: Record<string, unknown>) =>
  base(id, 'job', n, { jobId: id, ...extra });
const agent = (id: string, n: number, extra: Record<string, unknown>) =>
  base(id, 'agent', n, { agentId: id, ...extra });
const joined = (id: string, fte: number) =>
  agent(id, 0, { type: 'roster.member_joined', team: 'emea-l1', region: 'EMEA', role: 'engineer', fte });

interface Record_ {
  topic: TopicKey;
  key: string | null;
  value: Buffer | string | null;
  /** Set on a bad record: the start of the reason it must be dead-lettered with, and its field paths. */
  poison?: { reason: string; paths?: string[]; base64?: true };
}
const json = (v: unknown) => JSON.stringify(v);

// A record a little under the broker's 1 MiB limit: a description far longer than the 2,000
// characters the schema allows.
const hugeBad = json(
  ticket('T-HUGE', 1, { type: 'ticket.scope_changed', description: 'x'.repeat(1_000_000) }),
);
// As big, but valid: the unknown padding field is dropped by the schema and the event is stored.
const hugeGood = json({ ...ticket('T-3', 2, { type: 'ticket.resolved' }), padding: 'y'.repeat(1_000_000) });

const records: Record_[] = [
  // ---- ticket topic
  { topic: 'ticketEvents', key: 'T-1', value: json(created('T-1')) },
  {
    topic: 'ticketEvents',
    key: 'T-1',
    value: '{"eventId": "poison:ticket:T-1:9", "type": ',
    poison: { reason: 'invalid JSON' },
  },
  { topic: 'ticketEvents', key: 'T-2', value: json(created('T-2')) },
  {
    topic: 'ticketEvents',
    key: 'T-2',
    value: json({ ...ticket('T-2', 1, { type: 'ticket.resolved' }), schemaVersion: 2 }),
    poison: { reason: 'not a canonical ticket event v1', paths: ['schemaVersion'] },
  },
  {
    topic: 'ticketEvents',
    key: 'T-2',
    value: json({ ...ticket('T-2', 2, { type: 'ticket.resolved' }), occurredAt: '3000-01-01T00:00:00Z' }),
    poison: { reason: 'not a canonical ticket event v1', paths: ['occurredAt'] },
  },
  {
    topic: 'ticketEvents',
    key: 'T-2',
    value: json({ ...ticket('T-2', 3, { type: 'ticket.resolved' }), occurredAt: '1969-07-20T20:17:00Z' }),
    poison: { reason: 'not a canonical ticket event v1', paths: ['occurredAt'] },
  },
  {
    topic: 'ticketEvents',
    key: 'T-2',
    value: json(ticket('T-2', 4, { type: 'ticket.teleported' })),
    poison: { reason: 'not a canonical ticket event v1', paths: ['type'] },
  },
  { topic: 'ticketEvents', key: 'T-3', value: json(created('T-3')) },
  {
    topic: 'ticketEvents',
    key: 'T-HUGE',
    value: hugeBad,
    poison: { reason: 'not a canonical ticket event v1', paths: ['description'] },
  },
  { topic: 'ticketEvents', key: 'T-3', value: hugeGood },
  { topic: 'ticketEvents', key: 'T-1', value: Buffer.alloc(0), poison: { reason: 'empty record' } },
  { topic: 'ticketEvents', key: 'T-1', value: null, poison: { reason: 'empty record' } },
  {
    topic: 'ticketEvents',
    key: null,
    value: json(ticket('T-1', 5, { type: 'ticket.resolved' })),
    poison: { reason: 'record has no key; it must be the ticketId "T-1"' },
  },
  {
    topic: 'ticketEvents',
    key: 'T-2',
    value: json(ticket('T-1', 6, { type: 'ticket.closed' })),
    poison: { reason: 'record key "T-2" is not the ticketId "T-1"' },
  },
  { topic: 'ticketEvents', key: 'T-1', value: 'null', poison: { reason: 'not a canonical ticket event v1' } },
  // not UTF-8: kept as base64
  {
    topic: 'ticketEvents',
    key: 'T-1',
    value: Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
    poison: { reason: 'invalid JSON', base64: true },
  },
  { topic: 'ticketEvents', key: 'T-2', value: json(ticket('T-2', 7, { type: 'ticket.resolved' })) },
  // ---- roster topic
  { topic: 'rosterEvents', key: 'A-1', value: json(joined('A-1', 1)) },
  {
    topic: 'rosterEvents',
    key: 'A-2',
    value: json(joined('A-2', -0.5)),
    poison: { reason: 'not a canonical roster event v1', paths: ['fte'] },
  },
  { topic: 'rosterEvents', key: 'A-3', value: '{"agentId": "A-3"', poison: { reason: 'invalid JSON' } },
  {
    topic: 'rosterEvents',
    key: null,
    value: json(joined('A-4', 1)),
    poison: { reason: 'record has no key; it must be the agentId "A-4"' },
  },
  { topic: 'rosterEvents', key: 'A-5', value: json(joined('A-5', 0.5)) },
  // ---- field-job topic
  {
    topic: 'fieldJobEvents',
    key: 'J-1',
    value: json(job('J-1', 0, { type: 'job.created', site: 'Warsaw DC2', region: 'EMEA' })),
  },
  {
    topic: 'fieldJobEvents',
    key: 'J-1',
    value: json(job('J-1', 1, { type: 'job.beamed_up' })),
    poison: { reason: 'not a canonical field-job event v1', paths: ['type'] },
  },
  {
    topic: 'fieldJobEvents',
    key: 'J-1',
    value: json({ ...job('J-1', 2, { type: 'job.en_route' }), schemaVersion: '1' }),
    poison: { reason: 'not a canonical field-job event v1', paths: ['schemaVersion'] },
  },
  { topic: 'fieldJobEvents', key: 'J-1', value: Buffer.alloc(0), poison: { reason: 'empty record' } },
  {
    topic: 'fieldJobEvents',
    key: 'J-1',
    value: json(
      job('J-1', 3, {
        type: 'job.scheduled',
        plannedStart: '2026-03-10T08:00:00Z',
        plannedEnd: '2999-03-10T10:00:00Z',
      }),
    ),
    poison: { reason: 'not a canonical field-job event v1', paths: ['plannedEnd'] },
  },
  { topic: 'fieldJobEvents', key: 'J-1', value: json(job('J-1', 4, { type: 'job.en_route' })) },
];

interface Written extends Record_ {
  ref: string;
}

async function count(table: string): Promise<number> {
  const rs = await p.ch.query({
    query: `SELECT count() AS n FROM ${table} FINAL WHERE tenant = {tenant:String}`,
    query_params: { tenant: TENANT },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string | number }>())[0]!.n);
}

async function readDeadLetters(): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  await p.bus.readTopic(topicName(p.config, 'deadLetter'), (m) => {
    out.push(deadLetterSchema.parse(JSON.parse(m.value!.toString('utf8'))) as DeadLetter);
  });
  return out;
}

async function allCommitted(): Promise<boolean> {
  for (const [group, key] of [
    ['lifecycle', 'ticketEvents'],
    ['roster', 'rosterEvents'],
    ['field', 'fieldJobEvents'],
  ] as const) {
    const topic = topicName(p.config, key);
    const [committed, ends] = await Promise.all([
      p.bus.committedOffsets(`${p.config.TRANSFORM_GROUP_ID}.${group}`, topic),
      p.bus.endOffsets(topic),
    ]);
    for (const [partition, end] of ends) {
      if (end !== '0' && committed.get(partition) !== end) return false;
    }
  }
  return true;
}

describe('poison records written straight to the event topics', () => {
  it('each bad record is dead-lettered once with reason, origin and raw; every good one is processed; no crash loop', async () => {
    const written: Written[] = [];
    // One record per send, in order, so each one's offset (its origin on the dead-letter topic) is known.
    for (const r of records) {
      const [meta] = await producer.send({
        topic: topicName(p.config, r.topic),
        acks: -1,
        messages: [{ key: r.key, value: r.value }],
      });
      written.push({ ...r, ref: `${meta!.topicName}:${meta!.partition}:${meta!.baseOffset}` });
    }
    const poison = written.filter((w) => w.poison);

    // Good records: tickets T-1 (created), T-2 (created, resolved), T-3 (created, huge resolved);
    // agents; job J-1 (created, en route).
    const stored = await eventually(
      async () => [
        await count('ticket_events'),
        await count('roster_events'),
        await count('field_job_events'),
      ],
      (n) => n[0] === 5 && n[1] === 2 && n[2] === 2,
      90_000,
    );
    expect(stored).toEqual([5, 2, 2]);
    const letters = await eventually(readDeadLetters, (l) => l.length >= poison.length, 60_000, 500);
    expect(await eventually(allCommitted, (ok) => ok, 60_000, 500), 'offsets committed to the end').toBe(
      true,
    );
    // Nothing more arrives: exactly one letter per bad record.
    await new Promise((r) => setTimeout(r, 1_500));
    const final = await readDeadLetters();
    expect(final.length).toBe(letters.length);
    expect(final.map((l) => l.origin.ref).sort()).toEqual(poison.map((w) => w.ref).sort());

    for (const w of poison) {
      const letter = final.find((l) => l.origin.ref === w.ref)!;
      expect(letter.origin.kind).toBe('kafka');
      expect(letter.reason.startsWith(w.poison!.reason), `${w.ref}: ${letter.reason}`).toBe(true);
      if (w.poison!.paths)
        expect(
          letter.problems?.map((pr) => pr.path),
          w.ref,
        ).toEqual(w.poison!.paths);
      const bytes =
        w.value === null ? Buffer.alloc(0) : Buffer.isBuffer(w.value) ? w.value : Buffer.from(w.value);
      if (letter.truncated) {
        // Too big to keep whole under the broker's limit: the start, the size and the digest.
        expect(w.value).toBe(hugeBad);
        expect(letter.truncated).toEqual({
          bytes: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        });
        expect(Buffer.from(letter.raw, 'base64').equals(bytes.subarray(0, 64 * 1024))).toBe(true);
      } else {
        expect(letter.rawEncoding, w.ref).toBe(w.poison!.base64 ? 'base64' : 'utf8');
        expect(
          Buffer.from(letter.raw, letter.rawEncoding === 'base64' ? 'base64' : 'utf8').equals(bytes),
        ).toBe(true);
      }
    }
    expect(final.filter((l) => l.truncated)).toHaveLength(1);

    // The derived rows of the good records are there: T-2 and T-3 resolved, T-1 open.
    const lifecycle = await (
      await p.ch.query({
        query:
          'SELECT ticket_id FROM ticket_lifecycle FINAL WHERE tenant = {tenant:String} ORDER BY ticket_id',
        query_params: { tenant: TENANT },
        format: 'JSONEachRow',
      })
    ).json<{ ticket_id: string }>();
    expect(lifecycle.map((r) => r.ticket_id)).toEqual(['T-1', 'T-2', 'T-3']);

    // Still consuming after all of that.
    await producer.send({
      topic: topicName(p.config, 'ticketEvents'),
      acks: -1,
      messages: [{ key: 'T-1', value: json(ticket('T-1', 8, { type: 'ticket.resolved' })) }],
    });
    expect(
      await eventually(
        () => count('ticket_events'),
        (n) => n === 6,
        30_000,
      ),
    ).toBe(6);
  });
});

describe('poison through the ingest gateway', () => {
  it('bad items get their exact field path and reason (207); the good ones are stored', async () => {
    const app = await buildGateway({
      config: p.config,
      sink: p.sink,
      mappings: fixtureMappings(),
      logger: p.logger,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/events`;
      const good1 = { ...created('G-1'), eventId: 'poison:ticket:G-1:0' };
      const good2 = { ...joined('GA-1', 0.5), eventId: 'poison:agent:GA-1:0' };
      const items = [
        good1,
        { ...created('G-2'), eventId: 'poison:ticket:G-2:0', occurredAt: '3000-01-01T00:00:00Z' },
        { ...created('G-3'), eventId: 'poison:ticket:G-3:0', receivedAt: '1969-12-31T23:59:59Z' },
        { ...created('G-4'), eventId: 'poison:ticket:G-4:0', schemaVersion: 2 },
        { ...ticket('G-5', 0, { type: 'ticket.teleported' }), eventId: 'poison:ticket:G-5:0' },
        { ...joined('GA-2', -1), eventId: 'poison:agent:GA-2:0' },
        {
          ...ticket('G-6', 1, { type: 'ticket.scope_changed', description: 'z'.repeat(100_000) }),
          eventId: 'poison:ticket:G-6:1',
        },
        null,
        'ticket.created',
        good2,
      ];
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: items }),
      });
      expect(res.status).toBe(207);
      const body = (await res.json()) as {
        accepted: number;
        rejected: { index: number; problems: { path: string; message: string }[] }[];
      };
      expect(body.accepted).toBe(2);
      const range = 'must be on or after 1970-01-01T00:00:00.000Z and before 2100-01-01T00:00:00.000Z';
      expect(body.rejected.map((r) => [r.index, r.problems.map((pr) => pr.path)])).toEqual([
        [1, ['events[1].occurredAt']],
        [2, ['events[2].receivedAt']],
        [3, ['events[3].schemaVersion']],
        [4, ['events[4].type']],
        [5, ['events[5].fte']],
        [6, ['events[6].description']],
        [7, ['events[7]']],
        [8, ['events[8]']],
      ]);
      expect(body.rejected[0]!.problems[0]!.message).toBe(range);
      expect(body.rejected[1]!.problems[0]!.message).toBe(range);
      for (const r of body.rejected)
        for (const pr of r.problems) expect(pr.message.length).toBeGreaterThan(0);

      const stored = await eventually(
        async () =>
          (
            await (
              await p.ch.query({
                query:
                  "SELECT (SELECT count() FROM ticket_events FINAL WHERE tenant = {tenant:String} AND ticket_id LIKE 'G-%') AS t, (SELECT count() FROM roster_events FINAL WHERE tenant = {tenant:String} AND agent_id LIKE 'GA-%') AS a",
                query_params: { tenant: TENANT },
                format: 'JSONEachRow',
              })
            ).json<{ t: string | number; a: string | number }>()
          ).map((r) => [Number(r.t), Number(r.a)])[0]!,
        (n) => n[0] === 1 && n[1] === 1,
        30_000,
      );
      expect(stored).toEqual([1, 1]);
    } finally {
      await app.close();
    }
  });

  it("a valid batch of one ticket's events bigger than the broker's record limit is stored, not refused for ever", async () => {
    const app = await buildGateway({
      config: p.config,
      sink: p.sink,
      mappings: fixtureMappings(),
      logger: p.logger,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/events`;
      // ~1.3 MB of events keyed by one ticket: one partition, so one record batch unless split.
      const events = Array.from({ length: 600 }, (_, i) => ({
        ...ticket('BIG-1', 1, { type: 'ticket.scope_changed', description: 'd'.repeat(1_990) }),
        eventId: `poison:ticket:BIG-1:${i}`,
      }));
      const body = JSON.stringify(events);
      expect(body.length).toBeGreaterThan(1_100_000);
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect([res.status, await res.json()]).toEqual([200, { accepted: 600, duplicates: 0, rejected: [] }]);
      const stored = await eventually(
        async () =>
          Number(
            (
              await (
                await p.ch.query({
                  query:
                    "SELECT count() AS n FROM ticket_events FINAL WHERE tenant = {tenant:String} AND ticket_id = 'BIG-1'",
                  query_params: { tenant: TENANT },
                  format: 'JSONEachRow',
                })
              ).json<{ n: string }>()
            )[0]!.n,
          ),
        (n) => n === 600,
        60_000,
      );
      expect(stored).toBe(600);
    } finally {
      await app.close();
    }
  });
});
