import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../api/main.js';
import { type AlertRule, parseAlertRules } from '../../core/alert-rules.js';
import { createApiKey } from '../../core/api-keys.js';
import { createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { allTopics, topicName } from '../../core/topics.js';
import { fixtureMappings } from '../../ingest/connectors/shared/fixture-mappings.js';
import { fixtureText } from '../../ingest/connectors/shared/fixtures.js';
import { buildGateway, type Gateway } from '../../ingest/gateway/app.js';
import { startGateway } from '../../ingest/main.js';
import { createEventSink } from '../../ingest/sink.js';
import { migrateDatabase } from '../../sql/migrate.js';
import { type AlertState, step } from '../../transforms/alerts/lifecycle.js';
import { startTransforms } from '../../transforms/main.js';
import { eventually, isolatedConfig, testLogger } from '../helpers/services.js';

// Guarantee 7 beyond the API's own key matrix (test/integration/api-auth): the vendor webhooks'
// signatures and replay window, refused wrong, expired and missing, with nothing of a refused
// request reaching Kafka; no configured secret in any log line of the gateway, the transforms and
// the API running at debug level through successes and failures; and no high or critical
// advisory against a production dependency.

const secret = (name: string) => `${name}-${randomBytes(9).toString('base64url')}`;

// ---------------------------------------------------------------------------------------------
describe('vendor webhook signatures and replay window', () => {
  const NOW = Date.parse('2026-06-01T12:00:00Z');
  const creds = {
    JIRA_WEBHOOK_SECRET: secret('jira'),
    ZENDESK_WEBHOOK_SECRET: secret('zendesk'),
    SERVICENOW_WEBHOOK_USER: 'baton-sn',
    SERVICENOW_WEBHOOK_PASSWORD: secret('sn'),
  };
  let config: Config;
  let bus: MessageBus;
  let app: Gateway;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    config = isolatedConfig('webhook_auth', { ...creds, ZENDESK_REPLAY_WINDOW_SECONDS: 300 });
    const logger = testLogger(config, 'webhook-auth');
    bus = createMessageBus(config, logger, { retries: 2 });
    await bus.ensureTopics(allTopics(config));
    const sink = createEventSink(config, bus, logger);
    app = await buildGateway({ config, sink, mappings: fixtureMappings(), logger, now: () => NOW });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    close = async () => {
      await app.close();
      await sink.close();
      await bus.deleteTopics(allTopics(config).map((t) => t.name));
      await bus.close();
    };
  });
  afterAll(async () => close?.());

  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    return { status: res.status, json: (await res.json()) as { error?: string; message?: string } };
  };
  const hubSig = (body: string, key = creds.JIRA_WEBHOOK_SECRET) =>
    `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  const zdSig = (body: string, timestamp: string, key = creds.ZENDESK_WEBHOOK_SECRET) =>
    createHmac('sha256', key).update(timestamp).update(body).digest('base64');
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('Jira: missing, malformed, forged and body-swapped signatures are 401; the right one is 200', async () => {
    const body = fixtureText('jira', 'issue-created');
    const other = fixtureText('jira', 'issue-updated-resolved');
    const refused: [Record<string, string>, string][] = [
      [{}, 'the X-Hub-Signature header is required (sha256=<hex HMAC of the body>)'],
      [
        { 'x-hub-signature': 'sha1=0123' },
        'the X-Hub-Signature header is not of the form sha256=<64 hex digits>',
      ],
      [
        { 'x-hub-signature': creds.JIRA_WEBHOOK_SECRET },
        'the X-Hub-Signature header is not of the form sha256=<64 hex digits>',
      ],
      [{ 'x-hub-signature': hubSig(body, 'guessed') }, 'the X-Hub-Signature does not match the body'],
      [{ 'x-hub-signature': hubSig(other) }, 'the X-Hub-Signature does not match the body'],
      [{ 'x-hub-signature': hubSig(`${body} `) }, 'the X-Hub-Signature does not match the body'],
    ];
    for (const [headers, message] of refused) {
      const res = await post('/v1/webhooks/jira?tenant=sig-jira', body, headers);
      expect([res.status, res.json], JSON.stringify(headers)).toEqual([
        401,
        { error: 'unauthorized', message },
      ]);
    }
    const ok = await post('/v1/webhooks/jira?tenant=sig-jira', body, {
      'x-hub-signature': hubSig(body).toUpperCase().replace('SHA256', 'sha256'),
    });
    expect(ok.status).toBe(200);
  });

  it('Zendesk: missing parts, forged, body-swapped, expired, future and undated signatures are 401; inside the window is 200', async () => {
    const body = fixtureText('zendesk', 'status-changed-solved');
    const iso = (offsetSeconds: number) => new Date(NOW + offsetSeconds * 1000).toISOString();
    const required =
      'the X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp headers are required';
    const mismatch = 'the X-Zendesk-Webhook-Signature does not match the body';
    const window = 'the signature timestamp is outside the replay window of 300 seconds';
    const h = (signature: string | undefined, timestamp: string | undefined): Record<string, string> => ({
      ...(signature !== undefined ? { 'x-zendesk-webhook-signature': signature } : {}),
      ...(timestamp !== undefined ? { 'x-zendesk-webhook-signature-timestamp': timestamp } : {}),
    });
    const refused: [Record<string, string>, string][] = [
      [h(undefined, undefined), required],
      [h(zdSig(body, iso(0)), undefined), required],
      [h(undefined, iso(0)), required],
      [h(zdSig(body, iso(0), 'guessed'), iso(0)), mismatch],
      [h(zdSig('{}', iso(0)), iso(0)), mismatch],
      // signed for one instant, presented with another: the timestamp is part of what is signed
      [h(zdSig(body, iso(-600)), iso(0)), mismatch],
      [h(zdSig(body, iso(-301)), iso(-301)), window],
      [h(zdSig(body, iso(301)), iso(301)), window],
      [h(zdSig(body, String(Math.floor(NOW / 1000) - 3600)), String(Math.floor(NOW / 1000) - 3600)), window],
      [
        h(zdSig(body, 'yesterday'), 'yesterday'),
        'the X-Zendesk-Webhook-Signature-Timestamp is not a date-time',
      ],
    ];
    for (const [headers, message] of refused) {
      const res = await post('/v1/webhooks/zendesk?tenant=sig-zd', body, headers);
      expect([res.status, res.json], JSON.stringify(headers)).toEqual([
        401,
        { error: 'unauthorized', message },
      ]);
    }
    for (const at of [iso(-300), iso(0), iso(299), String(Math.floor(NOW / 1000) - 60)]) {
      const res = await post('/v1/webhooks/zendesk?tenant=sig-zd', body, h(zdSig(body, at), at));
      expect(res.status, at).toBe(200);
    }
  });

  it('ServiceNow: missing, non-Basic, malformed, wrong user and wrong password are 401; the right pair is 200', async () => {
    const body = fixtureText('servicenow', 'insert');
    const invalid = 'the ServiceNow webhook credentials are not valid';
    const refused: [Record<string, string>, string][] = [
      [{}, 'HTTP Basic credentials are required (Authorization: Basic ...)'],
      [
        { authorization: `Bearer ${creds.SERVICENOW_WEBHOOK_PASSWORD}` },
        'the Authorization header is not HTTP Basic',
      ],
      [
        { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
        'the Basic credentials are malformed',
      ],
      [{ authorization: basic('someone', creds.SERVICENOW_WEBHOOK_PASSWORD) }, invalid],
      [{ authorization: basic(creds.SERVICENOW_WEBHOOK_USER, 'guessed') }, invalid],
      [
        { authorization: basic(creds.SERVICENOW_WEBHOOK_USER, `${creds.SERVICENOW_WEBHOOK_PASSWORD}x`) },
        invalid,
      ],
      [{ authorization: basic(creds.SERVICENOW_WEBHOOK_USER, '') }, invalid],
    ];
    for (const [headers, message] of refused) {
      const res = await post('/v1/webhooks/servicenow?tenant=sig-sn', body, headers);
      expect([res.status, res.json], JSON.stringify(headers)).toEqual([
        401,
        { error: 'unauthorized', message },
      ]);
    }
    const ok = await post('/v1/webhooks/servicenow?tenant=sig-sn', body, {
      authorization: basic(creds.SERVICENOW_WEBHOOK_USER, creds.SERVICENOW_WEBHOOK_PASSWORD),
    });
    expect(ok.status).toBe(200);
  });

  it('nothing of a refused request reached Kafka: only the accepted deliveries are on the topics', async () => {
    // Accepted: Jira 1 delivery (3 events), Zendesk 4 deliveries of the same change (2 events each,
    // same ids), ServiceNow 1 (3 events).
    const read = async () => {
      const seen: { tenant: string; eventId: string }[] = [];
      for (const key of ['ticketEvents', 'deadLetter'] as const) {
        await bus.readTopic(topicName(config, key), (m) => {
          const v = JSON.parse(m.value!.toString('utf8')) as { tenant?: string; eventId?: string };
          seen.push({ tenant: v.tenant ?? `dead-letter:${key}`, eventId: v.eventId ?? '' });
        });
      }
      return seen;
    };
    const seen = await eventually(read, (s) => s.length >= 14, 30_000, 500);
    const count = (t: string) => seen.filter((s) => s.tenant === t).length;
    expect([count('sig-jira'), count('sig-zd'), count('sig-sn'), seen.length]).toEqual([3, 8, 3, 14]);
    expect(new Set(seen.filter((s) => s.tenant === 'sig-zd').map((s) => s.eventId)).size).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
describe('no secret in any log line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-secrets-'));
  const logFile = join(dir, 'baton.log');
  const s = {
    jira: secret('jira'),
    zendesk: secret('zendesk'),
    snWebhook: secret('snhook'),
    clickhouse: secret('chpass'),
    ingestKey: secret('ingestkey'),
    snPassword: secret('snpoll'),
    snToken: secret('sntoken'),
    smtp: secret('smtp'),
    receiverHeader: secret('rcvhdr'),
    receiverUrlToken: secret('rcvurl'),
  };
  let apiKey = '';
  let ingestScopedKey = '';
  const cleanups: (() => Promise<unknown>)[] = [];
  let hookServer: Server;

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gateway, transforms and API at debug level, through successes and failures, never log a secret', async () => {
    // A receiver that fails every delivery, so the notifier logs its failures.
    hookServer = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 500;
        res.end('no');
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    cleanups.push(async () => hookServer.close());
    const hookAddress = hookServer.address();
    const hookPort = typeof hookAddress === 'object' && hookAddress ? hookAddress.port : 0;
    const receiversFile = join(dir, 'receivers.json');
    writeFileSync(
      receiversFile,
      JSON.stringify({
        receivers: [
          {
            id: 'hook',
            type: 'webhook',
            url: `http://127.0.0.1:${hookPort}/alerts?token=${s.receiverUrlToken}`,
            headers: { authorization: `Bearer ${s.receiverHeader}` },
          },
          {
            id: 'mail',
            type: 'email',
            smtp: { host: '127.0.0.1', port: 1, user: 'ops', pass: s.smtp },
            from: 'baton@example.org',
            to: ['ops@example.org'],
          },
        ],
        retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20, timeoutMs: 2_000 },
      }),
    );
    const keysFile = join(dir, 'api-keys.json');
    apiKey = createApiKey(keysFile, { id: 'reader', scopes: ['read'] }).key;
    ingestScopedKey = createApiKey(keysFile, { id: 'writer', scopes: ['ingest'] }).key;

    const config = isolatedConfig('secrets', {
      LOG_LEVEL: 'debug',
      JIRA_WEBHOOK_SECRET: s.jira,
      ZENDESK_WEBHOOK_SECRET: s.zendesk,
      SERVICENOW_WEBHOOK_USER: 'baton-sn',
      SERVICENOW_WEBHOOK_PASSWORD: s.snWebhook,
      CLICKHOUSE_PASSWORD: s.clickhouse,
      INGEST_API_KEYS: [s.ingestKey],
      SERVICENOW_USER: 'poller',
      SERVICENOW_PASSWORD: s.snPassword,
      SERVICENOW_TOKEN: s.snToken,
      ALERT_RECEIVERS_FILE: receiversFile,
      API_KEYS_FILE: keysFile,
      INGEST_PORT: 0,
      API_PORT: 0,
    });
    const logger: Logger = createLogger(config, 'baton', logFile);
    // What a process logs about its own configuration at start-up must be redacted too.
    logger.debug({ config }, 'configuration');
    await migrateDatabase(config, logger);
    const transforms = await startTransforms(config, logger);
    cleanups.push(() => transforms.stop());
    const gateway = await startGateway(config, logger);
    cleanups.push(() => gateway.stop());
    const api = await startApi(config, logger);
    cleanups.push(() => api.stop());
    cleanups.push(async () => {
      const bus = createMessageBus(config, testLogger(config, 'secrets-cleanup'));
      await bus.deleteTopics(allTopics(config).map((t) => t.name));
      await bus.close();
      const ch = createClickHouse(config);
      await ch.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
      await ch.close();
    });

    const call = async (base: string, path: string, init: RequestInit = {}) => {
      const res = await fetch(`${base}${path}`, init);
      await res.arrayBuffer();
      return res.status;
    };
    const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
    const event = (n: number, extra: Record<string, unknown> = {}) => ({
      eventId: `sec:ticket:S-${n}:0`,
      schemaVersion: 1,
      source: 'sec',
      tenant: 'sec',
      ticketId: `S-${n}`,
      occurredAt: '2026-06-01T08:00:00Z',
      receivedAt: '2026-06-01T08:00:00Z',
      type: 'ticket.created',
      customer: 'Acme',
      region: 'EMEA',
      priority: 'high',
      ...extra,
    });
    const statuses: Record<string, number> = {};
    const g = gateway.url;
    statuses.ingestOk = await call(
      g,
      '/v1/events',
      json([event(1)], { authorization: `Bearer ${s.ingestKey}` }),
    );
    statuses.ingestHeader = await call(g, '/v1/events', json([event(2)], { 'x-api-key': ingestScopedKey }));
    statuses.ingestWrongKey = await call(
      g,
      '/v1/events',
      json([event(3)], { authorization: `Bearer ${s.ingestKey}x` }),
    );
    statuses.ingestReadKey = await call(
      g,
      '/v1/events',
      json([event(3)], { authorization: `Bearer ${apiKey}` }),
    );
    statuses.ingestBad = await call(
      g,
      '/v1/events',
      json([event(4, { priority: 5 })], { authorization: `Bearer ${s.ingestKey}` }),
    );
    statuses.ingestBadJson = await call(
      g,
      '/v1/events',
      json('{"events": [', { authorization: `Bearer ${s.ingestKey}` }),
    );
    const jiraBody = fixtureText('jira', 'issue-created');
    statuses.jiraOk = await call(
      g,
      '/v1/webhooks/jira?tenant=sec',
      json(jiraBody, {
        'x-hub-signature': `sha256=${createHmac('sha256', s.jira).update(jiraBody).digest('hex')}`,
      }),
    );
    statuses.jiraForged = await call(
      g,
      '/v1/webhooks/jira?tenant=sec',
      json(jiraBody, { 'x-hub-signature': `sha256=${'0'.repeat(64)}` }),
    );
    const zdBody = fixtureText('zendesk', 'ticket-created-unknown-group');
    const ts = new Date().toISOString();
    statuses.zendeskDeadLetter = await call(
      g,
      '/v1/webhooks/zendesk?tenant=sec',
      json(zdBody, {
        'x-zendesk-webhook-signature': createHmac('sha256', s.zendesk)
          .update(ts)
          .update(zdBody)
          .digest('base64'),
        'x-zendesk-webhook-signature-timestamp': ts,
      }),
    );
    const basic = (pw: string) => `Basic ${Buffer.from(`baton-sn:${pw}`).toString('base64')}`;
    statuses.snOk = await call(
      g,
      '/v1/webhooks/servicenow?tenant=sec',
      json(fixtureText('servicenow', 'insert'), { authorization: basic(s.snWebhook) }),
    );
    statuses.snWrong = await call(
      g,
      '/v1/webhooks/servicenow?tenant=sec',
      json(fixtureText('servicenow', 'insert'), { authorization: basic(`${s.snWebhook}-old`) }),
    );
    statuses.snUnmappable = await call(
      g,
      '/v1/webhooks/servicenow?tenant=sec',
      json(fixtureText('servicenow', 'update-unmappable-state'), { authorization: basic(s.snWebhook) }),
    );

    const a = api.url;
    const read = { authorization: `Bearer ${apiKey}` };
    statuses.apiOk = await call(
      a,
      '/v1/metrics/backlog?interval=day&from=2026-06-01T00:00:00Z&to=2026-06-03T00:00:00Z',
      { headers: read },
    );
    statuses.apiXKey = await call(a, '/v1/alerts', { headers: { 'x-api-key': apiKey } });
    statuses.apiBad = await call(a, '/v1/metrics/backlog?interval=fortnight', { headers: read });
    statuses.apiWrongKey = await call(a, '/v1/alerts', { headers: { authorization: `Bearer ${apiKey}x` } });
    statuses.apiWrongScope = await call(a, '/v1/alerts', {
      headers: { authorization: `Bearer ${ingestScopedKey}` },
    });
    statuses.apiReady = await call(a, '/readyz');

    // Failures of the stores: an API whose ClickHouse is gone, a gateway whose Kafka is gone.
    const downApi = await startApi(
      { ...config, CLICKHOUSE_URL: 'http://127.0.0.1:1', API_READY_TIMEOUT_MS: 500 },
      logger,
    );
    cleanups.push(() => downApi.stop());
    statuses.apiChDown = await call(downApi.url, '/v1/alerts', { headers: read });
    statuses.apiChDownReady = await call(downApi.url, '/readyz');
    const downGateway = await startGateway({ ...config, KAFKA_BROKERS: ['127.0.0.1:1'] }, logger);
    cleanups.push(() => downGateway.stop());
    statuses.ingestKafkaDown = await call(
      downGateway.url,
      '/v1/events',
      json([event(5)], { authorization: `Bearer ${s.ingestKey}` }),
    );

    // Alert deliveries that fail: the webhook answers 500, the SMTP port is closed.
    const [rule] = parseAlertRules([
      { id: 'gap', kind: 'backlog_outpacing_headcount', severity: 'critical', params: { gapPp: 10 } },
    ]) as [AlertRule];
    const firing = step(
      rule,
      undefined,
      {
        group: { tenant: 'sec', region: 'EMEA' },
        active: true,
        value: 25,
        threshold: 10,
        numbers: { gap_pp: 25 },
        summary: 'gap',
      },
      Date.parse('2026-06-01T00:00:00Z'),
    ) as AlertState;
    transforms.alerts!.notifier.notify(firing, 'security test');
    await transforms.alerts!.notifier.flush();
    expect(
      transforms
        .alerts!.notifier.results()
        .map((r) => [r.receiver, r.ok])
        .sort(),
    ).toEqual([
      ['hook', false],
      ['mail', false],
    ]);

    expect(statuses).toEqual({
      ingestOk: 200,
      ingestHeader: 200,
      ingestWrongKey: 401,
      ingestReadKey: 403,
      ingestBad: 400,
      ingestBadJson: 400,
      // signed right; the built-in mappings know none of the fixture's teams: dead-lettered
      jiraOk: 202,
      jiraForged: 401,
      zendeskDeadLetter: 202,
      snOk: 200,
      snWrong: 401,
      snUnmappable: 202,
      apiOk: 200,
      apiXKey: 200,
      apiBad: 400,
      apiWrongKey: 401,
      apiWrongScope: 403,
      apiReady: 200,
      apiChDown: statuses.apiChDown! >= 500 ? statuses.apiChDown : 'a 5xx',
      apiChDownReady: 503,
      ingestKafkaDown: 503,
    });
    // Let the transforms process (and log at debug) what came in before reading the log.
    await new Promise((r) => setTimeout(r, 3_000));
    await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));

    const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    // The log really covers all three services, at debug level, and their failures.
    const text = lines.join('\n');
    for (const component of [
      '"component":"ingest"',
      '"component":"transforms"',
      '"component":"api"',
      '"component":"alert-notifier"',
    ]) {
      expect(text, component).toContain(component);
    }
    expect(lines.some((l) => l.includes('"level":20'))).toBe(true);
    expect(lines.some((l) => l.includes('"level":50') || l.includes('"level":40'))).toBe(true);

    const forms = (v: string) => [v, Buffer.from(v).toString('base64'), encodeURIComponent(v)];
    const needles: [string, string][] = [
      ...Object.entries(s).flatMap(([name, v]) => forms(v).map((f) => [name, f] as [string, string])),
      ['api key', apiKey],
      ['ingest-scoped key', ingestScopedKey],
      ['servicenow webhook basic', Buffer.from(`baton-sn:${s.snWebhook}`).toString('base64')],
    ];
    const leaks = needles.flatMap(([name, needle]) =>
      lines.filter((l) => l.includes(needle)).map((l) => `${name}: ${l.slice(0, 300)}`),
    );
    expect(leaks, `${lines.length} log lines`).toEqual([]);
    expect(lines.length).toBeGreaterThan(30);
  });
});

