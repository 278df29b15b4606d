import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  type DashboardLink,
  DashboardLinkBuilder,
  DashboardLinkType,
  type DataSourceRef,
  type DynamicConfigValue,
  QueryVariableBuilder,
  TextBoxVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';

// Building blocks shared by every Baton dashboard: the ClickHouse datasource, its SQL query model
// (the foundation SDK ships no builder for this plugin), template variables and links.

/** The datasource provisioned from dashboards/provisioning/datasources/clickhouse.yaml. */
export const DATASOURCE_UID = 'baton-clickhouse';
export const DATASOURCE_TYPE = 'grafana-clickhouse-datasource';
export const datasource: DataSourceRef = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };

/** Every Baton dashboard carries this tag; the dashboard links list them by it. */
export const BATON_TAG = 'baton';

export const dashboardUids = {
  deliveryHealth: 'baton-delivery-health',
  weeklyReview: 'baton-regional-weekly-review',
  handover: 'baton-handover',
  slaRisk: 'baton-sla-risk',
  field: 'baton-field-execution',
  pipeline: 'baton-pipeline-health',
} as const;

/**
 * The plugin's SQL-editor query (its `CHSqlQuery`): `format` is the backend's numeric
 * sqlutil.FormatQueryOption (0 time series, 1 table), `queryType` the editor's display mode.
 */
export interface ClickHouseSqlQuery extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  queryType: 'table' | 'timeseries';
  format: 0 | 1;
  rawSql: string;
}

export type SqlShape = 'table' | 'timeseries';

export class ClickHouseSqlBuilder implements cog.Builder<cog.Dataquery> {
  private readonly query: ClickHouseSqlQuery;

