import {
  type Dashboard,
  DashboardBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  apiUrlVariable,
  BATON_TAG,
  dashboardsLink,
  dashboardUids,
  datasource,
  inVar,
  lowIsGood,
  normaliseSql,
  singleRegionVariable,
  tenantVariable,
  thresholdOverride,
  ticketTimelineLink,
  unitOverride,
} from './common.js';
import { table } from './panels.js';

// Regional Weekly Review: one region, one week (Monday 00:00 UTC to the next), against the week
// before; then the top offenders. The week variable drives every panel, not the time picker.

const weekSql = `
  SELECT DISTINCT toString(toMonday(created_at)) AS week
  FROM ticket_facts
  WHERE ${inVar('tenant', 'tenant')}
  ORDER BY week DESC
  LIMIT 104`;

const weekVariable = (): QueryVariableBuilder =>
  new QueryVariableBuilder('week')
    .label('Week (Monday, UTC)')
    .datasource(datasource)
    .query(normaliseSql(weekSql))
    .definition(normaliseSql(weekSql))
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalDesc)
    .multi(false)
    .includeAll(false);

/** The selected week [week_start, week_end) and the one before [prev_start, week_start). */
const weekBounds = `
      toDateTime64(toDate(\${week:sqlstring}), 3, 'UTC') AS week_start,
      week_start + INTERVAL 7 DAY AS week_end,
      week_start - INTERVAL 7 DAY AS prev_start`;

const inWeek = (col: string) => `(${col} >= week_start AND ${col} < week_end)`;
const inPrev = (col: string) => `(${col} >= prev_start AND ${col} < week_start)`;

