import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/app.js';
import { loadAlertRules } from '../../core/alert-rules.js';
import { createDemoKeyFile } from '../../core/api-keys.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { eventId, type RosterEvent, type TicketEvent } from '../../core/events/index.js';
import type { RunningConsumer } from '../../core/kafka.js';
import { readQuery } from '../../core/queries.js';
import { topicName } from '../../core/topics.js';
import { renderAlertRuleSql } from '../../dashboards/alert-rules.js';
import { alertRow } from '../../transforms/alerts/evaluator.js';
import { type Alerting, startAlerting } from '../../transforms/alerts/index.js';
import type { AlertState } from '../../transforms/alerts/lifecycle.js';
import type { AlertNotification } from '../../transforms/alerts/notify.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The alert engine through the real pipeline: roster and ticket events → Kafka → transforms →
// ClickHouse → the evaluator (at an injected clock) → the alerts table, the alerts topic, the
// receivers (a local HTTP server for the webhook, Slack and Teams receivers, a tiny SMTP server for
// email) and GET /v1/alerts.
//
// The scenario, worked out by hand (7-day window ending at the evaluation instant; T = 2026-06-01):
//   APAC  backlog 200 (created 05-10) → 260 (+60 on 05-29): +30 %; headcount 40 → 42 (+2 on 05-28): +5 %
//         gap 25 pp > 10 pp, backlog 260 ≥ 50: the alert (forEvaluations 2: pending at T, firing at T+5m)
//         then 10 more join at T+12m: headcount 40 → 52: +30 %, gap 0 pp: resolved at T+15m
//   EMEA  backlog 100 → 120: +20 %; headcount 10 → 12: +20 %; gap 0 pp: nothing
//   AMER  backlog 5 → 15: +200 %; headcount 2 → 2: gap 200 pp but backlog 15 < 50: nothing
// Ticket events come from source `desk` (last received T−1m), roster events from `hr` (last
// received T+12m): with a 60-minute silence threshold both are silent at T+90m, neither before.

const TENANT = 'acme';
const T = Date.parse('2026-06-01T00:00:00.000Z');
const MIN = 60_000;
const at = (iso: string) => new Date(iso).toISOString();

function roster(): RosterEvent[] {
  const out: RosterEvent[] = [];
  const join = (agentId: string, when: string, region: string, receivedAt = T - MIN) =>
    out.push({
      eventId: eventId('hr', 'agent', agentId, '0'),
      schemaVersion: 1,
      source: 'hr',
      tenant: TENANT,
      agentId,
      occurredAt: when,
      receivedAt: new Date(receivedAt).toISOString(),
      type: 'roster.member_joined',
      team: `${region.toLowerCase()}-l1`,
      region,
      role: 'engineer',
      fte: 1,
    });
  for (let i = 1; i <= 40; i++) join(`A${i}`, at('2026-04-01T09:00:00Z'), 'APAC');
  for (let i = 1; i <= 2; i++) join(`N${i}`, at('2026-05-28T09:00:00Z'), 'APAC');
  for (let i = 1; i <= 10; i++) join(`E${i}`, at('2026-04-01T09:00:00Z'), 'EMEA');
  for (let i = 1; i <= 2; i++) join(`F${i}`, at('2026-05-28T09:00:00Z'), 'EMEA');
  for (let i = 1; i <= 2; i++) join(`X${i}`, at('2026-04-01T09:00:00Z'), 'AMER');
  return out;
}

/** Ten APAC engineers joining at T+12m: headcount catches up with the backlog. */
function catchUp(): RosterEvent[] {
  return Array.from({ length: 10 }, (_, i) => ({
    eventId: eventId('hr', 'agent', `C${i + 1}`, '0'),
    schemaVersion: 1 as const,
    source: 'hr',
    tenant: TENANT,
    agentId: `C${i + 1}`,
    occurredAt: new Date(T + 12 * MIN).toISOString(),
    receivedAt: new Date(T + 12 * MIN).toISOString(),
    type: 'roster.member_joined' as const,
    team: 'apac-l1',
    region: 'APAC',
    role: 'engineer',
    fte: 1,
  }));
}

