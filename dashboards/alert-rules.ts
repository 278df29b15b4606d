import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { type AlertRule, defaultAlertRules, loadAlertRules } from '../core/alert-rules.js';
import { readQuery } from '../core/queries.js';

// Grafana alert rules from Baton's alert-rule definitions (core/alert-rules.ts), in Grafana's file
// provisioning format (apiVersion 1, groups of rules). Each rule's query is the same sql/queries
// file the evaluator runs, with its typed {name:Type} parameters bound to literals and now(), so
// a Grafana-only deployment alerts on the same figures. `npx tsx dashboards/alert-rules.ts [rules.json]`
// writes dashboards/provisioning/alerting/baton-rules.yaml; the dashboards build may call
// writeAlertRuleProvisioning. A unit test fails when the committed file is stale.
//
// What Grafana cannot express the same way: the cooldown after a resolution (Grafana has none), and
// per-tenant grouping of the region metrics (its queries sum tenants unless a rule names one).

/** The datasource of dashboards/provisioning/datasources/clickhouse.yaml (checked by the test). */
export const CLICKHOUSE_DATASOURCE = {
  type: 'grafana-clickhouse-datasource',
  uid: 'baton-clickhouse',
} as const;

export const alertingDir = fileURLToPath(new URL('./provisioning/alerting/', import.meta.url));
export const ALERT_RULES_FILE_NAME = 'baton-rules.yaml';

export interface ProvisioningOptions {
  /** The rule group's evaluation interval; `forEvaluations` N becomes `for: (N − 1) × interval`. */
  intervalSeconds?: number;
  folder?: string;
  group?: string;
}

// ---- SQL ------------------------------------------------------------------------------------------

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const NOW = 'now64(3)';

/**
 * A query file with every `{name:Type}` placeholder replaced by `CAST(<sql> AS Type)`. Values are
 * SQL expressions (use `quote` for text); a placeholder without a value is an error.
 */
export function bindQuery(name: string, values: Readonly<Record<string, string>>): string {
  return readQuery(name).replace(
    /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g,
    (_m, key: string, type: string) => {
      const v = values[key];
      if (v === undefined) throw new Error(`${name}.sql: no value for {${key}:${type}}`);
      return `CAST(${v} AS ${type})`;
    },
  );
}

const optional = (s: string | undefined) => quote(s ?? '');
const indent = (sql: string) => sql.replace(/\n/g, '\n    ');
const riskLevels = ['none', 'watch', 'warning', 'critical', 'breached'];

export interface GrafanaQuery {
  /** String columns become the alert's labels; the one numeric column is compared. */
  sql: string;
  /** Grafana's threshold: fires when the value is above this. */
  above: number;
  /** What the value is, for the annotation. */
  valueName: string;
}

/** The SQL Grafana runs for a rule (label columns + one numeric value) and its threshold. */
export function grafanaQuery(rule: AlertRule): GrafanaQuery {
  switch (rule.kind) {
    case 'backlog_outpacing_headcount': {
      const p = rule.params;
      const q = bindQuery('backlog-vs-headcount', {
        tenant: optional(p.tenant),
        region: optional(p.region),
        team: quote(''),
        at: NOW,
        window_days: String(p.windowDays),
      });
      return {
        sql: `SELECT region, toFloat64(assumeNotNull(gap_pp)) AS gap_pp\nFROM\n(\n    ${indent(q)}\n)\nWHERE gap_pp IS NOT NULL AND backlog_end >= ${p.minBacklog} AND backlog_start >= ${p.minStartBacklog}`,
        above: p.gapPp,
        valueName: 'gap_pp',
      };
    }
    case 'sla_risk_surge': {
      const p = rule.params;
      const q = bindQuery('sla-at-risk', {
        tenant: optional(p.tenant),
        region: optional(p.region),
        team: quote(''),
        priority: quote(''),
        min_level: quote(p.includePredicted ? 'none' : p.minLevel),
        min_history: String(p.minHistory),
        as_of: NOW,
      });
      const level = `indexOf([${riskLevels.map(quote).join(', ')}], risk) >= ${riskLevels.indexOf(p.minLevel) + 1}`;
      const counted = p.includePredicted ? `${level} OR predicted_breach = 1` : level;
      return {
        sql: `SELECT tenant, region, toFloat64(countIf(${counted})) AS at_risk_tickets\nFROM\n(\n    ${indent(q)}\n)\nGROUP BY tenant, region`,
        // Counts are whole numbers: "at least minTickets" is "above minTickets − 1".
        above: p.minTickets - 1,
        valueName: 'at_risk_tickets',
      };
    }
    case 'handover_pickup_p90': {
      const p = rule.params;
      const q = bindQuery('handovers', {
        tenant: optional(p.tenant),
        region: optional(p.region),
        from: `${NOW} - toIntervalHour(${p.windowHours})`,
        to: NOW,
        as_of: NOW,
      });
      const col = p.clock === 'wall' ? 'wall_p90_seconds' : 'business_p90_seconds';
      return {
        sql: `SELECT from_region, to_region AS region, toFloat64(assumeNotNull(${col})) AS p90_seconds\nFROM\n(\n    ${indent(q)}\n)\nWHERE ${col} IS NOT NULL AND picked_up >= ${p.minPickedUp}`,
        above: p.targetMinutes * 60,
        valueName: 'p90_seconds',
      };
    }
    case 'escalation_rate_spike': {
      const p = rule.params;
      const windowStart = `${NOW} - toIntervalDay(${p.windowDays})`;
      const bind = (from: string, to: string) =>
        bindQuery('escalations', { tenant: optional(p.tenant), region: optional(p.region), from, to });
      const current = bind(windowStart, NOW);
      const baseline = bind(`${windowStart} - toIntervalDay(${p.baselineDays})`, windowStart);
      return {
        sql:
          `SELECT cur.region AS region, toFloat64(100 * (cur.escalation_rate - base.escalation_rate)) AS spike_pp\n` +
          `FROM\n(\n    ${indent(current)}\n) AS cur\nINNER JOIN\n(\n    ${indent(baseline)}\n) AS base ON base.region = cur.region\n` +
          `WHERE cur.resolved >= ${p.minResolved}`,
        above: p.spikePp,
        valueName: 'spike_pp',
      };
    }
    case 'source_silent': {
      const p = rule.params;
      const q = bindQuery('alert-source-last-seen', {
        tenant: optional(p.tenant),
        source: optional(p.source),
        since: `${NOW} - toIntervalSecond(${Math.round(p.lookbackHours * 3600)})`,
        at: NOW,
        tickets: p.families.includes('ticket') ? '1' : '0',
        field_jobs: p.families.includes('field_job') ? '1' : '0',
        roster: p.families.includes('roster') ? '1' : '0',
      });
      return {
        sql: `SELECT tenant, source, toFloat64(dateDiff('millisecond', parseDateTime64BestEffort(last_received_at, 3, 'UTC'), ${NOW}) / 1000) AS silent_seconds\nFROM\n(\n    ${indent(q)}\n)`,
        above: p.silentMinutes * 60,
        valueName: 'silent_seconds',
      };
    }
  }
}