const reviewSql = `
  WITH
${weekBounds},
      periods AS
      (
          SELECT iv_opened_at AS opened_at, iv_open_kind AS open_kind, iv_closed_at AS closed_at, iv_close_kind AS close_kind
          FROM ticket_lifecycle FINAL
          ARRAY JOIN iv_region, iv_opened_at, iv_open_kind, iv_closed_at, iv_close_kind
          WHERE ${inVar('tenant', 'tenant')}
            AND ${inVar('iv_region', 'region')}
            AND iv_opened_at < week_end
      ),
      flow AS
      (
          SELECT
              countIf(open_kind IN ('created', 'reopened') AND ${inWeek('opened_at')}) AS inflow_this,
              countIf(open_kind IN ('created', 'reopened') AND ${inPrev('opened_at')}) AS inflow_last,
              countIf(close_kind != 'transfer' AND ${inWeek('closed_at')}) AS outflow_this,
              countIf(close_kind != 'transfer' AND ${inPrev('closed_at')}) AS outflow_last,
              countIf(closed_at IS NULL OR closed_at >= week_end) AS backlog_this,
              countIf(opened_at < week_start AND (closed_at IS NULL OR closed_at >= week_start)) AS backlog_last
          FROM periods
      ),
      sla AS
      (
          SELECT
              countIf(${inWeek('res_stopped_at')}) AS resolved_this,
              countIf(${inPrev('res_stopped_at')}) AS resolved_last,
              countIf(res_outcome = 'breached' AND ${inWeek('res_stopped_at')}) AS breached_this,
              countIf(res_outcome = 'breached' AND ${inPrev('res_stopped_at')}) AS breached_last
          FROM ticket_sla FINAL
          WHERE stopped = 1
            AND res_outcome IN ('met', 'breached')
            AND ${inVar('tenant', 'tenant')}
            AND ${inVar('region', 'region')}
      ),
      quality AS
      (
          SELECT
              countIf(${inWeek('resolved_at')}) AS first_resolved_this,
              countIf(${inPrev('resolved_at')}) AS first_resolved_last,
              countIf(escalated = 1 AND ${inWeek('resolved_at')}) AS escalated_this,
              countIf(escalated = 1 AND ${inPrev('resolved_at')}) AS escalated_last,
              countIf(reopened_after_resolution = 1 AND ${inWeek('resolved_at')}) AS reopened_this,
              countIf(reopened_after_resolution = 1 AND ${inPrev('resolved_at')}) AS reopened_last
          FROM ticket_facts FINAL
          WHERE resolved_at IS NOT NULL
            AND ${inVar('tenant', 'tenant')}
            AND ${inVar('resolved_region', 'region')}
      ),
      received AS
      (
          SELECT
              countIf(${inWeek('ho_at')}) AS handovers_this,
              countIf(${inPrev('ho_at')}) AS handovers_last,
              quantileExactInclusiveIf(0.5)(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up' AND ${inWeek('ho_at')})
                  AS pickup_this,
              quantileExactInclusiveIf(0.5)(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up' AND ${inPrev('ho_at')})
                  AS pickup_last
          FROM ticket_facts FINAL
          ARRAY JOIN ho_at, ho_to_region, ho_outcome, ho_business_seconds
          WHERE handovers > 0
            AND ${inVar('tenant', 'tenant')}
            AND ${inVar('ho_to_region', 'region')}
      ),
      field AS
      (
          SELECT
              countIf(${inWeek('completed_at')}) AS jobs_this,
              countIf(${inPrev('completed_at')}) AS jobs_last,
              countIf(first_time_fix = 1 AND ${inWeek('completed_at')}) AS ftf_this,
              countIf(first_time_fix = 1 AND ${inPrev('completed_at')}) AS ftf_last
          FROM field_job_facts FINAL
          WHERE status = 'completed'
            AND ${inVar('tenant', 'tenant')}
            AND ${inVar('region', 'region')}
      ),
      review_rows AS
      (
          SELECT 1 AS ord, 'Inflow (created + reopened)' AS metric, toFloat64(inflow_this) AS this_week, toFloat64(inflow_last) AS last_week FROM flow
          UNION ALL SELECT 2, 'Outflow (resolved, closed, cancelled)', outflow_this, outflow_last FROM flow
          UNION ALL SELECT 3, 'Backlog at week end', backlog_this, backlog_last FROM flow
          UNION ALL SELECT 4, 'Resolved against an SLA', resolved_this, resolved_last FROM sla
          UNION ALL SELECT 5, 'SLA breach rate (%)',
              if(resolved_this = 0, NULL, round(100 * breached_this / resolved_this, 1)),
              if(resolved_last = 0, NULL, round(100 * breached_last / resolved_last, 1)) FROM sla
          UNION ALL SELECT 6, 'Escalation rate (%)',
              if(first_resolved_this = 0, NULL, round(100 * escalated_this / first_resolved_this, 1)),
              if(first_resolved_last = 0, NULL, round(100 * escalated_last / first_resolved_last, 1)) FROM quality
          UNION ALL SELECT 7, 'Reopen rate (%)',
              if(first_resolved_this = 0, NULL, round(100 * reopened_this / first_resolved_this, 1)),
              if(first_resolved_last = 0, NULL, round(100 * reopened_last / first_resolved_last, 1)) FROM quality
          UNION ALL SELECT 8, 'Handovers received', handovers_this, handovers_last FROM received
          UNION ALL SELECT 9, 'Pickup latency p50, business (h)',
              if(handovers_this = 0, NULL, round(pickup_this / 3600, 2)),
              if(handovers_last = 0, NULL, round(pickup_last / 3600, 2)) FROM received
          UNION ALL SELECT 10, 'Field jobs completed', jobs_this, jobs_last FROM field
          UNION ALL SELECT 11, 'Field first-time fix (%)',
              if(jobs_this = 0, NULL, round(100 * ftf_this / jobs_this, 1)),
              if(jobs_last = 0, NULL, round(100 * ftf_last / jobs_last, 1)) FROM field
      )
  SELECT
      metric,
      this_week,
      last_week,
      round(this_week - last_week, 2) AS delta,
      if(last_week = 0, NULL, round((this_week - last_week) / last_week, 4)) AS delta_ratio
  FROM review_rows
  ORDER BY ord`;

const breachingTeamsSql = `
  WITH
${weekBounds}
  SELECT
      team,
      toUInt64(count()) AS resolved,
      toUInt64(countIf(res_outcome = 'breached')) AS breached,
      breached / resolved AS breach_rate
  FROM ticket_sla FINAL
  WHERE stopped = 1
    AND res_outcome IN ('met', 'breached')
    AND ${inWeek('res_stopped_at')}
    AND ${inVar('tenant', 'tenant')}
    AND ${inVar('region', 'region')}
  GROUP BY team
  ORDER BY breached DESC, breach_rate DESC, team
  LIMIT 10`;