function tickets(): TicketEvent[] {
  const out: TicketEvent[] = [];
  let seq = 0;
  const open = (region: string, when: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const id = `${region}-${++seq}`;
      out.push({
        eventId: eventId('desk', 'ticket', id, '0'),
        schemaVersion: 1,
        source: 'desk',
        tenant: TENANT,
        ticketId: id,
        occurredAt: when,
        receivedAt: new Date(T - MIN).toISOString(),
        type: 'ticket.created',
        customer: 'cust',
        region,
        priority: 'low',
        team: `${region.toLowerCase()}-l1`,
      } as TicketEvent);
    }
  };
  open('APAC', at('2026-05-10T06:00:00Z'), 200);
  open('APAC', at('2026-05-29T06:00:00Z'), 60);
  open('EMEA', at('2026-05-10T06:00:00Z'), 100);
  open('EMEA', at('2026-05-29T06:00:00Z'), 20);
  open('AMER', at('2026-05-10T06:00:00Z'), 5);
  open('AMER', at('2026-05-29T06:00:00Z'), 10);
  return out;
}

const rules = [
  {
    id: 'gap-7d',
    title: 'Backlog outpacing headcount',
    kind: 'backlog_outpacing_headcount',
    severity: 'critical',
    labels: { team: 'ops' },
    forEvaluations: 2,
    cooldownMinutes: 60,
    params: { windowDays: 7, gapPp: 10, minBacklog: 50 },
  },
  // Thresholds this data never reaches: their queries run at every evaluation and must not fail.
  { id: 'sla-surge', kind: 'sla_risk_surge', params: { minTickets: 100_000 } },
  { id: 'pickup', kind: 'handover_pickup_p90', params: { targetMinutes: 60 } },
  { id: 'escalations', kind: 'escalation_rate_spike', params: { spikePp: 10 } },
  {
    id: 'silent',
    kind: 'source_silent',
    severity: 'critical',
    params: { silentMinutes: 60, lookbackHours: 720, families: ['ticket', 'roster'] },
  },
];

// ---- receivers ---------------------------------------------------------------------------------

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}
const received: Received[] = [];
let http: Server;
let base: string;

function startHttpReceiver(): Promise<void> {
  http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString()),
      });
      // `broken` always fails: its retries must not hold anything else up.
      res.statusCode = req.url === '/broken' ? 503 : 200;
      res.end(req.url === '/slack' ? 'ok' : '1');
    });
  });
  return new Promise((resolve) =>
    http.listen(0, '127.0.0.1', () => {
      const a = http.address();
      base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
      resolve();
    }),
  );
}

interface Mail {
  from: string;
  to: string[];
  data: string;
}
const mails: Mail[] = [];
let smtp: TcpServer;
let smtpPort = 0;

/** Just enough SMTP (RFC 5321) for nodemailer: greeting, EHLO, MAIL, RCPT, DATA, QUIT. */
function startSmtpReceiver(): Promise<void> {
  smtp = createTcpServer((sock) => {
    sock.write('220 test ESMTP ready\r\n');
    let buf = '';
    let inData = false;
    let mail: Mail = { from: '', to: [], data: '' };
    sock.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mails.push({ ...mail, data: buf.slice(0, end) });
          buf = buf.slice(end + 5);
          inData = false;
          sock.write('250 2.0.0 queued\r\n');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') sock.write('250-test greets you\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO' || verb === 'RSET' || verb === 'NOOP') sock.write('250 OK\r\n');
        else if (verb === 'MAIL') {
          mail = { from: line, to: [], data: '' };
          sock.write('250 OK\r\n');
        } else if (verb === 'RCPT') {
          mail.to.push(line);
          sock.write('250 OK\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          sock.write('354 end with <CRLF>.<CRLF>\r\n');
        } else if (verb === 'QUIT') sock.end('221 bye\r\n');
        else sock.write('502 5.5.2 not implemented\r\n');
      }
    });
    sock.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    smtp.listen(0, '127.0.0.1', () => {
      const a = smtp.address();
      smtpPort = typeof a === 'object' && a ? a.port : 0;
      resolve();
    }),
  );
}

