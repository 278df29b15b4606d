import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../core/outcome.js';
import { fixtureMappings } from '../shared/fixture-mappings.js';
import { loadFixture } from '../shared/fixtures.js';
import { convertJira } from './convert.js';
import { jiraWebhookSchema } from './schema.js';

const ctx = {
  mapping: fixtureMappings().get('jira')!,
  tenant: 'acme',
  receivedAt: '2024-05-08T12:00:00.000Z',
};
const convert = (name: string) => convertJira(loadFixture('jira', name, jiraWebhookSchema), ctx);
const events = <T>(o: Outcome<T>): T => {
  if (o.kind !== 'ok') throw new Error(`expected ok, got ${o.kind}: ${o.reason}`);
  return o.value;
};
const common = {
  schemaVersion: 1,
  source: 'jira',
  tenant: 'acme',
  ticketId: 'ACME-154',
  receivedAt: '2024-05-08T12:00:00.000Z',
};

describe('Jira issue webhook → canonical events', () => {
  it('issue_created becomes created, assigned to its component, and its first status', () => {
    expect(events(convert('issue-created'))).toEqual([
      {
        ...common,
        type: 'ticket.created',
        eventId: 'jira:ticket:10021:created',
        occurredAt: '2024-05-06T08:15:00.000Z',
        customer: 'ACME',
        region: 'APAC',
        priority: 'high',
        originalPriority: 'High',
        category: 'Incident',
        team: 'Service Desk APAC',
        tier: 'L1',
      },
      {
        ...common,
        type: 'ticket.assigned',
        eventId: 'jira:ticket:10021:created.assigned',
        occurredAt: '2024-05-06T08:15:00.000Z',
        team: 'Service Desk APAC',
        region: 'APAC',
        originalTeam: 'Service Desk APAC',
        tier: 'L1',
      },
      {
        ...common,
        type: 'ticket.status_changed',
        eventId: 'jira:ticket:10021:created.status',
        occurredAt: '2024-05-06T08:15:00.000Z',
        status: 'open',
        originalStatus: 'Waiting for support',
      },
    ]);
  });

  it('assignee, component and priority changes: one assigned (new team, agent) and priority_changed', () => {
    const out = events(convert('issue-updated-reassigned'));
    expect(out.map((e) => e.type)).toEqual(['ticket.assigned', 'ticket.priority_changed']);
    expect(out[0]).toMatchObject({
      eventId: 'jira:ticket:10021:c10550.assigned',
      occurredAt: '2024-05-06T09:02:11.000Z',
      team: 'Network Operations EMEA',
      region: 'EMEA',
      tier: 'L2',
      agent: '5b10ac8d82e05b22cc7d4ef5',
    });
    expect(out[1]).toMatchObject({ priority: 'critical', originalPriority: 'Highest' });
    expect(out).toMatchSnapshot();
  });

  it('a transition to Resolved: status_changed and resolved', () => {
    const out = events(convert('issue-updated-resolved'));
    expect(out.map((e) => [e.type, e.eventId])).toEqual([
      ['ticket.status_changed', 'jira:ticket:10021:c10561.status'],
      ['ticket.resolved', 'jira:ticket:10021:c10561.resolved'],
    ]);
    expect(out[0]).toMatchObject({ status: 'resolved', originalStatus: 'Resolved' });
    expect(out).toMatchSnapshot();
  });

  it('a change of an untracked field is dropped', () => {
    expect(convert('issue-updated-summary-only')).toEqual({
      kind: 'drop',
      reason: 'no tracked field changed (status, priority, assignee, component)',
    });
  });

  it('an unknown status name is dead-lettered', () => {
    const out = convert('issue-updated-unmappable-status');
    expect(out.kind === 'dlq' && out.reason).toBe(
      'unknown status "Triage" for source "jira": add it to the "status" section of that source\'s mapping',
    );
  });

  it('without a changelog id the webhook timestamp discriminates the change', () => {
    const p = loadFixture('jira', 'issue-updated-resolved', jiraWebhookSchema);
    const out = events(convertJira({ ...p, changelog: { items: p.changelog!.items } }, ctx));
    expect(out[0]!.eventId).toBe('jira:ticket:10021:t1715069400000.status');
  });

  it('a created issue whose component has no region is dead-lettered', () => {
    const p = loadFixture('jira', 'issue-created', jiraWebhookSchema);
    const out = convertJira(
      { ...p, issue: { ...p.issue, fields: { ...p.issue.fields, components: [] } } },
      ctx,
    );
    expect(out).toEqual({ kind: 'dlq', reason: 'no region value and no default for source "jira"' });
  });
});
