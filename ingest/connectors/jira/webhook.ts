import type { Config } from '../../../core/config.js';
import { type RegisteredWebhook, webhook } from '../shared/webhook.js';
import { checkHubSignature } from './auth.js';
import { convertJira, SOURCE } from './convert.js';
import { jiraWebhookSchema } from './schema.js';

/** POST /v1/webhooks/jira: issue created/updated, signed with X-Hub-Signature. */
export function jiraWebhook(config: Config): RegisteredWebhook {
  const secret = config.JIRA_WEBHOOK_SECRET;
  return webhook({
    source: SOURCE,
    label: 'Jira issue',
    path: '/v1/webhooks/jira',
    disabledReason: secret ? null : 'the Jira webhook is not enabled: set JIRA_WEBHOOK_SECRET',
    authenticate: (req, raw) => {
      const header = req.headers['x-hub-signature'];
      return checkHubSignature(Array.isArray(header) ? header[0] : header, secret ?? '', raw);
    },
    schema: jiraWebhookSchema,
    convert: convertJira,
  });
}
