import { fieldProblems } from '../../../core/events/index.js';
import type { NormalisedStatus, SourceMapping } from '../../../core/mapping.js';
import { dlq, type Outcome, ok } from '../../../core/outcome.js';
import { channelOf } from '../shared/fields.js';
import { type TicketSnapshot, ticketSnapshotSchema } from '../snapshot-diff.js';

// One ServiceNow incident state → Baton's normalised ticket snapshot, shared by the webhook
// converter (business rule `current` / `previous`) and the Table API poller, so that both name the
// same incident and the same change alike: ticketId = `number`, event ids from `sys_id` and
// `sys_mod_count`, vendor originals in one form (see docs/connectors.md, "ServiceNow identity").

/** A choice field: the stored value and, when the source sends it, the instance's label ('' if not). */
export interface Choice {
  value: string;
  display: string;
}

/** An incident's fields as both connectors have them; reference fields as display names. */
export interface IncidentState {
  sysId: string;
  /** '' when the source did not send it. */
  number: string;
  /** `sys_mod_count` as sent ('' when absent). */
  modCount: string;
  /** ISO-8601 UTC. */
  updatedAt: string;
  openedAt?: string | undefined;
  createdOn?: string | undefined;
  resolvedAt?: string | undefined;
  closedAt?: string | undefined;
  state: Choice;
  incidentState: Choice;
  holdReason: Choice;
  priority: Choice;
  category: Choice;
  /** The stored choice value (phone, email, self-service, ...). */
  contactType?: string | undefined;
  assignmentGroup?: string | undefined;
  assignedTo?: string | undefined;
  company?: string | undefined;
  location?: string | undefined;
  /** The record as inserted (a business rule's insert; a Table API record at sys_mod_count 0). */
  atCreation: boolean;
}

export const noChoice: Choice = { value: '', display: '' };

// The labels of the out-of-the-box choices. The webhook sends only the stored value; the Table API
// also sends the instance's (possibly localised) label. Using these for the standard values keeps
// both connectors' `originalStatus` / `originalPriority` / `category` identical; other (custom)
// values keep the instance's label where the source has it, else the stored value.
const stateLabels: Record<string, string> = {
  '1': 'New',
  '2': 'In Progress',
  '3': 'On Hold',
  '6': 'Resolved',
  '7': 'Closed',
  '8': 'Canceled',
};
const holdReasonLabels: Record<string, string> = {
  '1': 'Awaiting Caller',
  '3': 'Awaiting Problem',
  '4': 'Awaiting Vendor',
  '5': 'Awaiting Change',
};
const priorityLabels: Record<string, string> = {
  '1': '1 - Critical',
  '2': '2 - High',
  '3': '3 - Moderate',
  '4': '4 - Low',
  '5': '5 - Planning',
};
const categoryLabels: Record<string, string> = {
  inquiry: 'Inquiry / Help',
  software: 'Software',
  hardware: 'Hardware',
  network: 'Network',
  database: 'Database',
};

const label = (labels: Record<string, string>, c: Choice) =>
  Object.hasOwn(labels, c.value) ? labels[c.value]! : c.display || c.value;
const nonEmpty = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : s.trim());

/**
 * `sys_mod_count` names the change: `<n>` (and is the version). A record without a numeric one
 * falls back to its update time: version = epoch ms, key `u<yyyyMMddHHmmss>`.
 */
export function changeOf(modCount: string, updatedAt: string): { version: number; changeKey: string } {
  if (/^\d+$/.test(modCount)) return { version: Number(modCount), changeKey: String(Number(modCount)) };
  return { version: Date.parse(updatedAt), changeKey: `u${updatedAt.replace(/\D/g, '').slice(0, 14)}` };
}

