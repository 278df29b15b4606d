import type { Config } from '../../../core/config.js';
import { type RegisteredWebhook, webhook } from '../shared/webhook.js';
import { checkBasicAuth } from './auth.js';
import { convertServiceNow, SOURCE } from './convert.js';
import { serviceNowWebhookSchema } from './schema.js';

/** POST /v1/webhooks/servicenow: incident business-rule deliveries, HTTP Basic. */
export function serviceNowWebhook(config: Config): RegisteredWebhook {
  const user = config.SERVICENOW_WEBHOOK_USER;
  const password = config.SERVICENOW_WEBHOOK_PASSWORD;
  return webhook({
    source: SOURCE,
    label: 'ServiceNow incident',
    path: '/v1/webhooks/servicenow',
    disabledReason:
      user && password
        ? null
        : 'the ServiceNow webhook is not enabled: set SERVICENOW_WEBHOOK_USER and SERVICENOW_WEBHOOK_PASSWORD',
    authenticate: (req) => checkBasicAuth(req.headers.authorization, user ?? '', password ?? ''),
    schema: serviceNowWebhookSchema,
    convert: convertServiceNow,
  });
}