/** A quoted-printable body (RFC 2045) as text. */
function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

// ---- the pipeline --------------------------------------------------------------------------------

let dir: string;
let pipe: TestPipeline;
let clock = T;
let alerting: Alerting;
let topicReader: RunningConsumer;
const topicMessages: { key: string | null; value: Record<string, unknown> }[] = [];

beforeAll(async () => {
  await Promise.all([startHttpReceiver(), startSmtpReceiver()]);
  dir = mkdtempSync(join(tmpdir(), 'baton-alerts-'));
  writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules));
  writeFileSync(
    join(dir, 'receivers.json'),
    JSON.stringify({
      receivers: [
        {
          id: 'hook',
          type: 'webhook',
          url: `${base}/hook`,
          headers: { authorization: 'Bearer hook-secret' },
        },
        { id: 'slack', type: 'slack', url: `${base}/slack` },
        { id: 'teams', type: 'teams', url: `${base}/teams` },
        {
          id: 'teams-legacy',
          type: 'teams',
          format: 'messagecard',
          url: `${base}/teams-legacy`,
          match: { rules: ['gap-7d'] },
        },
        { id: 'broken', type: 'webhook', url: `${base}/broken` },
        {
          id: 'mail',
          type: 'email',
          smtp: { host: '127.0.0.1', port: smtpPort },
          from: 'baton@example.test',
          to: ['ops@example.test'],
          match: { rules: ['gap-7d'] },
        },
      ],
      retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 100, timeoutMs: 5_000 },
    }),
  );
  const keys = createDemoKeyFile(join(dir, 'keys.json'), ['read']);
  apiKey = keys.key;
  pipe = await startPipeline('e2e_alerts', {
    now: () => clock,
    overrides: {
      ALERT_RULES_FILE: join(dir, 'rules.json'),
      ALERT_RECEIVERS_FILE: join(dir, 'receivers.json'),
      // The test drives every evaluation itself.
      ALERT_EVALUATION_INTERVAL_SECONDS: 86_400,
      API_KEYS_FILE: keys.file,
    },
  });
  alerting = pipe.transforms.alerts!;
  topicReader = await pipe.bus.runConsumer({
    groupId: `${pipe.config.TRANSFORM_GROUP_ID}.alerts-reader`,
    topics: [topicName(pipe.config, 'alerts')],
    handleBatch: async (batch) => {
      for (const m of batch.messages)
        topicMessages.push({ key: m.key, value: JSON.parse(m.value?.toString() ?? 'null') });
    },
  });
  const r = roster();
  const t = tickets();
  await pipe.sink.emit([...r, ...t]);
  await figuresAt(
    T,
    (x) => x.APAC?.backlog_end === 260 && x.APAC?.headcount_end === 42 && x.AMER?.backlog_end === 15,
  );
}, 180_000);

