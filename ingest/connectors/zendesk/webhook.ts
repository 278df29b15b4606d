import type { Config } from '../../../core/config.js';
import { type RegisteredWebhook, webhook } from '../shared/webhook.js';
import { checkZendeskSignature } from './auth.js';
import { convertZendesk, SOURCE } from './convert.js';
import { zendeskWebhookSchema } from './schema.js';

const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);

/** POST /v1/webhooks/zendesk: ticket event subscriptions, signed, with a replay window. */
export function zendeskWebhook(config: Config): RegisteredWebhook {
  const secret = config.ZENDESK_WEBHOOK_SECRET;
  return webhook({
    source: SOURCE,
    label: 'Zendesk ticket event',
    path: '/v1/webhooks/zendesk',
    disabledReason: secret ? null : 'the Zendesk webhook is not enabled: set ZENDESK_WEBHOOK_SECRET',
    authenticate: (req, raw, nowMs) =>
      checkZendeskSignature({
        signature: one(req.headers['x-zendesk-webhook-signature']),
        timestamp: one(req.headers['x-zendesk-webhook-signature-timestamp']),
        secret: secret ?? '',
        body: raw,
        nowMs,
        windowSeconds: config.ZENDESK_REPLAY_WINDOW_SECONDS,
      }),
    schema: zendeskWebhookSchema,
    convert: convertZendesk,
  });
}
