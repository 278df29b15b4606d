import { createHmac } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../core/config.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import { createMessageBus, type MessageBus, type RunningConsumer } from '../../core/kafka.js';
import { allTopics, topicName } from '../../core/topics.js';
import { fixtureMappings } from '../../ingest/connectors/shared/fixture-mappings.js';
import { fixtureText } from '../../ingest/connectors/shared/fixtures.js';
import { buildGateway, type Gateway } from '../../ingest/gateway/app.js';
import { createEventSink, type EventSink } from '../../ingest/sink.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// The ingest gateway over real HTTP against the real Kafka: what a caller is answered, and what
// Kafka holds afterwards (read back by a consumer of its own). Each test writes under its own
// tenant, so tests sharing this file's topics never see each other's events. When Kafka is
// missing every test fails (the set-up runs inside each test), none is skipped.

const secrets = {
  SERVICENOW_WEBHOOK_USER: 'baton-sn',
  SERVICENOW_WEBHOOK_PASSWORD: 'sn-pass-123',
  JIRA_WEBHOOK_SECRET: 'jira-secret-abc',
  ZENDESK_WEBHOOK_SECRET: 'zendesk-secret-xyz',
};

interface Stored {
  topic: string;
  key: string | null;
  value: Record<string, unknown>;
}

interface Env {
  config: Config;
  url: string;
  stored: Stored[];
}

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

let ready: Promise<Env> | undefined;
function setUp(): Promise<Env> {
  ready ??= (async () => {
    const config = isolatedConfig('gateway', { ...secrets, INGEST_DEFAULT_TENANT: 'default-tenant' });
    const logger = testLogger(config, 'gateway-test');
    const bus: MessageBus = createMessageBus(config, logger, { retries: 2, connectionTimeoutMs: 3_000 });
    closers.push(
      () => bus.deleteTopics(allTopics(config).map((t) => t.name)),
      () => bus.close(),
    );
    try {
      await bus.ensureTopics(allTopics(config));
    } catch (err) {
      throw new Error(
        `Kafka is not reachable at ${config.KAFKA_BROKERS.join(',')} (${(err as Error).message}); ` +
          `start it with 'bash infra/stack.sh up' or set KAFKA_BROKERS`,
      );
    }
    const sink: EventSink = createEventSink(config, bus, logger);
    closers.push(() => sink.close());
    const app: Gateway = await buildGateway({ config, sink, mappings: fixtureMappings(), logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => app.close());
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const stored: Stored[] = [];
    const consumer: RunningConsumer = await bus.runConsumer({
      groupId: `${config.TRANSFORM_GROUP_ID}.reader`,
      topics: (['ticketEvents', 'fieldJobEvents', 'rosterEvents', 'deadLetter'] as const).map((k) =>
        topicName(config, k),
      ),
      fromBeginning: true,
      handleBatch: async (batch) => {
        for (const m of batch.messages) {
          stored.push({
            topic: batch.topic,
            key: m.key,
            value: JSON.parse(m.value?.toString('utf8') ?? 'null'),
          });
        }
      },
    });
    closers.push(() => consumer.stop());
    return { config, url: `http://127.0.0.1:${port}`, stored };
  })();
  return ready;
}

const ticketsOf = (env: Env, tenant: string) =>
  env.stored.filter((s) => s.topic === topicName(env.config, 'ticketEvents') && s.value.tenant === tenant);
const deadLettersOf = (env: Env, marker: string) =>
  env.stored
    .filter((s) => s.topic === topicName(env.config, 'deadLetter'))
    .map((s) => s.value as unknown as DeadLetter)
    .filter((d) => d.raw.includes(marker));

async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} };
}

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const jiraSign = (body: string, secret = secrets.JIRA_WEBHOOK_SECRET) => ({
  'x-hub-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
});
const zendeskSign = (
  body: string,
  timestamp = new Date().toISOString(),
  secret = secrets.ZENDESK_WEBHOOK_SECRET,
) => ({
  'x-zendesk-webhook-signature': createHmac('sha256', secret).update(timestamp).update(body).digest('base64'),
  'x-zendesk-webhook-signature-timestamp': timestamp,
});