  constructor(rawSql: string, shape: SqlShape = 'table', refId = 'A') {
    this.query = {
      refId,
      datasource,
      editorType: 'sql',
      queryType: shape,
      format: shape === 'timeseries' ? 0 : 1,
      rawSql: normaliseSql(rawSql),
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseSqlQuery {
    return this.query;
  }
}

export const sql = (rawSql: string, shape: SqlShape = 'table'): ClickHouseSqlBuilder =>
  new ClickHouseSqlBuilder(rawSql, shape);

/** Template literals are indented with the code; the stored SQL is not. */
export function normaliseSql(text: string): string {
  const lines = text.replace(/^\n+/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(
    ...lines.filter((l) => l.trim().length > 0).map((l) => l.length - l.trimStart().length),
  );
  return lines.map((l) => l.slice(indent).trimEnd()).join('\n');
}

// ---- template variables ---------------------------------------------------------------------

/**
 * `column IN (<selected values>)`, or `1=1` when the variable selects All: the plugin's
 * $__conditionalAll, so "All" costs no filter and no list of every value. `sqlstring` quotes and
 * escapes each value, so a value can never break out of its literal.
 */
export function inVar(column: string, variable: string): string {
  return `$__conditionalAll(${column} IN (\${${variable}:sqlstring}), $${variable})`;
}

/** The filters every ticket-level panel applies, on the given columns. */
export function ticketFilters(cols: { tenant?: string; region?: string; team?: string }): string {
  const parts: string[] = [];
  if (cols.tenant) parts.push(inVar(cols.tenant, 'tenant'));
  if (cols.region) parts.push(inVar(cols.region, 'region'));
  if (cols.team) parts.push(inVar(cols.team, 'team'));
  return parts.join('\n    AND ');
}

function queryVariable(name: string, label: string, rawSql: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(normaliseSql(rawSql))
    .definition(normaliseSql(rawSql))
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc);
}

const ALL = { selected: true, text: ['All'], value: ['$__all'] };

function multiWithAll(v: QueryVariableBuilder): QueryVariableBuilder {
  return v.multi(true).includeAll(true).current(ALL);
}

export const tenantVariable = (): QueryVariableBuilder =>
  multiWithAll(
    queryVariable('tenant', 'Tenant', 'SELECT DISTINCT tenant FROM ticket_events ORDER BY tenant'),
  );

const regionSql = `
  SELECT DISTINCT region FROM
  (
      SELECT region FROM ticket_facts WHERE ${inVar('tenant', 'tenant')} AND region != ''
      UNION ALL
      SELECT arrayJoin(m_region) FROM agent_membership WHERE ${inVar('tenant', 'tenant')}
  )
  ORDER BY region`;

export const regionVariable = (): QueryVariableBuilder =>
  multiWithAll(queryVariable('region', 'Region', regionSql));

/** One region at a time (the regional review): no All, the first region by default. */
export const singleRegionVariable = (): QueryVariableBuilder =>
  queryVariable('region', 'Region', regionSql).multi(false).includeAll(false);

export const teamVariable = (): QueryVariableBuilder =>
  multiWithAll(
    queryVariable(
      'team',
      'Team',
      `
      SELECT DISTINCT team FROM ticket_facts
      WHERE ${inVar('tenant', 'tenant')} AND ${inVar('region', 'region')} AND team != ''
      ORDER BY team`,
    ),
  );

/** Where the Baton API answers, for drill-down links to a ticket's timeline. */
export const apiUrlVariable = (): TextBoxVariableBuilder =>
  new TextBoxVariableBuilder('api_url')
    .label('Baton API')
    .description('Base URL of the Baton API, for the ticket timeline links')
    .defaultValue('http://localhost:8080')
    .current({ selected: false, text: 'http://localhost:8080', value: 'http://localhost:8080' })
    .hide(VariableHide.HideVariable);

// ---- links ------------------------------------------------------------------------------------

/** The SDK defaults links into the controls menu; Baton's belong in the dashboard's link bar. */
function inLinkBar(link: DashboardLinkBuilder): cog.Builder<DashboardLink> {
  return {
    build: () => {
      const built = link.build();
      delete built.placement;
      return built;
    },
  };
}

/** A dropdown of every other Baton dashboard, keeping the time range and the variables. */
export const dashboardsLink = (): cog.Builder<DashboardLink> =>
  inLinkBar(
    new DashboardLinkBuilder('Baton dashboards')
      .type(DashboardLinkType.Dashboards)
      .tags([BATON_TAG])
      .asDropdown(true)
      .includeVars(true)
      .keepTime(true)
      .icon('external link')
      .tooltip('')
      .targetBlank(false),
  );

/** A panel link to another Baton dashboard, keeping the time range and the filters. */
export const panelLink = (title: string, uid: string): cog.Builder<DashboardLink> =>
  inLinkBar(
    new DashboardLinkBuilder(title)
      .type(DashboardLinkType.Link)
      .url(`/d/${uid}?\${__url_time_range}&\${tenant:queryparam}&\${region:queryparam}`)
      .icon('dashboard')
      .tooltip('')
      .tags([])
      .asDropdown(false)
      .includeVars(false)
      .keepTime(false)
      .targetBlank(false),
  );

/** A field override that makes a table column a link. */
export function columnLink(column: string, title: string, url: string) {
  return {
    matcher: { id: 'byName', options: column },
    properties: [{ id: 'links', value: [{ title, url, targetBlank: false }] }] as DynamicConfigValue[],
  };
}

/** The ticket's timeline in the API: the table needs `tenant` and `ticket_id` columns. */
export const ticketTimelineLink = (column = 'ticket_id') =>
  columnLink(
    column,
    'Ticket timeline',
    `\${api_url}/v1/tickets/\${__data.fields.ticket_id}/timeline?tenant=\${__data.fields.tenant}`,
  );

/** Another Baton dashboard, keeping the time range, filtered on the row's region. */
export function regionDrillDown(uid: string, title: string, column = 'region') {
  return columnLink(
    column,
    title,
    `/d/${uid}?\${__url_time_range}&\${tenant:queryparam}&var-region=\${__data.fields.${column}}`,
  );
}

// ---- field config -----------------------------------------------------------------------------

type Step = [value: number | null, color: string];

/** Absolute thresholds; the first step's value is the base (null). */
export function thresholds(...steps: Step[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

/** Green when low: rates of bad outcomes, latencies, backlog growth. */
export const lowIsGood = (warn: number, bad: number): ThresholdsConfigBuilder =>
  thresholds([null, 'green'], [warn, 'orange'], [bad, 'red']);

/** Green when high: first-time fix, met SLAs. */
export const highIsGood = (warn: number, good: number): ThresholdsConfigBuilder =>
  thresholds([null, 'red'], [warn, 'orange'], [good, 'green']);

export function unitOverride(column: string, unit: string) {
  return {
    matcher: { id: 'byName', options: column },
    properties: [{ id: 'unit', value: unit }] as DynamicConfigValue[],
  };
}

export function thresholdOverride(column: string, config: ThresholdsConfigBuilder, unit?: string) {
  const properties: DynamicConfigValue[] = [
    { id: 'thresholds', value: config.build() },
    { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'basic' } },
  ];
  if (unit) properties.push({ id: 'unit', value: unit });
  return { matcher: { id: 'byName', options: column }, properties };
}