// ---------------------------------------------------------------------------------------------
describe('production dependencies', () => {
  it('npm audit --omit=dev reports no high or critical advisory (or says why it could not ask)', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) => {
      execFile(
        'npm',
        ['audit', '--omit=dev', '--audit-level=high', '--json'],
        { cwd: root, timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
        (err, out) => resolve({ stdout: out, code: err ? Number((err as { code?: number }).code ?? 1) : 0 }),
      );
    });
    let report: {
      metadata?: { vulnerabilities?: Record<string, number> };
      vulnerabilities?: Record<string, { severity: string; via: unknown[] }>;
      statusCode?: number;
      message?: string;
      error?: { summary?: string };
    };
    try {
      report = JSON.parse(stdout);
    } catch {
      throw new Error(`npm audit did not answer in JSON (exit ${code}): ${stdout.slice(0, 500)}`);
    }
    const counts = report.metadata?.vulnerabilities;
    if (!counts) {
      // The registry did not answer the audit request (e.g. a mirror without the advisory endpoint):
      // nothing could be checked, which is reported, not counted as a finding.
      const why = report.message ?? report.error?.summary ?? `exit ${code}`;
      console.warn(`npm audit could not be answered by the registry, no advisory was checked: ${why}`);
      expect(
        report.statusCode ?? report.message,
        'an answer that is neither a report nor an error',
      ).toBeDefined();
      return;
    }
    const serious = Object.entries(report.vulnerabilities ?? {})
      .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
      .map(([name, v]) => `${name} (${v.severity})`);
    expect(serious, `npm audit: ${JSON.stringify(counts)}`).toEqual([]);
    expect((counts.high ?? 0) + (counts.critical ?? 0)).toBe(0);
  });
});
