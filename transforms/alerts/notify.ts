import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../../core/logger.js';
import type { AlertState, Figure } from './lifecycle.js';
import { describeReceiver, type Receiver, type ReceiversConfig } from './receivers.js';

// Notifications: the payload of each receiver type (pure functions, checked against the vendors'
// documented contracts in the tests) and delivery with retries and exponential backoff. Delivery
// runs beside the evaluation, never inside it: a slow or failing receiver delays nothing but its
// own queue, and each receiver gets its notifications in order (a firing before its resolution).

export interface AlertNotification {
  /** Version of this JSON shape (the generic webhook's body). */
  version: 1;
  status: 'firing' | 'resolved';
  title: string;
  alert: {
    id: string;
    fingerprint: string;
    ruleId: string;
    kind: string;
    severity: string;
    state: string;
    labels: Record<string, string>;
    startedAt: string;
    firedAt: string | null;
    resolvedAt: string | null;
    at: string;
    value: number | null;
    threshold: number;
    summary: string;
    numbers: Record<string, Figure>;
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function notification(s: AlertState, title: string): AlertNotification {
  return {
    version: 1,
    status: s.state === 'resolved' ? 'resolved' : 'firing',
    title,
    alert: {
      id: s.id,
      fingerprint: s.fingerprint,
      ruleId: s.ruleId,
      kind: s.kind,
      severity: s.severity,
      state: s.state,
      labels: s.labels,
      startedAt: new Date(s.startedAt).toISOString(),
      firedAt: iso(s.firedAt),
      resolvedAt: iso(s.resolvedAt),
      at: new Date(s.at).toISOString(),
      value: s.value,
      threshold: s.threshold,
      summary: s.summary,
      numbers: s.numbers,
    },
  };
}

const headline = (n: AlertNotification) =>
  `[${n.status === 'firing' ? 'FIRING' : 'RESOLVED'}] ${n.alert.severity.toUpperCase()}: ${n.title}`;

/** The figures as name/value pairs, group labels first: the facts of Slack, Teams and email. */
export function facts(n: AlertNotification): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const k of ['tenant', 'region', 'from_region', 'source']) {
    const v = n.alert.labels[k];
    if (v !== undefined) out.push({ name: k.replace(/_/g, ' '), value: v });
  }
  for (const [k, v] of Object.entries(n.alert.numbers))
    out.push({ name: k.replace(/_/g, ' '), value: v === null ? 'n/a' : String(v) });
  return out;
}

const truncate = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks): `text` is the notification
 * fallback; `blocks` per Block Kit — header (plain_text, ≤ 150 chars), section text (mrkdwn,
 * ≤ 3000), section fields (≤ 10, each ≤ 2000), context (≤ 10 elements).
 */
export function slackPayload(n: AlertNotification): Record<string, unknown> {
  const f = facts(n);
  const fieldChunks: { name: string; value: string }[][] = [];
  for (let i = 0; i < f.length; i += 10) fieldChunks.push(f.slice(i, i + 10));
  return {
    text: truncate(`${headline(n)} — ${n.alert.summary}`, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(headline(n), 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(n.alert.summary, 3000) } },
      ...fieldChunks.map((chunk) => ({
        type: 'section',
        fields: chunk.map((x) => ({ type: 'mrkdwn', text: truncate(`*${x.name}*\n${x.value}`, 2000) })),
      })),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `rule \`${n.alert.ruleId}\` · fingerprint \`${n.alert.fingerprint}\` · ${n.alert.at}`,
          },
        ],
      },
    ],
  };
}

/**
 * Microsoft Teams. `adaptive`: the message a Workflows "post to a channel when a webhook request is
 * received" flow and incoming webhooks accept — `{ type: "message", attachments: [{ contentType:
 * "application/vnd.microsoft.card.adaptive", contentUrl: null, content: <AdaptiveCard> }] }`.
 * `messagecard`: the legacy connector card (`@type: MessageCard`, `@context`, `summary`, sections
 * with facts).
 */
export function teamsPayload(
  n: AlertNotification,
  format: 'adaptive' | 'messagecard',
): Record<string, unknown> {
  const f = facts(n);
  if (format === 'messagecard')
    return {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: headline(n),
      themeColor: n.status === 'firing' ? 'D13438' : '2EB886',
      title: headline(n),
      text: n.alert.summary,
      sections: [{ facts: f.map((x) => ({ name: x.name, value: x.value })) }],
    };
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: headline(n),
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
              color: n.status === 'firing' ? 'Attention' : 'Good',
            },
            { type: 'TextBlock', text: n.alert.summary, wrap: true },
            { type: 'FactSet', facts: f.map((x) => ({ title: x.name, value: x.value })) },
          ],
        },
      },
    ],
  };
}

export function emailMessage(n: AlertNotification): { subject: string; text: string } {
  const lines = facts(n).map((x) => `  ${x.name}: ${x.value}`);
  return {
    subject: truncate(headline(n), 200),
    text: [
      n.alert.summary,
      '',
      ...lines,
      '',
      `rule: ${n.alert.ruleId}`,
      `fingerprint: ${n.alert.fingerprint}`,
      `started: ${n.alert.startedAt}`,
      ...(n.alert.firedAt ? [`fired: ${n.alert.firedAt}`] : []),
      ...(n.alert.resolvedAt ? [`resolved: ${n.alert.resolvedAt}`] : []),
      '',
    ].join('\n'),
  };
}

