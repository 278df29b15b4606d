import { describe, expect, it } from 'vitest';
import { fieldProblems } from '../../core/events/common.js';
import { defaultSlaPolicies, matchPolicy, slaPolicySetSchema } from './policy.js';

describe('SLA policies', () => {
  const pick = (customer: string, priority: 'critical' | 'high' | 'medium' | 'low', tenant = 'acme-msp') =>
    matchPolicy(defaultSlaPolicies, { tenant, customer, priority })?.id;

  it('default set: customer+priority > priority > default', () => {
    expect(pick('globex', 'high')).toBe('globex-high');
    expect(pick('acme', 'high')).toBe('high');
    expect(pick('globex', 'critical')).toBe('critical');
    expect(pick('acme', 'low')).toBe('low');
  });

  it('customer outranks priority, priority outranks tenant; no match gives null', () => {
    const policies = slaPolicySetSchema.parse([
      {
        id: 'tenant',
        match: { tenant: 't1' },
        responseTargetSeconds: 1,
        resolutionTargetSeconds: 2,
        calendar: 'x',
      },
      {
        id: 'prio',
        match: { priority: 'low' },
        responseTargetSeconds: 1,
        resolutionTargetSeconds: 2,
        calendar: 'x',
      },
      {
        id: 'cust',
        match: { customer: 'c1' },
        responseTargetSeconds: 1,
        resolutionTargetSeconds: 2,
        calendar: 'x',
      },
    ]);
    expect(matchPolicy(policies, { tenant: 't1', customer: 'c1', priority: 'low' })?.id).toBe('cust');
    expect(matchPolicy(policies, { tenant: 't1', customer: 'c2', priority: 'low' })?.id).toBe('prio');
    expect(matchPolicy(policies, { tenant: 't1', customer: 'c2', priority: 'high' })?.id).toBe('tenant');
    expect(matchPolicy(policies, { tenant: 't2', customer: 'c2', priority: 'high' })).toBe(null);
    expect(policies[0]!.pauseOnHoldReasons).toEqual(['customer', 'vendor']);
  });

  it('reports invalid policies with precise paths', () => {
    const r = slaPolicySetSchema.safeParse([
      {
        id: 'a',
        match: { priority: 'urgent', team: 'x' },
        responseTargetSeconds: -1,
        resolutionTargetSeconds: 1.5,
        calendar: '',
        pauseOnHoldReasons: ['weather'],
      },
      { id: 'b', match: {}, responseTargetSeconds: 1, resolutionTargetSeconds: 2, calendar: 'owner' },
      { id: 'b', responseTargetSeconds: 1, resolutionTargetSeconds: 2, calendar: 'owner' },
    ]);
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(fieldProblems(r.error).map((p) => p.path)).toEqual([
      '[0].match.priority',
      '[0].match',
      '[0].responseTargetSeconds',
      '[0].resolutionTargetSeconds',
      '[0].calendar',
      '[0].pauseOnHoldReasons[0]',
    ]);
    const dup = slaPolicySetSchema.safeParse([
      { id: 'b', match: {}, responseTargetSeconds: 1, resolutionTargetSeconds: 2, calendar: 'owner' },
      { id: 'b', responseTargetSeconds: 1, resolutionTargetSeconds: 2, calendar: 'owner' },
    ]);
    expect(dup.success ? [] : fieldProblems(dup.error)).toEqual([
      { path: '[1].id', message: 'duplicate policy id b' },
      { path: '[1].match', message: 'same match as policy b' },
    ]);
  });
});