function statusOf(
  i: IncidentState,
  mapping: SourceMapping,
): Outcome<{ status: NormalisedStatus; original?: string | undefined }> {
  // `state` is the current field; `incident_state` the legacy one some instances still maintain.
  const state = i.state.value !== '' ? i.state : i.incidentState;
  const stateLabel = label(stateLabels, state);
  let status = mapping.mapStatus(state.value);
  if (status.kind !== 'ok' && stateLabel !== state.value) status = mapping.mapStatus(stateLabel);
  if (status.kind !== 'ok') return status;
  // On hold with a reason: the reason ("Awaiting Caller") says whose move it is.
  const holdLabel = label(holdReasonLabels, i.holdReason);
  if (status.value.status !== 'on_hold' || holdLabel === '')
    return ok({ status: status.value, original: nonEmpty(stateLabel) });
  const byReason = mapping.mapStatus(holdLabel);
  const holdReason =
    byReason.kind === 'ok' && byReason.value.status === 'on_hold' ? byReason.value.holdReason : undefined;
  return ok({
    status: { status: 'on_hold', holdReason: holdReason ?? status.value.holdReason ?? 'other' },
    original: `${stateLabel} / ${holdLabel}`,
  });
}

/** The owning team's region: the team's own (mapping `teams`), else the incident's location. */
function teamRegion(team: string, location: string | undefined, mapping: SourceMapping): Outcome<string> {
  const own = mapping.mapRegion(team, team);
  return own.kind === 'ok' ? own : mapping.mapRegion(location, team);
}

export function incidentSnapshot(
  i: IncidentState,
  mapping: SourceMapping,
  tenant: string,
): Outcome<TicketSnapshot> {
  const number = nonEmpty(i.number);
  if (number === undefined) return dlq('incident without a number');
  const status = statusOf(i, mapping);
  if (status.kind !== 'ok') return status;

  const priorityLabel = label(priorityLabels, i.priority);
  let priority = mapping.mapPriority(nonEmpty(i.priority.value));
  if (priority.kind !== 'ok' && priorityLabel !== i.priority.value)
    priority = mapping.mapPriority(priorityLabel);
  if (priority.kind !== 'ok') return priority;

  const team = nonEmpty(i.assignmentGroup);
  const location = nonEmpty(i.location);
  const region = mapping.mapRegion(location, team);
  if (region.kind !== 'ok') return region;
  const assignmentRegion = team === undefined ? undefined : teamRegion(team, location, mapping);
  if (assignmentRegion && assignmentRegion.kind !== 'ok') return assignmentRegion;
  const tier = mapping.mapTier(undefined, team);
  if (tier.kind !== 'ok') return tier;

  const { version, changeKey } = changeOf(i.modCount, i.updatedAt);
  const candidate: Record<keyof TicketSnapshot, unknown> = {
    ticketId: number,
    sourceKey: i.sysId,
    version,
    changeKey,
    atCreation: i.atCreation || undefined,
    createdAt: i.openedAt ?? i.createdOn ?? i.updatedAt,
    updatedAt: i.updatedAt,
    resolvedAt: i.resolvedAt,
    closedAt: i.closedAt,
    status: status.value.status.status,
    originalStatus: status.value.original,
    holdReason: status.value.status.holdReason,
    priority: priority.value,
    originalPriority: nonEmpty(priorityLabel),
    customer: nonEmpty(i.company) ?? tenant,
    region: region.value,
    originalRegion: location,
    team,
    teamRegion: assignmentRegion?.value,
    // The group's name: the webhook's business rule sends reference fields as display values only.
    originalTeam: team,
    tier: tier.value,
    agent: nonEmpty(i.assignedTo),
    site: location,
    category: nonEmpty(label(categoryLabels, i.category)),
    channel: channelOf(nonEmpty(i.contactType)),
  };
  const parsed = ticketSnapshotSchema.safeParse(
    Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined)),
  );
  if (!parsed.success) return dlq('the record has values Baton cannot use', fieldProblems(parsed.error));
  return ok(parsed.data);
}