/** refId → SQL of the rule's datasource queries (the tests run them on ClickHouse). */
export function renderAlertRuleSql(rule: AlertRule): Record<string, string> {
  return { A: grafanaQuery(rule).sql };
}

// ---- provisioning ---------------------------------------------------------------------------------

/** Grafana rule uids are at most 40 characters. */
function ruleUid(id: string): string {
  const uid = `baton-${id}`;
  if (uid.length <= 40) return uid;
  return `baton-${id.slice(0, 24)}-${createHash('sha256').update(id).digest('hex').slice(0, 9)}`;
}

/** The provisioning document (apiVersion 1) for the rules: one group, one Grafana rule per rule. */
export function alertRuleProvisioning(rules: readonly AlertRule[], opts: ProvisioningOptions = {}) {
  const interval = opts.intervalSeconds ?? 60;
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: opts.group ?? 'baton',
        folder: opts.folder ?? 'Baton',
        interval: `${interval}s`,
        rules: rules.map((rule) => {
          const q = grafanaQuery(rule);
          return {
            uid: ruleUid(rule.id),
            title: rule.title ?? rule.id,
            condition: 'B',
            data: [
              {
                refId: 'A',
                relativeTimeRange: { from: 600, to: 0 },
                datasourceUid: CLICKHOUSE_DATASOURCE.uid,
                model: {
                  refId: 'A',
                  datasource: CLICKHOUSE_DATASOURCE,
                  editorType: 'sql',
                  // the plugin's table format: string columns are labels, the numeric one the value
                  format: 1,
                  queryType: 'table',
                  rawSql: q.sql,
                },
              },
              {
                refId: 'B',
                relativeTimeRange: { from: 0, to: 0 },
                datasourceUid: '__expr__',
                model: {
                  refId: 'B',
                  type: 'threshold',
                  datasource: { type: '__expr__', uid: '__expr__' },
                  expression: 'A',
                  conditions: [{ evaluator: { type: 'gt', params: [q.above] } }],
                },
              },
            ],
            // No rows means nothing to alert on (e.g. no region above the minimum backlog).
            noDataState: 'OK',
            execErrState: 'Error',
            for: `${(rule.forEvaluations - 1) * interval}s`,
            annotations: {
              summary: `${rule.title ?? rule.id}: ${q.valueName} {{ $values.A }} above ${q.above}`,
              description: `Baton alert rule ${rule.id} (${rule.kind}); the same rule is evaluated by Baton's alert evaluator.`,
            },
            labels: { ...rule.labels, severity: rule.severity, baton_rule: rule.id },
            isPaused: false,
          };
        }),
      },
    ],
  };
}

/** The exact text of baton-rules.yaml for the rules. */
export function renderAlertRuleProvisioning(rules: readonly AlertRule[] = defaultAlertRules): string {
  const header =
    '# Generated by dashboards/alert-rules.ts from the alert rules (core/alert-rules.ts). Do not edit:\n' +
    '# change the rules and run `npx tsx dashboards/alert-rules.ts [rules.json]`.\n';
  return header + stringify(alertRuleProvisioning(rules), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Writes baton-rules.yaml into `dir` (Grafana's provisioning/alerting); returns the file written. */
export function writeAlertRuleProvisioning(
  dir = alertingDir,
  rules: readonly AlertRule[] = defaultAlertRules,
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, ALERT_RULES_FILE_NAME);
  writeFileSync(file, renderAlertRuleProvisioning(rules));
  return file;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const file = writeAlertRuleProvisioning(alertingDir, loadAlertRules(process.argv[2]));
    process.stdout.write(`alert rules: wrote ${file}\n`);
  } catch (err) {
    process.stderr.write(`alert rules: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