afterAll(async () => {
  await topicReader?.stop();
  await alerting?.stop();
  await pipe?.close();
  http?.close();
  smtp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let apiKey = '';

interface Figures {
  backlog_start: number;
  backlog_end: number;
  headcount_start: number;
  headcount_end: number;
  gap_pp: number | null;
}

/** backlog-vs-headcount per region at `ms`, once the derived tables show what `done` expects. */
async function figuresAt(ms: number, done: (f: Record<string, Figures>) => boolean) {
  const read = async () => {
    const rs = await pipe.ch.query({
      query: readQuery('backlog-vs-headcount'),
      query_params: { tenant: TENANT, region: '', team: '', at: toClickHouseTime(ms), window_days: 7 },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<Figures & { region: string }>();
    return Object.fromEntries(
      rows.map((r) => [
        r.region,
        { ...r, backlog_start: Number(r.backlog_start), backlog_end: Number(r.backlog_end) },
      ]),
    ) as Record<string, Figures>;
  };
  const got = await eventually(read, done, 90_000);
  expect(done(got)).toBe(true);
  return got;
}

async function evaluateAt(ms: number) {
  clock = ms;
  const result = await alerting.evaluator.evaluateOnce();
  expect(result.errors).toEqual([]);
  await alerting.notifier.flush();
  return result;
}

const brief = (s: AlertState) => [s.ruleId, s.group.region ?? s.group.source, s.state];
const hooks = (path: string) => received.filter((r) => r.path === path);
const hookBodies = () => hooks('/hook').map((r) => r.body as AlertNotification);

describe('alerts through the real pipeline', () => {
  it('APAC backlog +30 % against headcount +5 % goes pending, then fires exactly once; EMEA (+20 %/+20 %) and small AMER stay quiet', async () => {
    // The figures the evaluator sees, as worked out by hand at the top of this file.
    const f = await figuresAt(T, () => true);
    const pick = (x: Figures | undefined) =>
      x && [x.backlog_start, x.backlog_end, x.headcount_start, x.headcount_end, x.gap_pp];
    expect(pick(f.APAC)).toEqual([200, 260, 40, 42, 25]);
    expect(pick(f.EMEA)).toEqual([100, 120, 10, 12, 0]);
    expect(pick(f.AMER)).toEqual([5, 15, 2, 2, 200]);

    const first = await evaluateAt(T);
    expect(first.transitions.map(brief)).toEqual([['gap-7d', 'APAC', 'pending']]);
    expect(received).toEqual([]); // pending is not notified

    const second = await evaluateAt(T + 5 * MIN);
    expect(second.transitions.map(brief)).toEqual([['gap-7d', 'APAC', 'firing']]);
    const firing = second.transitions[0]!;
    expect(firing.group).toEqual({ tenant: TENANT, region: 'APAC' });
    expect(firing.numbers).toMatchObject({
      backlog_start: 200,
      backlog_end: 260,
      backlog_growth_pct: 30,
      headcount_start: 40,
      headcount_end: 42,
      headcount_growth_pct: 5,
      gap_pp: 25,
      window_start: '2026-05-25T00:05:00.000Z',
      window_end: '2026-06-01T00:05:00.000Z',
    });

    // Dedup: still true, no transition, nobody told again.
    const third = await evaluateAt(T + 10 * MIN);
    expect(third.transitions).toEqual([]);
    expect(hookBodies().map((b) => [b.status, b.alert.ruleId, b.alert.labels.region])).toEqual([
      ['firing', 'gap-7d', 'APAC'],
    ]);
  });

  it('the generic webhook gets the numbers that justify the alert, with its own headers', () => {
    const [hook] = hooks('/hook');
    expect(hook!.headers.authorization).toBe('Bearer hook-secret');
    expect(hook!.headers['content-type']).toBe('application/json');
    const body = hook!.body as AlertNotification;
    expect(body).toMatchObject({
      version: 1,
      status: 'firing',
      title: 'Backlog outpacing headcount',
      alert: {
        ruleId: 'gap-7d',
        kind: 'backlog_outpacing_headcount',
        severity: 'critical',
        state: 'firing',
        labels: { tenant: TENANT, region: 'APAC', team: 'ops', alertname: 'gap-7d', severity: 'critical' },
        startedAt: '2026-06-01T00:00:00.000Z',
        firedAt: '2026-06-01T00:05:00.000Z',
        resolvedAt: null,
        value: 25,
        threshold: 10,
        numbers: { backlog_start: 200, backlog_end: 260, headcount_start: 40, headcount_end: 42, gap_pp: 25 },
      },
    });
    expect(body.alert.summary).toContain('backlog +30 % (200 → 260)');
    expect(body.alert.summary).toContain('headcount +5 % (40 → 42)');
  });

  it("Slack's incoming-webhook contract: `text` fallback plus Block Kit blocks within Slack's documented limits", () => {
    const slack = hooks('/slack');
    expect(slack).toHaveLength(1);
    const body = slack[0]!.body as { text: string; blocks: Record<string, unknown>[] };
    // https://api.slack.com/messaging/webhooks: a JSON body with `text` (the notification fallback)
    // and optional `blocks`; https://api.slack.com/reference/block-kit/blocks: header text is
    // plain_text ≤ 150 chars, section text ≤ 3000, at most 10 fields of ≤ 2000 each, ≤ 50 blocks.
    expect(typeof body.text).toBe('string');
    expect(body.text).toContain('[FIRING]');
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    const [header, summary, ...rest] = body.blocks as {
      type: string;
      text?: { type: string; text: string };
      fields?: { type: string; text: string }[];
      elements?: { type: string; text: string }[];
    }[];
    expect(header).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(header!.text!.text.length).toBeLessThanOrEqual(150);
    expect(summary).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
    expect(summary!.text!.text).toContain('gap 25 pp');
    const fieldBlocks = rest.filter((b) => b.fields);
    expect(fieldBlocks.length).toBeGreaterThan(0);
    for (const b of fieldBlocks) {
      expect(b.type).toBe('section');
      expect(b.fields!.length).toBeLessThanOrEqual(10);
      for (const f of b.fields!) {
        expect(['mrkdwn', 'plain_text']).toContain(f.type);
        expect(f.text.length).toBeLessThanOrEqual(2000);
      }
    }
    const allFields = fieldBlocks.flatMap((b) => b.fields!.map((f) => f.text));
    expect(allFields).toContain('*backlog start*\n200');
    expect(allFields).toContain('*headcount end*\n42');
    expect(rest.at(-1)).toMatchObject({ type: 'context' });
  });

  it("Teams' documented payloads: an Adaptive Card message, and the legacy MessageCard", () => {
    const [teams] = hooks('/teams');
    // Adaptive Card via webhook: { type: "message", attachments: [{ contentType:
    // "application/vnd.microsoft.card.adaptive", contentUrl: null, content: AdaptiveCard }] }
    const body = teams!.body as {
      type: string;
      attachments: { contentType: string; contentUrl: null; content: Record<string, unknown> }[];
    };
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const att = body.attachments[0]!;
    expect(att.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(att.contentUrl).toBeNull();
    expect(att.content).toMatchObject({
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.4',
    });
    const cardBody = att.content.body as {
      type: string;
      text?: string;
      facts?: { title: string; value: string }[];
    }[];
    expect(cardBody.every((e) => ['TextBlock', 'FactSet'].includes(e.type))).toBe(true);
    const facts = cardBody.find((e) => e.type === 'FactSet')!.facts!;
    expect(facts).toContainEqual({ title: 'gap pp', value: '25' });
    expect(facts).toContainEqual({ title: 'region', value: 'APAC' });
    // MessageCard (Office 365 connector card): @type, @context, and summary or text required
    const [legacy] = hooks('/teams-legacy');
    expect(legacy!.body).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: expect.stringContaining('[FIRING]'),
      sections: [{ facts: expect.arrayContaining([{ name: 'backlog end', value: '260' }]) }],
    });
  });

  it('email over SMTP with the figures in the body', () => {
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.from).toBe('MAIL FROM:<baton@example.test>');
    expect(m.to).toEqual(['RCPT TO:<ops@example.test>']);
    expect(m.data).toMatch(/^Subject: \[FIRING\] CRITICAL: Backlog outpacing headcount$/m);
    const text = decodeQuotedPrintable(m.data.split('\r\n\r\n').slice(1).join('\r\n\r\n'));
    expect(text).toContain('backlog +30 % (200 → 260)');
    expect(text).toContain('  headcount start: 40');
    expect(text).toContain('  gap pp: 25');
  });

  it('a failing receiver is retried with backoff, gives up, and holds nothing else up', () => {
    expect(hooks('/broken')).toHaveLength(3); // attempts: 3
    const outcomes = alerting.notifier.results().map((d) => [d.receiver, d.status, d.ok, d.attempts]);
    expect(outcomes).toContainEqual(['broken', 'firing', false, 3]);
    expect(outcomes).toContainEqual(['hook', 'firing', true, 1]);
    expect(alerting.notifier.results().find((d) => d.receiver === 'broken')?.error).toBe('HTTP 503');
  });

  it('resolves when headcount catches up, after a restart that reads the state back', async () => {
    await pipe.sink.emit(catchUp());
    const f = await figuresAt(T + 15 * MIN, (x) => x.APAC?.headcount_end === 52);
    expect(f.APAC).toMatchObject({
      backlog_start: 200,
      backlog_end: 260,
      headcount_start: 40,
      headcount_end: 52,
      gap_pp: 0,
    });

    // A restart: a new evaluator and notifier that know only what the alerts table holds.
    await alerting.stop();
    alerting = startAlerting(pipe.config, {
      ch: pipe.ch,
      producer: await pipe.bus.createProducer(),
      logger: pipe.logger,
      now: () => clock,
    });
    const before = hookBodies().length;
    const res = await evaluateAt(T + 15 * MIN);
    expect(res.transitions.map(brief)).toEqual([['gap-7d', 'APAC', 'resolved']]);
    const resolved = hookBodies().slice(before);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({
      status: 'resolved',
      alert: {
        state: 'resolved',
        startedAt: '2026-06-01T00:00:00.000Z',
        firedAt: '2026-06-01T00:05:00.000Z',
        resolvedAt: '2026-06-01T00:15:00.000Z',
        value: 0,
        numbers: {
          backlog_start: 200,
          backlog_end: 260,
          headcount_start: 40,
          headcount_end: 52,
          headcount_growth_pct: 30,
          gap_pp: 0,
        },
      },
    });
    expect(hooks('/slack').map((r) => (r.body as { text: string }).text.slice(0, 10))).toEqual([
      '[FIRING] C',
      '[RESOLVED]',
    ]);
    expect(mails).toHaveLength(2);
    // nothing more while it stays clear
    expect((await evaluateAt(T + 20 * MIN)).transitions).toEqual([]);
  });

  it('a source gone silent fires per (tenant, source)', async () => {
    // desk last sent at T−1m, hr at T+12m: both silent for more than 60 minutes at T+90m
    const res = await evaluateAt(T + 90 * MIN);
    expect(res.transitions.map(brief).sort()).toEqual([
      ['silent', 'desk', 'firing'],
      ['silent', 'hr', 'firing'],
    ]);
    const desk = res.transitions.find((s) => s.group.source === 'desk')!;
    expect(desk.group).toEqual({ tenant: TENANT, source: 'desk' });
    expect(desk.numbers).toMatchObject({
      last_event_received_at: '2026-05-31T23:59:00.000Z',
      silent_seconds: 91 * 60,
    });
    expect(hookBodies().filter((b) => b.alert.ruleId === 'silent')).toHaveLength(2);
    expect(mails).toHaveLength(2); // the mail receiver matches gap-7d only
  });

  it('every transition is stored once, however often it is inserted, and produced to the alerts topic', async () => {
    const read = async () => {
      const rs = await pipe.ch.query({
        query: `SELECT rule_id, region, state, consecutive, JSONExtractFloat(numbers, 'gap_pp') AS gap
                FROM alerts FINAL WHERE rule_id = 'gap-7d' ORDER BY at`,
        format: 'JSONEachRow',
      });
      return rs.json<Record<string, unknown>>();
    };
    const expected = [
      { rule_id: 'gap-7d', region: 'APAC', state: 'pending', consecutive: 1, gap: 25 },
      { rule_id: 'gap-7d', region: 'APAC', state: 'firing', consecutive: 2, gap: 25 },
      { rule_id: 'gap-7d', region: 'APAC', state: 'resolved', consecutive: 2, gap: 0 },
    ];
    expect(await read()).toEqual(expected);
    // Re-inserting the stored transitions (as a pass redone after a crash would) changes nothing.
    const states = [...alerting.evaluator.states().values()];
    await pipe.ch.insert({ table: 'alerts', format: 'JSONEachRow', values: states.map(alertRow) });
    expect(await read()).toEqual(expected);

    const msgs = await eventually(
      async () => topicMessages.filter((m) => m.value.ruleId === 'gap-7d'),
      (m) => m.length >= 3,
      30_000,
    );
    expect(msgs.map((m) => [m.value.state, m.value.previousState])).toEqual([
      ['pending', 'none'],
      ['firing', 'pending'],
      ['resolved', 'firing'],
    ]);
    expect(new Set(msgs.map((m) => m.key))).toEqual(new Set([msgs[0]!.value.fingerprint]));
  });

  it('GET /v1/alerts lists episodes with the numbers, filtered by state, rule, tenant, region and time', async () => {
    const api = await buildApi({ config: pipe.config, ch: pipe.ch, logger: pipe.logger });
    const get = async (qs: string) => {
      const res = await api.inject({
        method: 'GET',
        url: `/v1/alerts${qs}`,
        headers: { 'x-api-key': apiKey },
      });
      return {
        status: res.statusCode,
        body: res.json() as { alerts: Record<string, unknown>[] } & Record<string, unknown>,
      };
    };
    try {
      const gap = await get(`?rule=gap-7d&tenant=${TENANT}&region=APAC`);
      expect(gap.status).toBe(200);
      expect(gap.body.alerts).toHaveLength(1);
      expect(gap.body.alerts[0]).toMatchObject({
        rule: 'gap-7d',
        state: 'resolved',
        tenant: TENANT,
        region: 'APAC',
        startedAt: '2026-06-01T00:00:00.000Z',
        firedAt: '2026-06-01T00:05:00.000Z',
        resolvedAt: '2026-06-01T00:15:00.000Z',
        transitions: 3,
        firingNumbers: { backlog_start: 200, backlog_end: 260, headcount_end: 42, gap_pp: 25 },
        numbers: { headcount_end: 52, gap_pp: 0 },
      });
      const firing = await get('?state=firing');
      expect(
        firing.body.alerts.map((a) => [a.rule, (a.labels as Record<string, string>).source]).sort(),
      ).toEqual([
        ['silent', 'desk'],
        ['silent', 'hr'],
      ]);
      expect((await get('?region=EMEA')).body.alerts).toEqual([]);
      // Episodes active in a range: the gap alert ended at 00:15, the silence alerts began at 01:30.
      const early = await get('?from=2026-06-01T00:00:00Z&to=2026-06-01T01:00:00Z');
      expect(early.body.alerts.map((a) => a.rule)).toEqual(['gap-7d']);
      const late = await get('?from=2026-06-01T00:20:00Z');
      expect(late.body.alerts.map((a) => a.rule)).toEqual(['silent', 'silent']);
      const bad = await get('?state=burning&limit=0');
      expect(bad.status).toBe(400);
      expect((bad.body.problems as { path: string }[]).map((p) => p.path).sort()).toEqual([
        'querystring.limit',
        'querystring.state',
      ]);
      const backwards = await get('?from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z');
      expect(backwards.status).toBe(400);
      expect(backwards.body.problems).toEqual([{ path: 'querystring.to', message: 'must be after from' }]);
    } finally {
      await api.close();
    }
  });

  it('the SQL of every Grafana alert rule rendered from the same definitions runs on ClickHouse', async () => {
    for (const rule of loadAlertRules(pipe.config.ALERT_RULES_FILE)) {
      for (const sql of Object.values(renderAlertRuleSql(rule))) {
        const rs = await pipe.ch.query({ query: sql, format: 'JSONEachRow' });
        expect(Array.isArray(await rs.json())).toBe(true);
      }
    }
  });
});