// ---- delivery --------------------------------------------------------------------------------------

export interface DeliveryResult {
  receiver: string;
  alertId: string;
  status: 'firing' | 'resolved';
  ok: boolean;
  attempts: number;
  error?: string;
}

export interface Notifier {
  /** Queues the notification for every receiver that matches it; returns at once. */
  notify(s: AlertState, title: string): void;
  /** Resolves when every queued delivery has succeeded or given up. */
  flush(): Promise<void>;
  /** The latest delivery outcomes (newest last, bounded). */
  results(): readonly DeliveryResult[];
  /** Abandons pending retries, waits for deliveries underway, closes SMTP connections. */
  close(): Promise<void>;
}

class PermanentError extends Error {}

function matches(r: Receiver, s: AlertState): boolean {
  if (s.state === 'resolved' && !r.sendResolved) return false;
  const m = r.match;
  if (!m) return true;
  if (m.severities && !m.severities.includes(s.severity)) return false;
  if (m.rules && !m.rules.includes(s.ruleId)) return false;
  if (m.tenants && !m.tenants.includes(s.group.tenant ?? '')) return false;
  return true;
}

export function createNotifier(cfg: ReceiversConfig, logger: Logger): Notifier {
  const log = logger.child({ component: 'alert-notifier' });
  const queues = new Map<string, Promise<void>>();
  const mailers = new Map<string, Transporter>();
  const recent: DeliveryResult[] = [];
  const abort = new AbortController();

  const mailer = (r: Extract<Receiver, { type: 'email' }>): Transporter => {
    let t = mailers.get(r.id);
    if (!t) {
      t = nodemailer.createTransport({
        host: r.smtp.host,
        port: r.smtp.port,
        secure: r.smtp.secure,
        requireTLS: r.smtp.requireTLS,
        connectionTimeout: cfg.retry.timeoutMs,
        greetingTimeout: cfg.retry.timeoutMs,
        socketTimeout: cfg.retry.timeoutMs,
        ...(r.smtp.user ? { auth: { user: r.smtp.user, pass: r.smtp.pass ?? '' } } : {}),
      });
      mailers.set(r.id, t);
    }
    return t;
  };

  async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any([AbortSignal.timeout(cfg.retry.timeoutMs), abort.signal]),
    });
    // The body is drained but never logged: a receiver may echo secrets back.
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    const msg = `HTTP ${res.status}`;
    if (res.status === 429 || res.status >= 500 || res.status === 408) throw new Error(msg);
    throw new PermanentError(msg);
  }

  async function deliverOnce(r: Receiver, n: AlertNotification): Promise<void> {
    switch (r.type) {
      case 'webhook':
        return post(r.url, n, r.headers);
      case 'slack':
        return post(r.url, slackPayload(n));
      case 'teams':
        return post(r.url, teamsPayload(n, r.format));
      case 'email': {
        const m = emailMessage(n);
        await mailer(r).sendMail({ from: r.from, to: r.to, subject: m.subject, text: m.text });
        return;
      }
    }
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });

  async function deliver(r: Receiver, n: AlertNotification): Promise<void> {
    const { attempts, initialDelayMs, maxDelayMs } = cfg.retry;
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (abort.signal.aborted) break;
      try {
        await deliverOnce(r, n);
        record({ receiver: r.id, alertId: n.alert.id, status: n.status, ok: true, attempts: attempt });
        log.info({ ...describeReceiver(r), alert: n.alert.id, status: n.status, attempt }, 'alert notified');
        return;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        const permanent = err instanceof PermanentError;
        log.warn(
          { ...describeReceiver(r), alert: n.alert.id, attempt, attempts, error, permanent },
          'alert notification failed',
        );
        if (permanent || attempt === attempts) {
          record({
            receiver: r.id,
            alertId: n.alert.id,
            status: n.status,
            ok: false,
            attempts: attempt,
            error,
          });
          return;
        }
        await sleep(Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)));
      }
    }
    record({
      receiver: r.id,
      alertId: n.alert.id,
      status: n.status,
      ok: false,
      attempts: 0,
      error: 'stopped',
    });
  }

  function record(d: DeliveryResult): void {
    recent.push(d);
    if (recent.length > 1_000) recent.shift();
  }

  return {
    notify(s, title) {
      const n = notification(s, title);
      for (const r of cfg.receivers) {
        if (!matches(r, s)) continue;
        const prev = queues.get(r.id) ?? Promise.resolve();
        // deliver() never rejects; the catch only guards against a bug breaking the queue.
        const next = prev
          .then(() => deliver(r, n))
          .catch((err: unknown) => log.error({ err }, 'notifier bug'));
        queues.set(r.id, next);
      }
    },
    async flush() {
      // Deliveries queued while waiting are waited for too.
      for (;;) {
        const pending = [...queues.values()];
        await Promise.all(pending);
        const after = [...queues.values()];
        if (after.length === pending.length && after.every((p, i) => p === pending[i])) return;
      }
    },
    results: () => recent,
    async close() {
      abort.abort();
      await Promise.all(queues.values());
      for (const t of mailers.values()) t.close();
    },
  };
}
