import { describe, expect, it } from 'vitest';
import type { TicketEvent } from '../../../core/events/index.js';
import type { Outcome } from '../../../core/outcome.js';
import { fixtureMappings } from '../shared/fixture-mappings.js';
import { diffTicketSnapshot, type TicketSnapshot } from '../snapshot-diff.js';
import { convertServiceNow } from './convert.js';
import { changeOf } from './incident.js';
import { incidentToSnapshot, parseIncident } from './poller-snapshot.js';
import { serviceNowWebhookSchema } from './schema.js';

// One incident history fed through both ServiceNow connectors: the business-rule webhook
// (current / previous per update) and the Table API poller (the record at each sys_mod_count,
// diffed against the last one seen). Both must name the ticket and every change alike, with
// identical events — whichever connector saw it, or both side by side.

const mapping = fixtureMappings().get('servicenow')!;
const tenant = 'acme';
const receivedAt = '2024-05-08T12:00:00.000Z';
const SYS_ID = '9d385017c611228701d22104cc95c371';

type Ref = [sysId: string, name: string];
type Pick = [value: string, label: string];
interface State {
  mod: number;
  updatedOn: string;
  state: Pick;
  hold?: Pick;
  priority: Pick;
  group?: Ref;
  assignee?: Ref;
  resolvedAt?: string;
  closedAt?: string;
}

const EMEA: Ref = ['grp-emea', 'Service Desk EMEA'];
const APAC: Ref = ['grp-apac', 'Network Operations APAC'];
const inProgress: Pick = ['2', 'In Progress'];
const history: State[] = [
  {
    mod: 0,
    updatedOn: '2024-05-06 08:15:00',
    state: inProgress,
    priority: ['3', '3 - Moderate'],
    group: EMEA,
    assignee: ['usr-beth', 'Beth Anglin'],
  },
  // Reassigned to another team's queue (no assignee) and raised in priority.
  { mod: 1, updatedOn: '2024-05-06 10:30:00', state: inProgress, priority: ['2', '2 - High'], group: APAC },
  // A work note only: nothing tracked changed.
  { mod: 2, updatedOn: '2024-05-06 10:45:00', state: inProgress, priority: ['2', '2 - High'], group: APAC },
  {
    mod: 3,
    updatedOn: '2024-05-06 11:00:00',
    state: ['3', 'On Hold'],
    hold: ['4', 'Awaiting Vendor'],
    priority: ['2', '2 - High'],
    group: APAC,
  },
  {
    mod: 4,
    updatedOn: '2024-05-07 14:20:00',
    state: ['6', 'Resolved'],
    priority: ['2', '2 - High'],
    group: APAC,
    resolvedAt: '2024-05-07 14:19:58',
  },
  // Reopened, picked up by an agent.
  {
    mod: 5,
    updatedOn: '2024-05-08 07:05:00',
    state: inProgress,
    priority: ['2', '2 - High'],
    group: APAC,
    assignee: ['usr-kai', 'Kai Tanaka'],
  },
  // Closed straight from work: resolved on the way.
  {
    mod: 6,
    updatedOn: '2024-05-08 09:00:00',
    state: ['7', 'Closed'],
    priority: ['2', '2 - High'],
    group: APAC,
    assignee: ['usr-kai', 'Kai Tanaka'],
    resolvedAt: '2024-05-08 08:59:00',
    closedAt: '2024-05-08 09:00:00',
  },
];

/** What the business rule sends: stored values for choices, display values for references. */
function webhookRecord(s: State) {
  return {
    sys_id: SYS_ID,
    number: 'INC0010042',
    sys_mod_count: String(s.mod),
    sys_updated_on: s.updatedOn,
    opened_at: '2024-05-06 08:15:00',
    state: s.state[0],
    incident_state: s.state[0],
    priority: s.priority[0],
    hold_reason: s.hold?.[0] ?? '',
    assignment_group: s.group?.[1] ?? '',
    assigned_to: s.assignee?.[1] ?? '',
    location: 'Germany',
    company: 'Acme GmbH',
    category: 'network',
    contact_type: 'phone',
    resolved_at: s.resolvedAt ?? '',
    closed_at: s.closedAt ?? '',
  };
}

/** What the Table API returns with sysparm_display_value=all. */
function tableRecord(s: State) {
  const p = (value: string, display_value = value) => ({ value, display_value });
  return {
    sys_id: p(SYS_ID),
    number: p('INC0010042'),
    sys_mod_count: p(String(s.mod)),
    sys_updated_on: p(s.updatedOn, s.updatedOn),
    sys_created_on: p('2024-05-06 08:15:00'),
    opened_at: p('2024-05-06 08:15:00'),
    state: p(...s.state),
    incident_state: p(...s.state),
    priority: p(...s.priority),
    hold_reason: s.hold ? p(...s.hold) : p(''),
    assignment_group: s.group ? p(...s.group) : p(''),
    assigned_to: s.assignee ? p(...s.assignee) : p(''),
    location: p('loc-de', 'Germany'),
    company: p('co-acme', 'Acme GmbH'),
    category: p('network', 'Network'),
    contact_type: p('phone', 'Phone'),
    resolved_at: p(s.resolvedAt ?? ''),
    closed_at: p(s.closedAt ?? ''),
  };
}

