import { fieldProblems } from '../../../core/events/index.js';
import type { SourceMapping } from '../../../core/mapping.js';
import { dlq, type Outcome, ok } from '../../../core/outcome.js';
import { type TicketSnapshot, ticketSnapshotSchema } from '../snapshot-diff.js';
import { glideToIso, type IncidentRecord, incidentRecordSchema } from './poller-schema.js';

// A Table API incident record → Baton's normalised ticket snapshot (pure). Vendor values are
// mapped with the `servicenow` source mapping; the originals stay beside the normalised values.

const channels: Record<string, TicketSnapshot['channel']> = {
  phone: 'phone',
  email: 'email',
  'self-service': 'portal',
  portal: 'portal',
  chat: 'chat',
  virtual_agent: 'chat',
  monitoring: 'monitoring',
  event: 'monitoring',
  alert: 'monitoring',
};

/** The customer of records whose `company` is empty. */
export const UNKNOWN_CUSTOMER = 'unknown';

const nonEmpty = (s: string) => (s === '' ? undefined : s);

export function parseIncident(raw: unknown): Outcome<IncidentRecord> {
  const parsed = incidentRecordSchema.safeParse(raw);
  if (!parsed.success) return dlq('not a valid ServiceNow incident record', fieldProblems(parsed.error));
  return ok(parsed.data);
}

export function incidentToSnapshot(record: IncidentRecord, mapping: SourceMapping): Outcome<TicketSnapshot> {
  // `state` is the current field; `incident_state` the legacy one some instances still maintain.
  const state = record.state.value !== '' ? record.state : record.incident_state;
  // On hold with a reason: the reason ("Awaiting Caller") says whose move it is.
  const holdReasonLabel = record.hold_reason.display || record.hold_reason.value;
  let status = mapping.mapStatus(state.value);
  if (status.kind !== 'ok') status = mapping.mapStatus(state.display);
  if (status.kind === 'ok' && status.value.status === 'on_hold' && holdReasonLabel !== '') {
    const reason = mapping.mapStatus(holdReasonLabel);
    if (reason.kind === 'ok' && reason.value.status === 'on_hold') status = reason;
  }
  if (status.kind !== 'ok') return status;

  let priority = mapping.mapPriority(record.priority.value);
  if (priority.kind !== 'ok' && record.priority.display !== '')
    priority = mapping.mapPriority(record.priority.display);
  if (priority.kind !== 'ok') return priority;

  const team = nonEmpty(record.assignment_group.display || record.assignment_group.value);
  const location = nonEmpty(record.location.display || record.location.value);
  const region = mapping.mapRegion(location, team);
  if (region.kind !== 'ok') return region;
  const tier = mapping.mapTier(undefined, team);
  if (tier.kind !== 'ok') return tier;

  const updatedAt = glideToIso(record.sys_updated_on.value)!;
  const modCount = record.sys_mod_count.value;
  const version = /^\d+$/.test(modCount) ? Number(modCount) : Date.parse(updatedAt);
  const candidate = {
    ticketId: record.sys_id.value,
    version,
    changeKey: /^\d+$/.test(modCount) ? `m${modCount}` : `u${updatedAt}`,
    createdAt: glideToIso(record.opened_at.value) ?? glideToIso(record.sys_created_on.value) ?? updatedAt,
    updatedAt,
    resolvedAt: glideToIso(record.resolved_at.value),
    closedAt: glideToIso(record.closed_at.value),
    status: status.value.status,
    originalStatus: nonEmpty(
      holdReasonLabel !== '' && status.value.status === 'on_hold'
        ? `${state.display || state.value} / ${holdReasonLabel}`
        : state.display || state.value,
    ),
    holdReason: status.value.holdReason,
    priority: priority.value,
    originalPriority: nonEmpty(record.priority.display || record.priority.value),
    customer: nonEmpty(record.company.display || record.company.value) ?? UNKNOWN_CUSTOMER,
    region: region.value,
    originalRegion: location,
    team,
    // The group's sys_id: its name (the team) may be renamed, the sys_id stays.
    originalTeam: nonEmpty(record.assignment_group.value),
    tier: tier.value,
    agent: nonEmpty(record.assigned_to.value),
    site: location,
    category: nonEmpty(record.category.display || record.category.value),
    channel: record.contact_type.value === '' ? undefined : (channels[record.contact_type.value] ?? 'other'),
  };
  const parsed = ticketSnapshotSchema.safeParse(
    Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined)),
  );
  if (!parsed.success) return dlq('the record has values Baton cannot use', fieldProblems(parsed.error));
  return ok(parsed.data);
}
