import { z } from 'zod';
import { optionalText, vendorTime } from '../shared/fields.js';

// Webhook payload only (the Table API poller keeps its record schemas in its own files).
//
// What the business rule on `incident` (after insert/update) POSTs through an outbound REST
// message: the record (`current`) and, on update, the values it had before (`previous`), each
// field as `GlideRecord.getValue()` (choice values such as state "2", dates in UTC
// `YYYY-MM-DD HH:mm:ss`) except reference fields, sent as display values (`getDisplayValue()`):
// assignment_group, assigned_to, location, company. See fixtures/README.md.

export const incidentSnapshotSchema = z
  .object({
    sys_id: z.string().regex(/^[0-9a-f]{32}$/, 'a 32-character lowercase hex sys_id'),
    number: z.string().min(1).max(200),
    sys_mod_count: z
      .union([z.string().regex(/^\d+$/, 'a non-negative integer'), z.number().int().min(0)])
      .transform(Number),
    sys_updated_on: vendorTime,
    opened_at: vendorTime.optional(),
    sys_created_on: z
      .union([z.literal(''), z.null(), vendorTime])
      .optional()
      .transform((v) => v || undefined),
    state: optionalText,
    incident_state: optionalText,
    priority: optionalText,
    hold_reason: optionalText,
    assignment_group: optionalText,
    assigned_to: optionalText,
    location: optionalText,
    company: optionalText,
    category: optionalText,
    contact_type: optionalText,
    resolved_at: z
      .union([z.literal(''), z.null(), vendorTime])
      .optional()
      .transform((v) => v || undefined),
    closed_at: z
      .union([z.literal(''), z.null(), vendorTime])
      .optional()
      .transform((v) => v || undefined),
  })
  .refine((r) => r.state !== undefined || r.incident_state !== undefined, {
    message: 'state or incident_state is required',
    path: ['state'],
  });

export const serviceNowWebhookSchema = z
  .object({
    table: z.literal('incident'),
    operation: z.enum(['insert', 'update']),
    current: incidentSnapshotSchema,
    previous: incidentSnapshotSchema.nullable().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.operation === 'update' && !p.previous) {
      ctx.addIssue({ code: 'custom', path: ['previous'], message: 'required when operation is "update"' });
    }
    if (p.previous && p.previous.sys_id !== p.current.sys_id) {
      ctx.addIssue({ code: 'custom', path: ['previous', 'sys_id'], message: 'must equal current.sys_id' });
    }
  });

export type IncidentSnapshot = z.infer<typeof incidentSnapshotSchema>;
export type ServiceNowWebhook = z.infer<typeof serviceNowWebhookSchema>;
