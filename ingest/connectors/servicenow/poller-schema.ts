import { z } from 'zod';

// The ServiceNow Table API response as the poller requests it (GET /api/now/table/incident with
// sysparm_display_value=all and sysparm_exclude_reference_link=true): `{ "result": [ record, ... ] }`,
// each field a `{ "value": ..., "display_value": ... }` pair — the stored value (choice number,
// sys_id, UTC date-time) and what a user sees (label, name, date-time in the user's zone). A plain
// string (sysparm_display_value=false) is accepted as a pair with both sides equal.

export const INCIDENT_FIELDS = [
  'sys_id',
  'number',
  'sys_updated_on',
  'sys_created_on',
  'sys_mod_count',
  'opened_at',
  'resolved_at',
  'closed_at',
  'state',
  'incident_state',
  'hold_reason',
  'priority',
  'assignment_group',
  'assigned_to',
  'company',
  'location',
  'category',
  'contact_type',
] as const;

const pair = z.union([
  z
    .object({
      value: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
      display_value: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    })
    .loose()
    .transform((p) => ({
      value: p.value === null || p.value === undefined ? '' : String(p.value).trim(),
      display:
        p.display_value === null || p.display_value === undefined ? '' : String(p.display_value).trim(),
    })),
  z
    .union([z.string(), z.number(), z.boolean()])
    .transform((v) => ({ value: String(v).trim(), display: String(v).trim() })),
  z.null().transform(() => ({ value: '', display: '' })),
]);
export type FieldPair = z.output<typeof pair>;

const empty: FieldPair = { value: '', display: '' };
const optionalPair = pair.optional().transform((p) => p ?? empty);

/** `yyyy-MM-dd HH:mm:ss`, the Table API's stored (UTC) date-time form. */
export const glideDateTime = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

const requiredPair = (what: string, pattern?: RegExp) =>
  pair.refine((p) => p.value !== '' && (!pattern || pattern.test(p.value)), {
    message: pattern ? `${what} must be ${pattern.source}` : `${what} is required`,
  });

export const incidentRecordSchema = z
  .object({
    sys_id: requiredPair('sys_id'),
    sys_updated_on: requiredPair('sys_updated_on', glideDateTime),
    number: optionalPair,
    sys_created_on: optionalPair,
    sys_mod_count: optionalPair,
    opened_at: optionalPair,
    resolved_at: optionalPair,
    closed_at: optionalPair,
    state: optionalPair,
    incident_state: optionalPair,
    hold_reason: optionalPair,
    priority: optionalPair,
    assignment_group: optionalPair,
    assigned_to: optionalPair,
    company: optionalPair,
    location: optionalPair,
    category: optionalPair,
    contact_type: optionalPair,
  })
  .loose();

export type IncidentRecord = z.output<typeof incidentRecordSchema>;

/** The envelope; records are validated one by one so a bad one is dead-lettered alone. */
export const tableResponseSchema = z.object({
  result: z.array(z.record(z.string(), z.unknown())),
});

/** The stored UTC date-time `2026-03-02 09:15:00` as ISO-8601, or undefined when empty or malformed. */
export function glideToIso(value: string): string | undefined {
  if (!glideDateTime.test(value)) return undefined;
  return new Date(`${value.replace(' ', 'T')}Z`).toISOString();
}
