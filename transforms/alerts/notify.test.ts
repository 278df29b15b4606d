import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertRule, parseAlertRules } from '../../core/alert-rules.js';
import { redactedPaths } from '../../core/logger.js';
import { type AlertState, type Observation, step } from './lifecycle.js';
import { createNotifier } from './notify.js';
import { parseReceivers } from './receivers.js';

// Delivery against a local HTTP server: retries with exponential backoff, permanent failures,
// per-receiver order, a hanging receiver that holds up nobody else, and logs free of secrets.

const [rule] = parseAlertRules([
  { id: 'gap', kind: 'backlog_outpacing_headcount', severity: 'critical', params: { gapPp: 10 } },
]) as [AlertRule];
const T0 = Date.parse('2026-06-01T00:00:00Z');
const obs = (active: boolean): Observation => ({
  group: { tenant: 'acme', region: 'APAC' },
  active,
  value: active ? 25 : 0,
  threshold: 10,
  numbers: { gap_pp: active ? 25 : 0 },
  summary: 'gap',
});
const firing = step(rule, undefined, obs(true), T0) as AlertState;
const resolved = step(rule, firing, obs(false), T0 + 60_000) as AlertState;

interface Hit {
  path: string;
  at: number;
  status: string;
}
const hits: Hit[] = [];
// Per path, the status codes to answer in turn (then 200); `hang` never answers.
const script = new Map<string, number[]>();
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { status: string };
      hits.push({ path: req.url ?? '', at: Date.now(), status: body.status });
      if (req.url?.startsWith('/hang')) return; // never answers: the client's timeout ends it
      const codes = script.get(req.url ?? '') ?? [];
      res.statusCode = codes.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: redactedPaths, censor: '[redacted]' } }, stream);
  return { logger, lines };
}

describe('alert notifier', () => {
  it('retries 5xx with exponential backoff, keeps per-receiver order, gives up on a 4xx at once', async () => {
    script.set('/flaky', [503, 500]);
    script.set('/refuses', [400]);
    const { logger } = capture();
    const n = createNotifier(
      parseReceivers({
        receivers: [
          { id: 'flaky', type: 'webhook', url: `${base}/flaky` },
          { id: 'refuses', type: 'webhook', url: `${base}/refuses` },
        ],
        retry: { attempts: 4, initialDelayMs: 100, maxDelayMs: 1_000, timeoutMs: 2_000 },
      }),
      logger,
    );
    n.notify(firing, 'Gap');
    n.notify(resolved, 'Gap');
    await n.flush();
    const flaky = hits.filter((h) => h.path === '/flaky');
    // firing: 503, 500, 200 (after 100 ms, then 200 ms); then resolved, only after the firing got through
    expect(flaky.map((h) => h.status)).toEqual(['firing', 'firing', 'firing', 'resolved']);
    expect(flaky[1]!.at - flaky[0]!.at).toBeGreaterThanOrEqual(95);
    expect(flaky[2]!.at - flaky[1]!.at).toBeGreaterThanOrEqual(195);
    const outcomes = (receiver: string) =>
      n
        .results()
        .filter((d) => d.receiver === receiver)
        .map((d) => [d.status, d.ok, d.attempts, d.error]);
    expect(outcomes('flaky')).toEqual([
      ['firing', true, 3, undefined],
      ['resolved', true, 1, undefined],
    ]);
    expect(outcomes('refuses')).toEqual([
      ['firing', false, 1, 'HTTP 400'],
      ['resolved', true, 1, undefined],
    ]);
    await n.close();
  });

  it('a hanging receiver holds up no other receiver, and notify() never waits', async () => {
    const { logger } = capture();
    const n = createNotifier(
      parseReceivers({
        receivers: [
          { id: 'hang', type: 'webhook', url: `${base}/hang` },
          { id: 'quick', type: 'slack', url: `${base}/quick` },
        ],
        retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10, timeoutMs: 1_500 },
      }),
      logger,
    );
    const started = Date.now();
    n.notify(firing, 'Gap');
    expect(Date.now() - started).toBeLessThan(50);
    const quick = async () => {
      while (!n.results().some((d) => d.receiver === 'quick')) await new Promise((r) => setTimeout(r, 10));
    };
    await quick();
    expect(Date.now() - started).toBeLessThan(1_000); // before the hanging one's first timeout
    await n.flush();
    expect(n.results().find((d) => d.receiver === 'hang')).toMatchObject({ ok: false, attempts: 2 });
    await n.close();
  });

  it('matches on severity, rule and tenant; sendResolved false skips resolutions', async () => {
    const { logger } = capture();
    const n = createNotifier(
      parseReceivers({
        receivers: [
          { id: 'warn-only', type: 'webhook', url: `${base}/m1`, match: { severities: ['warning'] } },
          { id: 'other-tenant', type: 'webhook', url: `${base}/m2`, match: { tenants: ['globex'] } },
          {
            id: 'firing-only',
            type: 'webhook',
            url: `${base}/m3`,
            match: { rules: ['gap'] },
            sendResolved: false,
          },
        ],
        retry: { attempts: 1 },
      }),
      logger,
    );
    n.notify(firing, 'Gap');
    n.notify(resolved, 'Gap');
    await n.flush();
    expect(n.results().map((d) => [d.receiver, d.status])).toEqual([['firing-only', 'firing']]);
    await n.close();
  });

  it('never logs a receiver URL, header or password', async () => {
    script.set('/services/T0/B0/url-secret-123', [503, 503]);
    const { logger, lines } = capture();
    const n = createNotifier(
      parseReceivers({
        receivers: [
          {
            id: 'slack-ops',
            type: 'slack',
            url: `${base}/services/T0/B0/url-secret-123`,
          },
          {
            id: 'hook',
            type: 'webhook',
            url: `http://127.0.0.1:1/nothing-listens?token=query-secret-456`,
            headers: { authorization: 'Bearer header-secret-789' },
          },
          {
            id: 'mail',
            type: 'email',
            smtp: { host: '127.0.0.1', port: 1, user: 'ops', pass: 'smtp-secret-000' },
            from: 'baton@example.test',
            to: ['ops@example.test'],
          },
        ],
        retry: { attempts: 2, initialDelayMs: 5, maxDelayMs: 5, timeoutMs: 1_000 },
      }),
      logger,
    );
    n.notify(firing, 'Gap');
    await n.flush();
    await n.close();
    const text = lines.join('');
    expect(text).toContain('"receiver":"slack-ops"');
    expect(text).toContain('alert notification failed');
    for (const secret of ['url-secret-123', 'query-secret-456', 'header-secret-789', 'smtp-secret-000'])
      expect(text).not.toContain(secret);
  });

  it('bad receiver settings name the field and never echo the value', () => {
    let message = '';
    try {
      parseReceivers({
        receivers: [
          { id: 'a', type: 'slack', url: 'ftp://user:pw-secret@example.test/x' },
          { id: 'b', type: 'email', smtp: { host: 'mail', pass: 'x' }, from: 'x', to: [] },
          { id: 'c', type: 'pager', url: 'https://example.test' },
        ],
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/receivers\[0\]\.url: /);
    expect(message).toMatch(/receivers\[1\]\.from: /);
    expect(message).toMatch(/receivers\[1\]\.to: /);
    expect(message).toMatch(/receivers\[2\]\.type: /);
    expect(message).not.toContain('pw-secret');
  });
});
