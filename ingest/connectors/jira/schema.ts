import { z } from 'zod';
import { idText, optionalText, vendorTime } from '../shared/fields.js';

// Jira Cloud / Jira Service Management issue webhooks (`jira:issue_created`, `jira:issue_updated`)
// as documented for admin webhooks: `timestamp` (ms), `webhookEvent`, `issue` with its current
// `fields`, and on updates a `changelog` whose `items` name each changed field with its old and new
// value (`from`/`to` ids, `fromString`/`toString` display values). See fixtures/README.md.

const named = z.object({ name: z.string().min(1) });

const changeItem = z.object({
  field: z.string().min(1),
  fieldtype: z.string().optional(),
  fieldId: z.string().optional(),
  from: optionalText,
  fromString: optionalText,
  to: optionalText,
  toString: optionalText,
});

export const jiraWebhookSchema = z.object({
  timestamp: z.number().int().positive(),
  webhookEvent: z.enum(['jira:issue_created', 'jira:issue_updated']),
  issue: z.object({
    id: idText,
    key: z.string().min(1).max(200),
    fields: z.object({
      status: named,
      priority: named.nullable().optional(),
      assignee: z
        .object({ accountId: z.string().min(1).optional(), displayName: z.string().optional() })
        .nullable()
        .optional(),
      created: vendorTime,
      project: z.object({ key: z.string().min(1), name: z.string().optional() }),
      components: z.array(named).optional(),
      issuetype: named.optional(),
    }),
  }),
  changelog: z
    .object({
      id: idText.optional(),
      items: z.array(changeItem),
    })
    .optional(),
});

export type JiraWebhook = z.infer<typeof jiraWebhookSchema>;
export type JiraChangeItem = z.infer<typeof changeItem>;
