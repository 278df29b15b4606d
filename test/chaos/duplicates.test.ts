import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TicketEvent } from '../../core/events/ticket.js';
import { seededRandom } from '../../core/random.js';
import { topicName } from '../../core/topics.js';
import { fixtureMappings } from '../../ingest/connectors/shared/fixture-mappings.js';
import { fixtureText } from '../../ingest/connectors/shared/fixtures.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { buildGateway, type Gateway } from '../../ingest/gateway/app.js';
import { importCommand } from '../../ingest/importers/cli.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// Guarantee 2 (nothing is counted twice) under the duplicates and disorder real sources produce:
// a vendor retrying the same webhook three times, the same CSV file imported twice, and a
// ticket's events arriving shuffled within a lateness window. Each case writes a clean run under
// one tenant and the duplicated or disordered run under another, through the same pipeline, and
// the per-ticket tables of the two tenants must be equal row for row. The clock of the
// time-dependent figures (SLA) is fixed, so only what records its own writing differs: stored_at,
// and for ticket_sla the evaluation instant (as_of, version).

const NOW = Date.parse('2026-05-20T00:00:00Z');
const JIRA_SECRET = 'dup-jira-secret';
const SN = { user: 'dup-sn', password: 'dup-sn-password' };

let p: TestPipeline;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  p = await startPipeline('dups', {
    now: () => NOW,
    overrides: {
      JIRA_WEBHOOK_SECRET: JIRA_SECRET,
      SERVICENOW_WEBHOOK_USER: SN.user,
      SERVICENOW_WEBHOOK_PASSWORD: SN.password,
    },
  });
  // The gateway's clock stamps receivedAt: fixed, so each delivery of a webhook is the same event.
  gateway = await buildGateway({
    config: p.config,
    sink: p.sink,
    mappings: fixtureMappings(),
    logger: p.logger,
    now: () => NOW,
  });
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  const address = gateway.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await gateway?.close();
  await p?.close();
});

const compared: Record<string, string> = {
  ticket_events:
    'SELECT * EXCEPT (stored_at, tenant, received_at, payload) FROM ticket_events FINAL WHERE tenant = {tenant:String} ORDER BY ticket_id, event_id',
  ticket_lifecycle:
    'SELECT * EXCEPT (stored_at, tenant) FROM ticket_lifecycle FINAL WHERE tenant = {tenant:String} ORDER BY ticket_id',
  ticket_facts:
    'SELECT * EXCEPT (stored_at, tenant) FROM ticket_facts FINAL WHERE tenant = {tenant:String} ORDER BY ticket_id',
  ticket_sla:
    'SELECT * EXCEPT (stored_at, tenant, version, as_of) FROM ticket_sla FINAL WHERE tenant = {tenant:String} ORDER BY ticket_id',
};

async function tablesOf(tenant: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, query] of Object.entries(compared)) {
    out[table] = await (await p.ch.query({ query, query_params: { tenant }, format: 'JSONEachRow' })).json();
  }
  return out;
}

