import { z } from 'zod';
import { idText, optionalText, vendorTime } from '../shared/fields.js';

// Zendesk webhook event subscriptions for tickets (`zen:event-type:ticket.*`, event version
// 2022-11-06): `id` (the event's id), `time`, `subject` (`zen:ticket:<id>`), `detail` (the ticket
// after the change; ids as strings, status and priority upper-case) and `event` (`current` and
// `previous` of the changed property). See fixtures/README.md.

const changeValue = z.union([z.string(), z.number(), z.null()]).optional();

export const zendeskTicketSchema = z.object({
  id: idText,
  status: z.string().min(1),
  priority: optionalText,
  group_id: optionalText,
  assignee_id: optionalText,
  organization_id: optionalText,
  requester_id: optionalText,
  created_at: vendorTime,
  updated_at: vendorTime.optional(),
  type: optionalText,
  via: z.object({ channel: optionalText }).optional(),
  tags: z.array(z.string()).optional(),
});

export const zendeskWebhookSchema = z.object({
  type: z.string().regex(/^zen:event-type:ticket\.[a-z_]+$/, 'a ticket event type (zen:event-type:ticket.*)'),
  id: z.string().min(1).max(200),
  time: vendorTime,
  account_id: z.number().int().optional(),
  subject: z.string().optional(),
  zendesk_event_version: z.string().optional(),
  detail: zendeskTicketSchema,
  event: z.object({ current: changeValue, previous: changeValue }).optional(),
});

export type ZendeskWebhook = z.infer<typeof zendeskWebhookSchema>;
