import { fieldProblems } from '../../../core/events/index.js';
import type { SourceMapping } from '../../../core/mapping.js';
import { dlq, type Outcome, ok } from '../../../core/outcome.js';
import type { TicketSnapshot } from '../snapshot-diff.js';
import { incidentSnapshot } from './incident.js';
import { glideToIso, type IncidentRecord, incidentRecordSchema } from './poller-schema.js';

// A Table API incident record → Baton's normalised ticket snapshot (pure), through the normaliser
// the webhook converter shares (./incident.ts). Reference fields are taken by display value (the
// name the business rule sends too), choice fields by stored value with the label beside.

export function parseIncident(raw: unknown): Outcome<IncidentRecord> {
  const parsed = incidentRecordSchema.safeParse(raw);
  if (!parsed.success) return dlq('not a valid ServiceNow incident record', fieldProblems(parsed.error));
  return ok(parsed.data);
}

export function incidentToSnapshot(
  record: IncidentRecord,
  mapping: SourceMapping,
  tenant: string,
): Outcome<TicketSnapshot> {
  const name = (p: { value: string; display: string }) => p.display || p.value || undefined;
  const modCount = record.sys_mod_count.value;
  return incidentSnapshot(
    {
      sysId: record.sys_id.value,
      number: record.number.value || record.number.display,
      modCount,
      // Validated by the schema: sys_updated_on is a stored UTC date-time.
      updatedAt: glideToIso(record.sys_updated_on.value)!,
      openedAt: glideToIso(record.opened_at.value),
      createdOn: glideToIso(record.sys_created_on.value),
      resolvedAt: glideToIso(record.resolved_at.value),
      closedAt: glideToIso(record.closed_at.value),
      state: record.state,
      incidentState: record.incident_state,
      holdReason: record.hold_reason,
      priority: record.priority,
      category: record.category,
      contactType: record.contact_type.value,
      assignmentGroup: name(record.assignment_group),
      assignedTo: name(record.assigned_to),
      company: name(record.company),
      location: name(record.location),
      // sys_mod_count 0: the record as inserted, what the webhook's insert reports.
      atCreation: modCount === '0',
    },
    mapping,
    tenant,
  );
}
