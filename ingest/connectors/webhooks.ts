import type { FastifyInstance } from 'fastify';
import type { Config } from '../../core/config.js';
import { jiraWebhook } from './jira/webhook.js';
import { serviceNowWebhook } from './servicenow/webhook.js';
import { registerWebhooks, type WebhookDeps } from './shared/webhook.js';
import { zendeskWebhook } from './zendesk/webhook.js';

/**
 * POST /v1/webhooks/{servicenow,jira,zendesk}. A vendor whose credential setting is missing answers
 * 404 `webhook_disabled` naming the setting that enables it: nothing is accepted unauthenticated.
 */
export function vendorWebhooks(app: FastifyInstance, config: Config, deps: WebhookDeps): Promise<void> {
  return registerWebhooks(
    app,
    [serviceNowWebhook(config), jiraWebhook(config), zendeskWebhook(config)],
    deps,
  );
}