async function storedEvents(tenant: string): Promise<number> {
  const rs = await p.ch.query({
    query: 'SELECT count() AS n FROM ticket_events FINAL WHERE tenant = {tenant:String}',
    query_params: { tenant },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}

/** Waits until both tenants hold `events` events and the transforms went quiet over their rows. */
async function settled(tenants: string[], events: number): Promise<Record<string, unknown[]>[]> {
  for (const t of tenants) {
    expect(
      await eventually(
        () => storedEvents(t),
        (n) => n === events,
        90_000,
        250,
      ),
      t,
    ).toBe(events);
  }
  let last = '';
  const quiet = await eventually(
    async () => {
      const now = JSON.stringify(await Promise.all(tenants.map(tablesOf)));
      const same = now === last;
      last = now;
      return same;
    },
    (same) => same,
    60_000,
    1_500,
  );
  expect(quiet).toBe(true);
  return JSON.parse(last) as Record<string, unknown[]>[];
}

/** POSTs a webhook delivery; its answer names the ids of the events it wrote. */
async function post(path: string, body: string, headers: Record<string, string>): Promise<string[]> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const json = (await res.json()) as { eventIds?: string[] };
  expect(res.status, path).toBe(200);
  return json.eventIds ?? [];
}

describe('duplicates and disorder change no result', () => {
  it('a vendor webhook delivered three times equals the same webhooks delivered once', async () => {
    const jira = ['issue-created', 'issue-updated-reassigned', 'issue-updated-resolved'].map((n) =>
      fixtureText('jira', n),
    );
    const sn = ['insert', 'update-reassigned', 'update-on-hold', 'update-resolved'].map((n) =>
      fixtureText('servicenow', n),
    );
    const deliver = async (tenant: string, order: number[]): Promise<Set<string>> => {
      const ids = new Set<string>();
      for (const i of order) {
        const jiraBody = jira[i % jira.length]!;
        const snBody = sn[i % sn.length]!;
        if (i < jira.length) {
          const sig = `sha256=${createHmac('sha256', JIRA_SECRET).update(jiraBody).digest('hex')}`;
          for (const id of await post(`/v1/webhooks/jira?tenant=${tenant}`, jiraBody, {
            'x-hub-signature': sig,
          }))
            ids.add(id);
        }
        if (i < sn.length) {
          const auth = `Basic ${Buffer.from(`${SN.user}:${SN.password}`).toString('base64')}`;
          for (const id of await post(`/v1/webhooks/servicenow?tenant=${tenant}`, snBody, {
            authorization: auth,
          }))
            ids.add(id);
        }
      }
      return ids;
    };
    const once = await deliver('wh-once', [0, 1, 2, 3]);
    // Retries as a vendor makes them: after a timeout, sometimes after the next change went out.
    const thrice = await deliver('wh-thrice', [0, 0, 1, 0, 1, 2, 1, 2, 3, 2, 3, 3]);
    // A redelivery is the same change: the same event ids, whatever the order of the retries.
    expect([...thrice].sort()).toEqual([...once].sort());
    expect(once.size).toBeGreaterThanOrEqual(8);
    const [a, b] = await settled(['wh-once', 'wh-thrice'], once.size);
    expect(a!.ticket_lifecycle).toHaveLength(2);
    expect(a!.ticket_sla).toHaveLength(2);
    expect(b).toEqual(a);
  });

  it('the same CSV file imported twice (baton import) equals one import', async () => {
    const file = fileURLToPath(
      new URL('../../ingest/importers/fixtures/bpic2013-sample.csv', import.meta.url),
    );
    const run = async (tenant: string): Promise<number> => {
      let printed = '';
      const stdout = new Writable({
        write: (chunk, _e, cb) => {
          printed += String(chunk);
          cb();
        },
      }) as unknown as NodeJS.WriteStream;
      await importCommand(
        [file, '--format', 'bpic2013', '--tenant', tenant],
        { config: p.config, logger: p.logger },
        {
          stdout,
          stderr: stdout,
        },
      );
      return Number(/events produced\s+(\d+)/.exec(printed)?.[1]);
    };
    const produced = await run('csv-once');
    expect(await run('csv-twice')).toBe(produced);
    expect(await run('csv-twice')).toBe(produced);
    expect(produced).toBeGreaterThan(20);
    const [a, b] = await settled(['csv-once', 'csv-twice'], produced);
    expect(a!.ticket_lifecycle!.length).toBeGreaterThan(3);
    expect(b).toEqual(a);
  });

  it("tickets' events shuffled within a six-hour lateness window equal the ordered run", async () => {
    const from = Date.parse('2026-05-04T00:00:00Z');
    const ordered = ticketsCreatedBetween({ seed: 31, tenant: 'ordered' }, from, from + 2 * 86_400_000).sort(
      (x, y) => Date.parse(x.occurredAt) - Date.parse(y.occurredAt),
    );
    expect(ordered.length).toBeGreaterThan(1_500);
    // Each event is delivered as if it arrived up to six hours late; the sort keeps that arrival order.
    const rnd = seededRandom(7);
    const shuffled: TicketEvent[] = ordered
      .map((e) => ({ e: { ...e, tenant: 'shuffled' }, at: Date.parse(e.occurredAt) + rnd() * 6 * 3_600_000 }))
      .sort((x, y) => x.at - y.at)
      .map((x) => x.e);
    // The shuffle must really reorder events of one ticket, or the test means nothing.
    const firstIndex = new Map<string, number>();
    let reordered = 0;
    shuffled.forEach((e, i) => {
      const created = e.type === 'ticket.created';
      if (created) firstIndex.set(e.ticketId, i);
      else if (!firstIndex.has(e.ticketId)) reordered++;
    });
    expect(reordered, 'events before their ticket.created').toBeGreaterThan(10);

    const producer = await p.bus.createProducer();
    try {
      const topic = topicName(p.config, 'ticketEvents');
      await emitTicketEvents(producer, topic, ordered, 100);
      await emitTicketEvents(producer, topic, shuffled, 100);
    } finally {
      await producer.disconnect();
    }
    const [a, b] = await settled(['ordered', 'shuffled'], ordered.length);
    expect(a!.ticket_facts!.length).toBeGreaterThan(100);
    for (const table of Object.keys(compared)) expect(b![table], table).toEqual(a![table]);
  });
});
