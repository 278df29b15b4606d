import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type AlertRule,
  defaultAlertRules,
  loadAlertRules,
  parseAlertRules,
} from '../../core/alert-rules.js';
import {
  decideBacklog,
  decideEscalation,
  decideHandover,
  decideSilent,
  decideSlaRisk,
} from './conditions.js';

type Of<K extends AlertRule['kind']> = Extract<AlertRule, { kind: K }>;
const rule = <K extends AlertRule['kind']>(r: unknown) => parseAlertRules([r])[0] as Of<K>;

const gap = rule<'backlog_outpacing_headcount'>({
  id: 'gap',
  kind: 'backlog_outpacing_headcount',
  params: { windowDays: 7, gapPp: 10, minBacklog: 50 },
});
const row = (over: Partial<Parameters<typeof decideBacklog>[2]>) => ({
  region: 'APAC',
  window_start: '2026-03-23 00:00:00.000',
  window_end: '2026-03-30 00:00:00.000',
  backlog_start: 200,
  backlog_end: 260,
  backlog_growth_pct: 30,
  headcount_start: 40,
  headcount_end: 42,
  headcount_growth_pct: 5,
  gap_pp: 25,
  ...over,
});

describe('alert conditions', () => {
  it("backlog outpacing headcount: the design's example fires, with the numbers that justify it", () => {
    const o = decideBacklog(gap, 'acme', row({}));
    expect(o.active).toBe(true);
    expect(o.group).toEqual({ tenant: 'acme', region: 'APAC' });
    expect(o.value).toBe(25);
    expect(o.numbers).toMatchObject({
      backlog_start: 200,
      backlog_end: 260,
      headcount_start: 40,
      headcount_end: 42,
      gap_pp: 25,
      window_start: '2026-03-23T00:00:00.000Z',
    });
    expect(o.summary).toBe(
      'APAC (tenant acme): backlog +30 % (200 → 260) against headcount +5 % (40 → 42) over 7 days: gap 25 pp (threshold 10 pp)',
    );
  });

  it('backlog outpacing headcount: at the threshold, below the minimum backlog, or without a gap it does not', () => {
    expect(decideBacklog(gap, 'acme', row({ gap_pp: 10 })).active).toBe(false); // "above", not "at"
    expect(decideBacklog(gap, 'acme', row({ backlog_end: 49, gap_pp: 200 })).active).toBe(false);
    const settled = rule<'backlog_outpacing_headcount'>({
      ...gap,
      params: { ...gap.params, minStartBacklog: 20 },
    });
    expect(decideBacklog(settled, 'acme', row({ backlog_start: 19, gap_pp: 900 })).active).toBe(false);
    expect(decideBacklog(settled, 'acme', row({ backlog_start: 20 })).active).toBe(true);
    // headcount rising from 0: no growth percentage, no gap
    expect(decideBacklog(gap, 'acme', row({ headcount_growth_pct: null, gap_pp: null })).active).toBe(false);
  });

  it('SLA risk surge counts tickets at the level or predicted to breach, per tenant and region', () => {
    const r = rule<'sla_risk_surge'>({
      id: 's',
      kind: 'sla_risk_surge',
      params: { minLevel: 'critical', minTickets: 3 },
    });
    const t = (region: string, risk: string, predicted = 0) => ({
      tenant: 'a',
      region,
      risk,
      predicted_breach: predicted,
    });
    const got = decideSlaRisk(r, [
      t('APAC', 'critical'),
      t('APAC', 'breached'),
      t('APAC', 'watch', 1),
      t('APAC', 'warning'),
      t('EMEA', 'critical'),
    ]);
    expect(got.map((o) => [o.group.region, o.value, o.active])).toEqual([
      ['APAC', 3, true],
      ['EMEA', 1, false],
    ]);
    const strict = rule<'sla_risk_surge'>({ ...r, params: { ...r.params, includePredicted: false } });
    expect(
      decideSlaRisk(strict, [t('APAC', 'critical'), t('APAC', 'breached'), t('APAC', 'watch', 1)])[0]!.value,
    ).toBe(2);
  });

  it('handover pickup p90 above target, over enough picked-up handovers, on the chosen clock', () => {
    const r = rule<'handover_pickup_p90'>({
      id: 'h',
      kind: 'handover_pickup_p90',
      params: { targetMinutes: 60, minPickedUp: 3, clock: 'business' },
    });
    const h = { from_region: 'APAC', to_region: 'EMEA', handovers: 5, picked_up: 4, pending: 1 };
    const o = decideHandover(r, 'a', { ...h, wall_p90_seconds: 9000, business_p90_seconds: 3700 });
    expect([o.active, o.value, o.threshold]).toEqual([true, 3700, 3600]);
    expect(o.group).toEqual({ tenant: 'a', from_region: 'APAC', region: 'EMEA' });
    expect(decideHandover(r, 'a', { ...h, wall_p90_seconds: 9000, business_p90_seconds: 3600 }).active).toBe(
      false,
    );
    expect(
      decideHandover(r, 'a', { ...h, picked_up: 2, wall_p90_seconds: 9000, business_p90_seconds: 9000 })
        .active,
    ).toBe(false);
  });

  it('escalation-rate spike: the window against its baseline, in percentage points', () => {
    const r = rule<'escalation_rate_spike'>({
      id: 'e',
      kind: 'escalation_rate_spike',
      params: { spikePp: 10, minResolved: 20 },
    });
    const cur = { region: 'APAC', resolved: 40, escalated_tickets: 16, escalation_rate: 0.4 };
    const base = { region: 'APAC', resolved: 100, escalated_tickets: 25, escalation_rate: 0.25 };
    const o = decideEscalation(r, 'a', cur, base);
    expect(o.active).toBe(true);
    expect(o.value).toBeCloseTo(15, 9); // 40 % − 25 %
    expect(o.numbers).toMatchObject({ rate_pct: 40, baseline_rate_pct: 25, spike_pp: 15, resolved: 40 });
    expect(decideEscalation(r, 'a', { ...cur, resolved: 19 }, base).active).toBe(false);
    expect(decideEscalation(r, 'a', cur, undefined).active).toBe(false); // no baseline, no spike
  });

  it('a source is silent once its last event is older than the threshold', () => {
    const r = rule<'source_silent'>({ id: 'q', kind: 'source_silent', params: { silentMinutes: 30 } });
    const last = { tenant: 'a', source: 'servicenow', last_received_at: '2026-06-01 00:00:00.000' };
    const t0 = Date.parse('2026-06-01T00:00:00Z');
    expect(decideSilent(r, last, t0 + 30 * 60_000).active).toBe(false);
    const o = decideSilent(r, last, t0 + 31 * 60_000);
    expect([o.active, o.value, o.group]).toEqual([true, 1860, { tenant: 'a', source: 'servicenow' }]);
  });

  it('the demo rules parse, and a bad rules file names each bad field', () => {
    expect(defaultAlertRules.map((r) => r.kind)).toContain('backlog_outpacing_headcount');
    expect(() =>
      parseAlertRules([
        { id: 'x', kind: 'backlog_outpacing_headcount', params: { windowDays: 14, gapPp: -1 } },
        { id: 'x', kind: 'source_silent', params: { silentMinutes: 5, extra: 1 } },
        { id: 'Bad Id', kind: 'nope', params: {} },
      ]),
    ).toThrow(
      /\[0\]\.params\.windowDays: [^\n]+\n {2}\[0\]\.params\.gapPp: [^\n]+\n {2}\[1\]\.params: [^\n]*extra[^\n]*\n {2}\[2\]\.kind/,
    );
  });

  it('ALERT_RULES_FILE: a file that is not JSON, or not valid, stops the start naming the file and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-rules-'));
    try {
      const broken = join(dir, 'broken.json');
      writeFileSync(broken, '[{');
      expect(() => loadAlertRules(broken)).toThrow(/alert rules file .*broken\.json: /);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify([{ id: 'a', kind: 'source_silent', params: {} }]));
      expect(() => loadAlertRules(bad)).toThrow(
        /alert rules in .*bad\.json are not valid:\n {2}\[0\]\.params\.silentMinutes: /,
      );
      expect(loadAlertRules(undefined)).toBe(defaultAlertRules);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