function ticketEvent(tenant: string, n: number, extra: Record<string, unknown> = {}) {
  return {
    eventId: `test:ticket:T-${n}:created`,
    schemaVersion: 1,
    source: 'test',
    tenant,
    occurredAt: '2024-05-06T08:00:00Z',
    receivedAt: '2024-05-06T08:00:01Z',
    ticketId: `T-${n}`,
    type: 'ticket.created',
    customer: 'Acme',
    region: 'EMEA',
    priority: 'high',
    ...extra,
  };
}

describe('ingest gateway against the real Kafka', () => {
  it('POST /v1/events: a mixed batch is 207 with exact paths, valid events land once, a resend writes nothing', async () => {
    const env = await setUp();
    const tenant = 'batch-tenant';
    const batch = {
      events: [
        ticketEvent(tenant, 1),
        ticketEvent(tenant, 2, { priority: 5 }),
        ticketEvent(tenant, 3, { region: 42 }),
        ticketEvent(tenant, 4),
      ],
    };
    const first = await post(`${env.url}/v1/events`, JSON.stringify(batch));
    expect(first.status).toBe(207);
    expect(first.json.accepted).toBe(2);
    expect(first.json.duplicates).toBe(0);
    const rejected = first.json.rejected as {
      index: number;
      eventId: string;
      problems: { path: string }[];
    }[];
    expect(rejected.map((r) => [r.index, r.eventId, r.problems.map((p) => p.path)])).toEqual([
      [1, 'test:ticket:T-2:created', ['events[1].priority']],
      [2, 'test:ticket:T-3:created', ['events[2].region']],
    ]);

    const resend = await post(`${env.url}/v1/events`, JSON.stringify(batch));
    expect(resend.status).toBe(207);
    expect(resend.json).toMatchObject({ accepted: 0, duplicates: 2 });
    // A marker on T-1's key (same partition, written after the resend): once it is there, any
    // duplicate the resend wrote would be there too.
    const marker = ticketEvent(tenant, 1, { eventId: 'test:ticket:T-1:marker', type: 'ticket.reopened' });
    for (const k of ['customer', 'region', 'priority']) delete (marker as Record<string, unknown>)[k];
    expect((await post(`${env.url}/v1/events`, JSON.stringify([marker]))).status).toBe(200);

    const seen = await eventually(
      async () => ticketsOf(env, tenant),
      (s) => s.some((e) => e.value.eventId === 'test:ticket:T-1:marker') && s.length >= 3,
      30_000,
    );
    expect(seen.map((s) => [s.key, s.value.eventId]).sort()).toEqual([
      ['T-1', 'test:ticket:T-1:created'],
      ['T-1', 'test:ticket:T-1:marker'],
      ['T-4', 'test:ticket:T-4:created'],
    ]);
    expect(seen.find((s) => s.value.eventId === 'test:ticket:T-1:created')!.value).toEqual({
      eventId: 'test:ticket:T-1:created',
      schemaVersion: 1,
      source: 'test',
      tenant,
      occurredAt: '2024-05-06T08:00:00.000Z',
      receivedAt: '2024-05-06T08:00:01.000Z',
      ticketId: 'T-1',
      type: 'ticket.created',
      customer: 'Acme',
      region: 'EMEA',
      priority: 'high',
    });
  });

  it('POST /v1/events: field-job and roster events go to their own topics, keyed by job and agent', async () => {
    const env = await setUp();
    const tenant = 'families-tenant';
    const common = { schemaVersion: 1, source: 'test', tenant, receivedAt: '2024-05-06T09:00:00Z' };
    const job = {
      ...common,
      eventId: 'test:job:J-1:created',
      occurredAt: '2024-05-06T08:30:00Z',
      jobId: 'J-1',
      type: 'job.created',
      ticketId: 'T-1',
      site: 'Warsaw DC2',
      region: 'EMEA',
    };
    const joined = {
      ...common,
      eventId: 'test:agent:A-7:joined',
      occurredAt: '2024-05-01T00:00:00Z',
      agentId: 'A-7',
      type: 'roster.member_joined',
      team: 'emea-l2',
      region: 'EMEA',
      role: 'engineer',
      fte: 0.5,
    };
    const res = await post(`${env.url}/v1/events`, JSON.stringify([job, joined]));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const landed = await eventually(
      async () => env.stored.filter((s) => s.value.tenant === tenant),
      (s) => s.length >= 2,
      30_000,
    );
    expect(landed.map((s) => [s.topic, s.key, s.value.eventId]).sort()).toEqual([
      [topicName(env.config, 'fieldJobEvents'), 'J-1', 'test:job:J-1:created'],
      [topicName(env.config, 'rosterEvents'), 'A-7', 'test:agent:A-7:joined'],
    ]);

    const badFte = await post(`${env.url}/v1/events`, JSON.stringify({ events: [{ ...joined, fte: 1.5 }] }));
    expect(badFte.status).toBe(400);
    expect(
      (badFte.json.rejected as { problems: { path: string }[] }[])[0]!.problems.map((p) => p.path),
    ).toEqual(['events[0].fte']);
  });

  it('POST /v1/events: wrong types are 400 with paths; unknown fields are dropped, not stored', async () => {
    const env = await setUp();
    const tenant = 'types-tenant';
    const wrong = await post(
      `${env.url}/v1/events`,
      JSON.stringify([ticketEvent(tenant, 10, { occurredAt: 12345, schemaVersion: '1' })]),
    );
    expect(wrong.status).toBe(400);
    const paths = (wrong.json.rejected as { problems: { path: string }[] }[])[0]!.problems.map((p) => p.path);
    expect(paths.sort()).toEqual(['[0].occurredAt', '[0].schemaVersion']);

    const extra = await post(
      `${env.url}/v1/events`,
      JSON.stringify([ticketEvent(tenant, 11, { colour: 'blue' })]),
    );
    expect(extra.status).toBe(200);
    const seen = await eventually(
      async () => ticketsOf(env, tenant),
      (s) => s.length >= 1,
      30_000,
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.value).not.toHaveProperty('colour');
    expect(seen[0]!.value.eventId).toBe('test:ticket:T-11:created');
  });

  it('body errors: malformed JSON 400, 10 MB 413, wrong content type 415 — never 500', async () => {
    const env = await setUp();
    const bad = await post(`${env.url}/v1/events`, '{"events": [');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_json');

    const snBad = await post(
      `${env.url}/v1/webhooks/servicenow`,
      '{"table": "incident",',
      basic('baton-sn', 'sn-pass-123'),
    );
    expect(snBad.status).toBe(400);
    expect(snBad.json.error).toBe('invalid_json');
    const zdBadBody = '{not json';
    const zdBad = await post(`${env.url}/v1/webhooks/zendesk`, zdBadBody, zendeskSign(zdBadBody));
    expect(zdBad.status).toBe(400);
    expect(zdBad.json.error).toBe('invalid_json');

    const big = Buffer.alloc(10 * 1024 * 1024, 'a');
    for (const path of ['/v1/events', '/v1/webhooks/jira']) {
      const res = await post(`${env.url}${path}`, big);
      expect(res.status, path).toBe(413);
      expect(res.json.error).toBe('payload_too_large');
    }

    for (const path of ['/v1/events', '/v1/webhooks/servicenow']) {
      const res = await post(`${env.url}${path}`, 'hello', { 'content-type': 'text/plain' });
      expect(res.status, path).toBe(415);
      expect(res.json.error).toBe('unsupported_media_type');
    }
  });

  it('ServiceNow: a signed insert is stored as the expected canonical events; bad credentials are 401', async () => {
    const env = await setUp();
    const tenant = 'sn-tenant';
    const body = fixtureText('servicenow', 'insert');
    const res = await post(
      `${env.url}/v1/webhooks/servicenow?tenant=${tenant}`,
      body,
      basic('baton-sn', 'sn-pass-123'),
    );
    expect(res.status).toBe(200);
    const id = 'servicenow:ticket:9d385017c611228701d22104cc95c371';
    expect(res.json).toEqual({
      accepted: 3,
      eventIds: [`${id}:created`, `${id}:created.assigned`, `${id}:created.status`],
    });
    const seen = await eventually(
      async () => ticketsOf(env, tenant),
      (s) => s.length >= 3,
      30_000,
    );
    expect(seen.map((s) => s.key)).toEqual(['INC0010042', 'INC0010042', 'INC0010042']);
    const created = seen.find((s) => s.value.type === 'ticket.created')!.value;
    expect(created).toEqual({
      eventId: `${id}:created`,
      schemaVersion: 1,
      source: 'servicenow',
      tenant,
      occurredAt: '2024-05-06T08:15:00.000Z',
      receivedAt: created.receivedAt,
      ticketId: 'INC0010042',
      type: 'ticket.created',
      customer: 'Acme GmbH',
      region: 'EMEA',
      priority: 'medium',
      originalPriority: '3 - Moderate',
      originalRegion: 'Germany',
      site: 'Germany',
      category: 'Network',
      channel: 'phone',
      team: 'Service Desk EMEA',
      tier: 'L1',
    });
    expect(seen.find((s) => s.value.type === 'ticket.status_changed')!.value).toMatchObject({
      status: 'in_progress',
      originalStatus: 'In Progress',
    });

    const wrong = await post(`${env.url}/v1/webhooks/servicenow`, body, basic('baton-sn', 'guess'));
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({
      error: 'unauthorized',
      message: 'the ServiceNow webhook credentials are not valid',
    });
    const none = await post(`${env.url}/v1/webhooks/servicenow`, body);
    expect(none.status).toBe(401);
    expect(none.json.message).toBe('HTTP Basic credentials are required (Authorization: Basic ...)');
  });

  it('ServiceNow: an unmappable state is dead-lettered with reason and raw payload, answered 202', async () => {
    const env = await setUp();
    const body = fixtureText('servicenow', 'update-unmappable-state');
    const res = await post(`${env.url}/v1/webhooks/servicenow`, body, basic('baton-sn', 'sn-pass-123'));
    const reason =
      'unknown status "42" for source "servicenow": add it to the "status" section of that source\'s mapping';
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ deadLettered: true, reason });
    const letters = await eventually(
      async () => deadLettersOf(env, '"state": "42"'),
      (l) => l.length >= 1,
      30_000,
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      origin: { kind: 'http', ref: 'POST /v1/webhooks/servicenow', source: 'servicenow' },
      reason,
      raw: body,
      rawEncoding: 'utf8',
    });
  });

  it('Jira: a signed issue_created is stored; a wrong signature is 401; wrong types are 400 with paths', async () => {
    const env = await setUp();
    const tenant = 'jira-tenant';
    const body = fixtureText('jira', 'issue-created');
    const res = await post(`${env.url}/v1/webhooks/jira?tenant=${tenant}`, body, jiraSign(body));
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(3);
    const seen = await eventually(
      async () => ticketsOf(env, tenant),
      (s) => s.length >= 3,
      30_000,
    );
    expect(seen.map((s) => [s.key, s.value.type, s.value.eventId])).toEqual([
      ['ACME-154', 'ticket.created', 'jira:ticket:10021:created'],
      ['ACME-154', 'ticket.assigned', 'jira:ticket:10021:created.assigned'],
      ['ACME-154', 'ticket.status_changed', 'jira:ticket:10021:created.status'],
    ]);
    expect(seen[1]!.value).toMatchObject({ team: 'Service Desk APAC', region: 'APAC', tier: 'L1' });

    const forged = await post(`${env.url}/v1/webhooks/jira`, body, jiraSign(body, 'not-the-secret'));
    expect(forged.status).toBe(401);
    expect(forged.json).toEqual({
      error: 'unauthorized',
      message: 'the X-Hub-Signature does not match the body',
    });

    const typed = JSON.parse(body);
    typed.timestamp = 'yesterday';
    typed.issue.fields.status = { name: 7 };
    const typedBody = JSON.stringify(typed);
    const bad = await post(`${env.url}/v1/webhooks/jira`, typedBody, jiraSign(typedBody));
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_payload');
    expect((bad.json.details as { path: string }[]).map((d) => d.path).sort()).toEqual([
      'issue.fields.status.name',
      'timestamp',
    ]);
  });

  it('Zendesk: a signed event is stored; wrong and replayed signatures are 401; no region is dead-lettered', async () => {
    const env = await setUp();
    const tenant = 'zd-tenant';
    const body = fixtureText('zendesk', 'status-changed-solved');
    const res = await post(`${env.url}/v1/webhooks/zendesk?tenant=${tenant}`, body, zendeskSign(body));
    expect(res.status).toBe(200);
    const seen = await eventually(
      async () => ticketsOf(env, tenant),
      (s) => s.length >= 2,
      30_000,
    );
    const id = 'zendesk:ticket:5158:a8b9c1d2-3e4f-5a6b-7c8d-9e0f1a2b3c4d';
    expect(seen.map((s) => s.value)).toEqual([
      {
        eventId: `${id}.status`,
        schemaVersion: 1,
        source: 'zendesk',
        tenant,
        ticketId: '5158',
        occurredAt: '2024-05-07T16:45:20.987Z',
        receivedAt: seen[0]!.value.receivedAt,
        type: 'ticket.status_changed',
        status: 'resolved',
        originalStatus: 'SOLVED',
      },
      {
        eventId: `${id}.resolved`,
        schemaVersion: 1,
        source: 'zendesk',
        tenant,
        ticketId: '5158',
        occurredAt: '2024-05-07T16:45:20.987Z',
        receivedAt: seen[1]!.value.receivedAt,
        type: 'ticket.resolved',
      },
    ]);

    const wrong = await post(
      `${env.url}/v1/webhooks/zendesk`,
      body,
      zendeskSign(body, undefined, 'other-secret'),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.json.message).toBe('the X-Zendesk-Webhook-Signature does not match the body');
    const replayed = await post(
      `${env.url}/v1/webhooks/zendesk`,
      body,
      zendeskSign(body, new Date(Date.now() - 10 * 60_000).toISOString()),
    );
    expect(replayed.status).toBe(401);
    expect(replayed.json.message).toBe('the signature timestamp is outside the replay window of 300 seconds');

    const unmapped = fixtureText('zendesk', 'ticket-created-unknown-group');
    const dl = await post(`${env.url}/v1/webhooks/zendesk`, unmapped, zendeskSign(unmapped));
    expect(dl.status).toBe(202);
    expect(dl.json).toEqual({
      deadLettered: true,
      reason: 'no region value and no default for source "zendesk"',
    });
    const letters = await eventually(
      async () => deadLettersOf(env, 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6'),
      (l) => l.length >= 1,
      30_000,
    );
    expect(letters[0]).toMatchObject({
      reason: dl.json.reason,
      raw: unmapped,
      origin: { source: 'zendesk' },
    });
  });

  it('Kafka unavailable: 503 with Retry-After, quickly, never 500; an unconfigured webhook is 404 naming its setting', async () => {
    await setUp();
    const config = isolatedConfig('gateway_down', {
      KAFKA_BROKERS: ['127.0.0.1:1'],
      SERVICENOW_WEBHOOK_USER: secrets.SERVICENOW_WEBHOOK_USER,
      SERVICENOW_WEBHOOK_PASSWORD: secrets.SERVICENOW_WEBHOOK_PASSWORD,
      LOG_LEVEL: 'silent',
    });
    const logger = testLogger(config, 'gateway-down');
    const bus = createMessageBus(config, logger, { retries: 0, connectionTimeoutMs: 1_000 });
    const sink = createEventSink(config, bus, logger);
    const app = await buildGateway({ config, sink, mappings: fixtureMappings(), logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(
      () => app.close(),
      () => sink.close(),
      () => bus.close(),
    );
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const started = Date.now();
    const events = await post(`${url}/v1/events`, JSON.stringify([ticketEvent('down', 1)]));
    expect(events.status).toBe(503);
    expect(events.headers.get('retry-after')).toBe('5');
    expect(events.json.error).toBe('unavailable');
    const sn = await post(
      `${url}/v1/webhooks/servicenow`,
      fixtureText('servicenow', 'insert'),
      basic('baton-sn', 'sn-pass-123'),
    );
    expect(sn.status).toBe(503);
    expect(sn.headers.get('retry-after')).toBe('5');
    const dl = await post(
      `${url}/v1/webhooks/servicenow`,
      fixtureText('servicenow', 'update-unmappable-state'),
      basic('baton-sn', 'sn-pass-123'),
    );
    expect(dl.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(15_000);

    const jira = await post(`${url}/v1/webhooks/jira`, '{}');
    expect(jira.status).toBe(404);
    expect(jira.json).toEqual({
      error: 'webhook_disabled',
      message: 'the Jira webhook is not enabled: set JIRA_WEBHOOK_SECRET',
    });
  });
});