const customersSql = `
  WITH
${weekBounds}
  SELECT
      customer,
      toUInt64(count()) AS created,
      toUInt64(countIf(is_open = 1)) AS still_open,
      toUInt64(countIf(escalated = 1)) AS escalated_tickets,
      toUInt64(sum(handovers)) AS handovers_total
  FROM ticket_facts FINAL
  WHERE ${inWeek('created_at')}
    AND ${inVar('tenant', 'tenant')}
    AND ${inVar('created_region', 'region')}
  GROUP BY customer
  ORDER BY created DESC, customer
  LIMIT 10`;

const oldestSql = `
  WITH
${weekBounds}
  SELECT
      tenant,
      ticket_id,
      iv_team AS team,
      iv_priority AS priority,
      created_at,
      dateDiff('second', created_at, week_end) AS age_at_week_end_seconds
  FROM ticket_lifecycle FINAL
  ARRAY JOIN iv_region, iv_team, iv_priority, iv_opened_at, iv_closed_at
  WHERE ${inVar('tenant', 'tenant')}
    AND ${inVar('iv_region', 'region')}
    AND iv_opened_at < week_end
    AND (iv_closed_at IS NULL OR iv_closed_at >= week_end)
  ORDER BY age_at_week_end_seconds DESC, tenant, ticket_id
  LIMIT 15`;

const bouncedSql = `
  WITH
${weekBounds}
  SELECT
      tenant,
      ticket_id,
      toUInt64(countIf(${inWeek('ho_at')})) AS handovers_in_week,
      toUInt64(countIf(ho_ping_pong = 1 AND ${inWeek('ho_at')})) AS ping_pong_in_week,
      any(team) AS current_team
  FROM ticket_facts FINAL
  ARRAY JOIN ho_at, ho_from_region, ho_to_region, ho_ping_pong
  WHERE handovers > 0
    AND ${inVar('tenant', 'tenant')}
    AND (${inVar('ho_from_region', 'region')} OR ${inVar('ho_to_region', 'region')})
  GROUP BY tenant, ticket_id
  HAVING handovers_in_week > 0
  ORDER BY handovers_in_week DESC, ping_pong_in_week DESC, tenant, ticket_id
  LIMIT 10`;

export function regionalWeeklyReview(): Dashboard {
  return new DashboardBuilder('Baton · Regional Weekly Review')
    .uid(dashboardUids.weeklyReview)
    .description('One region, one week against the week before, and the top offenders.')
    .tags([BATON_TAG, 'review'])
    .time({ from: 'now-14d', to: 'now' })
    .timezone('utc')
    .readonly()
    .link(dashboardsLink())
    .withVariable(tenantVariable())
    .withVariable(singleRegionVariable())
    .withVariable(weekVariable())
    .withVariable(apiUrlVariable())
    .withRow(new RowBuilder('This week against last week'))
    .withPanel(
      table({
        title: 'Week over week: $region, week of $week',
        description:
          'Each figure for the selected week (Monday 00:00 UTC to the next) and the week before. Rates are of the tickets resolved (or jobs completed) in the week; backlog is at the week end.',
        sql: reviewSql,
        width: 24,
        height: 12,
      }).overrides([thresholdOverride('delta_ratio', lowIsGood(0.1, 0.25), 'percentunit')]),
    )
    .withRow(new RowBuilder('Top offenders'))
    .withPanel(
      table({
        title: 'Teams with the most SLA breaches',
        description: 'Tickets of the region resolved in the week, by the team holding them at resolution.',
        sql: breachingTeamsSql,
      }).overrides([thresholdOverride('breach_rate', lowIsGood(0.05, 0.1), 'percentunit')]),
    )
    .withPanel(
      table({
        title: 'Customers bringing the most tickets',
        description: 'Tickets created in the region in the week, per customer, with how many are still open.',
        sql: customersSql,
      }),
    )
    .withPanel(
      table({
        title: 'Oldest open tickets at the week end',
        description: 'Click a ticket id for its timeline in the Baton API.',
        sql: oldestSql,
      }).overrides([unitOverride('age_at_week_end_seconds', 's'), ticketTimelineLink()]),
    )
    .withPanel(
      table({
        title: 'Most handed-over tickets in the week',
        description:
          'Tickets with handovers into or out of the region in the week, most first; ping-pong counted apart.',
        sql: bouncedSql,
      }).overrides([thresholdOverride('ping_pong_in_week', lowIsGood(1, 2)), ticketTimelineLink()]),
    )
    .build();
}
