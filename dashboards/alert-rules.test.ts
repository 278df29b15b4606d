import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultAlertRules, parseAlertRules } from '../core/alert-rules.js';
import {
  ALERT_RULES_FILE_NAME,
  alertingDir,
  alertRuleProvisioning,
  bindQuery,
  renderAlertRuleProvisioning,
} from './alert-rules.js';

interface ProvisionedRule {
  uid: string;
  title: string;
  condition: string;
  for: string;
  labels: Record<string, string>;
  data: { refId: string; datasourceUid: string; model: Record<string, unknown> }[];
}

const datasourceFile = join(alertingDir, '..', 'datasources', 'clickhouse.yaml');

describe('Grafana alert-rule provisioning', () => {
  it('the committed baton-rules.yaml is a fresh render of the rules (run `npx tsx dashboards/alert-rules.ts`)', () => {
    expect(readFileSync(join(alertingDir, ALERT_RULES_FILE_NAME), 'utf8')).toBe(
      renderAlertRuleProvisioning(),
    );
  });

  it("follows Grafana's file-provisioning format and queries the provisioned ClickHouse datasource", () => {
    const doc = parse(renderAlertRuleProvisioning()) as {
      apiVersion: number;
      groups: { orgId: number; name: string; folder: string; interval: string; rules: ProvisionedRule[] }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.groups).toHaveLength(1);
    const group = doc.groups[0]!;
    expect(group).toMatchObject({ orgId: 1, name: 'baton', folder: 'Baton', interval: '60s' });
    const datasources = parse(readFileSync(datasourceFile, 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    const clickhouse = datasources.datasources.find((d) => d.type === 'grafana-clickhouse-datasource')!;
    expect(group.rules.map((r) => r.uid)).toEqual(defaultAlertRules.map((r) => `baton-${r.id}`));
    for (const [i, r] of group.rules.entries()) {
      const rule = defaultAlertRules[i]!;
      expect(r.uid.length).toBeLessThanOrEqual(40);
      expect(r.data.map((d) => d.refId)).toContain(r.condition);
      const [query, threshold] = r.data;
      expect(query!.datasourceUid).toBe(clickhouse.uid);
      expect(query!.model.datasource).toEqual({ type: clickhouse.type, uid: clickhouse.uid });
      expect(query!.model.rawSql).not.toMatch(/\{[A-Za-z_]+:[^{}]+\}/); // every parameter bound
      expect(threshold).toMatchObject({
        datasourceUid: '__expr__',
        model: { type: 'threshold', expression: 'A' },
      });
      expect(r.for).toBe(`${(rule.forEvaluations - 1) * 60}s`);
      expect(r.labels).toMatchObject({ ...rule.labels, severity: rule.severity, baton_rule: rule.id });
    }
  });

  it('thresholds and filters come from the rule parameters', () => {
    const rules = parseAlertRules([
      {
        id: 'apac-gap',
        kind: 'backlog_outpacing_headcount',
        forEvaluations: 4,
        params: { windowDays: 28, gapPp: 12.5, minBacklog: 80, tenant: "o'brien", region: 'APAC' },
      },
      { id: 'busy', kind: 'sla_risk_surge', params: { minTickets: 10, includePredicted: false } },
      {
        id: 'a-rule-id-long-enough-to-need-shortening-for-grafana',
        kind: 'source_silent',
        params: { silentMinutes: 15 },
      },
    ]);
    const [gap, busy, silent] = alertRuleProvisioning(rules, { intervalSeconds: 30 }).groups[0]!.rules;
    expect(gap!.for).toBe('90s');
    expect(gap!.data[1]!.model).toMatchObject({
      conditions: [{ evaluator: { type: 'gt', params: [12.5] } }],
    });
    const sql = String(gap!.data[0]!.model.rawSql);
    expect(sql).toContain("CAST('o\\'brien' AS String)");
    expect(sql).toContain("CAST('APAC' AS String)");
    expect(sql).toContain('CAST(28 AS UInt16)');
    expect(sql).toContain('backlog_end >= 80');
    // "at least 10 tickets" on whole counts
    expect(busy!.data[1]!.model).toMatchObject({ conditions: [{ evaluator: { params: [9] } }] });
    expect(String(busy!.data[0]!.model.rawSql)).not.toContain('predicted_breach = 1');
    expect(silent!.uid.length).toBeLessThanOrEqual(40);
    expect(silent!.uid.startsWith('baton-a-rule-id')).toBe(true);
    expect(silent!.data[1]!.model).toMatchObject({ conditions: [{ evaluator: { params: [900] } }] });
  });

  it('a query parameter without a value is an error, not a silent empty', () => {
    expect(() => bindQuery('escalations', { tenant: "''" })).toThrow(
      /escalations.sql: no value for \{from:DateTime64/,
    );
  });
});
