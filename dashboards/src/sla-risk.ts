import { type Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  apiUrlVariable,
  BATON_TAG,
  dashboardsLink,
  dashboardUids,
  inVar,
  lowIsGood,
  regionVariable,
  teamVariable,
  tenantVariable,
  thresholdOverride,
  thresholds,
  ticketFilters,
  ticketTimelineLink,
  unitOverride,
} from './common.js';
import { stat, table, timeseries } from './panels.js';

// SLA Risk: which open tickets will breach, where breaches trend, and which teams spend the clock.
// Risk levels (docs/metrics.md): watch ≥ 50 %, warning ≥ 75 %, critical ≥ 90 %, breached ≥ 100 %.

const slaFilters = ticketFilters({ tenant: 'tenant', region: 'region', team: 'team' });

// ticket_sla is re-evaluated by the transforms' sweep as time passes; `as_of` says when.
const atRiskSql = `
  SELECT
      tenant,
      ticket_id,
      customer,
      region,
      team,
      priority,
      policy_id,
      risk,
      due_at,
      res_state AS state,
      round(res_percent, 1) AS percent_consumed,
      res_remaining_seconds AS remaining_seconds,
      as_of
  FROM ticket_sla FINAL
  WHERE stopped = 0
    AND risk_rank >= 1
    AND ${slaFilters}
  ORDER BY due_at ASC NULLS LAST, tenant, ticket_id
  LIMIT 200`;

const riskCountsSql = `
  SELECT
      region,
      toUInt64(countIf(risk = 'watch')) AS watch,
      toUInt64(countIf(risk = 'warning')) AS warning,
      toUInt64(countIf(risk = 'critical')) AS critical,
      toUInt64(countIf(risk = 'breached')) AS breached
  FROM ticket_sla FINAL
  WHERE stopped = 0
    AND ${slaFilters}
  GROUP BY region
  ORDER BY region`;

const breachTrendSql = `
  SELECT
      $__timeInterval(res_stopped_at) AS time,
      region,
      countIf(res_outcome = 'breached') / count() AS breach_rate
  FROM ticket_sla FINAL
  WHERE stopped = 1
    AND res_outcome IN ('met', 'breached')
    AND $__timeFilter(res_stopped_at)
    AND ${slaFilters}
  GROUP BY time, region
  ORDER BY time, region`;

const breachSummarySql = `
  SELECT
      region,
      priority,
      toUInt64(count()) AS resolved,
      toUInt64(countIf(res_outcome = 'breached')) AS breached,
      breached / resolved AS breach_rate,
      toUInt64(countIf(resp_outcome = 'breached')) AS response_breached
  FROM ticket_sla FINAL
  WHERE stopped = 1
    AND res_outcome IN ('met', 'breached')
    AND $__timeFilter(res_stopped_at)
    AND ${slaFilters}
  GROUP BY region, priority
  ORDER BY region, priority`;

// Business seconds of the resolution clock each owning team consumed on the tickets resolved in
// the range (an `owner` policy credits each segment to the team that held the ticket).
const consumptionSql = `
  SELECT
      t_team AS team,
      t_region AS region,
      toUInt64(count()) AS tickets,
      toUInt64(countIf(res_outcome = 'breached')) AS breached_tickets,
      sum(t_elapsed) AS consumed_seconds,
      sum(t_paused) AS paused_seconds,
      consumed_seconds / tickets AS consumed_per_ticket_seconds
  FROM ticket_sla FINAL
  ARRAY JOIN team_name AS t_team, team_region AS t_region, team_elapsed_seconds AS t_elapsed,
      team_paused_seconds AS t_paused
  WHERE stopped = 1
    AND res_outcome IN ('met', 'breached')
    AND $__timeFilter(res_stopped_at)
    AND ${inVar('tenant', 'tenant')}
    AND ${inVar('t_region', 'region')}
    AND ${inVar('t_team', 'team')}
  GROUP BY team, region
  ORDER BY consumed_seconds DESC, team, region`;

const riskColours = thresholds(
  [null, 'green'],
  [50, 'yellow'],
  [75, 'orange'],
  [90, 'red'],
  [100, 'dark-red'],
);

export function slaRisk(): Dashboard {
  return new DashboardBuilder('Baton · SLA Risk')
    .uid(dashboardUids.slaRisk)
    .description('Which open tickets will breach, how breaches trend, and which teams consume the SLA clock.')
    .tags([BATON_TAG, 'sla'])
    .time({ from: 'now-7d', to: 'now' })
    .timezone('utc')
    .refresh('1m')
    .readonly()
    .link(dashboardsLink())
    .withVariable(tenantVariable())
    .withVariable(regionVariable())
    .withVariable(teamVariable())
    .withVariable(apiUrlVariable())
    .withRow(new RowBuilder('Open tickets at risk'))
    .withPanel(
      stat({
        title: 'Open tickets by risk level',
        description: 'Open tickets per region at each risk level, as of the latest evaluation.',
        sql: riskCountsSql,
        field: 'critical',
        unit: 'short',
        thresholds: lowIsGood(1, 5),
        width: 6,
        height: 10,
      }),
    )
    .withPanel(
      table({
        title: 'At-risk tickets, soonest due first',
        description:
          'Open tickets whose SLA clock has consumed 50 % or more of its target, with the projected due time (in the owner calendar, assuming no further pause). Click a ticket id for its timeline.',
        sql: atRiskSql,
        width: 18,
        height: 10,
      }).overrides([
        thresholdOverride('percent_consumed', riskColours, 'percent'),
        unitOverride('remaining_seconds', 's'),
        ticketTimelineLink(),
      ]),
    )
    .withRow(new RowBuilder('Breaches'))
    .withPanel(
      timeseries({
        title: 'Resolution SLA breach rate',
        description: 'Of the tickets whose resolution clock stopped in each interval, the share breached.',
        sql: breachTrendSql,
        unit: 'percentunit',
        thresholds: lowIsGood(0.05, 0.1),
        minInterval: '1d',
      }),
    )
    .withPanel(
      table({
        title: 'Breaches by region and priority',
        description:
          'Tickets resolved in the range: met + breached, breached, breach rate, response breaches.',
        sql: breachSummarySql,
      }).overrides([thresholdOverride('breach_rate', lowIsGood(0.05, 0.1), 'percentunit')]),
    )
    .withRow(new RowBuilder('Where the clock goes'))
    .withPanel(
      table({
        title: 'SLA consumption by team',
        description:
          'Business seconds of the resolution clock each owning team consumed (and spent paused) on the tickets resolved in the range, most first.',
        sql: consumptionSql,
        width: 24,
      }).overrides([
        unitOverride('consumed_seconds', 's'),
        unitOverride('paused_seconds', 's'),
        unitOverride('consumed_per_ticket_seconds', 's'),
      ]),
    )
    .build();
}