const value = <T>(o: Outcome<T>): T => {
  if (o.kind !== 'ok') throw new Error(`expected ok, got ${o.kind}: ${o.reason}`);
  return o.value;
};

/** The webhook's events for the change to history[i] (none when it was dropped as untracked). */
function viaWebhook(i: number): TicketEvent[] {
  const payload = serviceNowWebhookSchema.parse({
    table: 'incident',
    operation: i === 0 ? 'insert' : 'update',
    current: webhookRecord(history[i]!),
    previous: i === 0 ? null : webhookRecord(history[i - 1]!),
  });
  const out = convertServiceNow(payload, { mapping, tenant, receivedAt });
  return out.kind === 'drop' ? [] : value(out);
}

const snapshotOf = (s: State): TicketSnapshot =>
  value(incidentToSnapshot(value(parseIncident(tableRecord(s))), mapping, tenant));

/** The poller's events for history[i], having last seen history[seen] (undefined: never). */
function viaPoller(i: number, seen?: number): TicketEvent[] {
  const previous = seen === undefined ? undefined : snapshotOf(history[seen]!);
  return value(
    diffTicketSnapshot(previous, snapshotOf(history[i]!), { source: 'servicenow', tenant, receivedAt }),
  );
}

const id = (change: string) => `servicenow:ticket:${SYS_ID}:${change}`;

describe('ServiceNow identity: webhook and Table API poller agree', () => {
  it('every change of one incident: the same ticketId, ids and events from both connectors', () => {
    const webhook = history.map((_, i) => viaWebhook(i));
    const poller = history.map((_, i) => viaPoller(i, i === 0 ? undefined : i - 1));
    expect(poller).toEqual(webhook);

    const all = webhook.flat();
    expect(new Set(all.map((e) => e.ticketId))).toEqual(new Set(['INC0010042']));
    expect(webhook.map((events) => events.map((e) => e.eventId))).toEqual([
      [id('created'), id('created.assigned'), id('created.status')],
      [id('1.assigned'), id('1.priority')],
      [],
      [id('3.status')],
      [id('4.status'), id('4.resolved')],
      [id('5.assigned'), id('5.status'), id('5.reopened')],
      [id('6.status'), id('6.resolved'), id('6.closed')],
    ]);
    expect(new Set(all.map((e) => e.eventId)).size).toBe(all.length);
    // One form for the vendor's values, whichever connector: labels for choices, names for references.
    expect(all.find((e) => e.eventId === id('3.status'))).toMatchObject({
      status: 'on_hold',
      holdReason: 'vendor',
      originalStatus: 'On Hold / Awaiting Vendor',
    });
    expect(all.find((e) => e.eventId === id('1.priority'))).toMatchObject({ originalPriority: '2 - High' });
    expect(all.find((e) => e.eventId === id('5.assigned'))).toMatchObject({
      team: 'Network Operations APAC',
      originalTeam: 'Network Operations APAC',
      region: 'APAC',
      tier: 'L2',
      agent: 'Kai Tanaka',
    });
  });

  it('a poller that first sees the incident later: its events for that version match the webhook', () => {
    for (let i = 1; i < history.length; i++) {
      const late = viaPoller(i);
      expect(late[0]).toMatchObject({
        type: 'ticket.created',
        eventId: id('created'),
        ticketId: 'INC0010042',
      });
      const webhook = new Map(viaWebhook(i).map((e) => [e.eventId, e]));
      const shared = late.filter((e) => webhook.has(e.eventId));
      for (const e of shared) expect(e).toEqual(webhook.get(e.eventId));
      // The rest of the late view is the state at that version, named by it.
      for (const e of late.slice(1)) expect(e.eventId.startsWith(id(`${history[i]!.mod}.`))).toBe(true);
    }
  });

  it('a Table API record without a number is dead-lettered, not keyed by sys_id', () => {
    const { number: _n, ...rest } = tableRecord(history[0]!);
    expect(incidentToSnapshot(value(parseIncident(rest)), mapping, tenant)).toEqual({
      kind: 'dlq',
      reason: 'incident without a number',
    });
  });

  it('sys_mod_count names the change; without a numeric one, the update time does', () => {
    expect(changeOf('7', '2024-05-08T09:00:00.000Z')).toEqual({ version: 7, changeKey: '7' });
    expect(changeOf('', '2024-05-08T09:00:00.000Z')).toEqual({
      version: Date.parse('2024-05-08T09:00:00.000Z'),
      changeKey: 'u20240508090000',
    });
  });
});
