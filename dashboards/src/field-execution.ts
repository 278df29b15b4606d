import { type Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BATON_TAG,
  dashboardsLink,
  dashboardUids,
  highIsGood,
  inVar,
  lowIsGood,
  regionVariable,
  tenantVariable,
  thresholdOverride,
  unitOverride,
} from './common.js';
import { stat, table, timeseries } from './panels.js';

// Field Execution: dispatch, arrival, access and parts delays, faulty parts and revisits
// (docs/metrics.md, "Field execution"). Jobs count in the period they were completed in.

const jobFilters = `${inVar('tenant', 'tenant')}
    AND ${inVar('region', 'region')}`;

const completed = `
  FROM field_job_facts FINAL
  WHERE status = 'completed'
    AND $__timeFilter(completed_at)
    AND ${jobFilters}`;

// Exact percentiles (quantileExactInclusive), as sql/queries/field-summary.sql: the sampling
// `quantile` would make a small region's p90 depend on chance.
const summarySql = `
  SELECT
      region,
      toUInt64(count()) AS jobs,
      quantileExactInclusive(0.5)(dispatch_latency_seconds) AS dispatch_p50_seconds,
      quantileExactInclusive(0.9)(dispatch_latency_seconds) AS dispatch_p90_seconds,
      quantileExactInclusive(0.5)(arrival_seconds) AS arrival_p50_seconds,
      quantileExactInclusive(0.9)(arrival_seconds) AS arrival_p90_seconds,
      countIf(access_delays > 0) / count() AS access_delayed_share,
      sum(access_delay_seconds) AS access_delay_seconds,
      quantileExactInclusive(0.5)(parts_delay_seconds) AS parts_delay_p50_seconds,
      if(countIf(had_parts = 1) = 0, NULL, countIf(parts_faulty > 0) / countIf(had_parts = 1)) AS faulty_on_arrival_rate,
      countIf(first_time_fix = 1) / count() AS first_time_fix_rate,
      countIf(revisits > 0) / count() AS revisit_rate
  ${completed}
  GROUP BY region
  ORDER BY region`;

const delaysTrendSql = `
  SELECT
      $__timeInterval(completed_at) AS time,
      region,
      quantileExactInclusive(0.5)(dispatch_latency_seconds) AS dispatch_p50_seconds
  ${completed}
  GROUP BY time, region
  ORDER BY time, region`;

const revisitsTrendSql = `
  SELECT
      $__timeInterval(completed_at) AS time,
      region,
      toUInt64(sum(revisits)) AS revisit_count
  ${completed}
  GROUP BY time, region
  ORDER BY time, region`;

const firstTimeFixSql = `
  SELECT region, countIf(first_time_fix = 1) / count() AS first_time_fix_rate
  ${completed}
  GROUP BY region
  ORDER BY region`;

// As sql/queries/field-blocked.sql, at the end of the range: one row per block of an open job.
const blockedSql = `
  WITH
      $__toTime_ms AS as_of,
      open_jobs AS
      (
          SELECT *
          FROM field_job_facts FINAL
          WHERE status = 'open'
            AND created_at <= as_of
            AND ${jobFilters}
      ),
      blocks AS
      (
          SELECT tenant, job_id, ticket_id, region, site, customer, engineer, 'access' AS block,
                 assumeNotNull(access_delayed_since) AS blocked_since
          FROM open_jobs
          WHERE access_delayed_since IS NOT NULL
          UNION ALL
          SELECT tenant, job_id, ticket_id, region, site, customer, engineer,
                 if(parts_waiting_reason = 'faulty', 'faulty_parts', 'parts'),
                 assumeNotNull(parts_waiting_since)
          FROM open_jobs
          WHERE parts_waiting_since IS NOT NULL
      )
  SELECT
      tenant, job_id, ticket_id, region, site, customer, engineer, block, blocked_since,
      greatest(dateDiff('second', blocked_since, as_of), 0) AS blocked_seconds
  FROM blocks
  ORDER BY blocked_seconds DESC, tenant, job_id, block
  LIMIT 100`;

export function fieldExecution(): Dashboard {
  return new DashboardBuilder('Baton · Field Execution')
    .uid(dashboardUids.field)
    .description(
      'Dispatch, arrival, access and parts delays, faulty parts on arrival, first-time fix and revisits.',
    )
    .tags([BATON_TAG, 'field'])
    .time({ from: 'now-7d', to: 'now' })
    .timezone('utc')
    .refresh('5m')
    .readonly()
    .link(dashboardsLink())
    .withVariable(tenantVariable())
    .withVariable(regionVariable())
    .withRow(new RowBuilder('Completed jobs'))
    .withPanel(
      stat({
        title: 'First-time fix',
        description: 'Completed, fixed, and no revisit, among the jobs completed in the range.',
        sql: firstTimeFixSql,
        field: 'first_time_fix_rate',
        unit: 'percentunit',
        thresholds: highIsGood(0.7, 0.85),
        decimals: 1,
        width: 6,
        height: 8,
      }),
    )
    .withPanel(
      table({
        title: 'Field execution by region',
        description:
          'Jobs completed in the range: dispatch latency (created → dispatched) and arrival (dispatched → on site) p50/p90, access delays, parts delay p50, faulty-on-arrival rate (among jobs with parts), first-time fix and revisit rates.',
        sql: summarySql,
        width: 18,
        height: 8,
      }).overrides([
        thresholdOverride('dispatch_p50_seconds', lowIsGood(3600, 4 * 3600), 's'),
        unitOverride('dispatch_p90_seconds', 's'),
        thresholdOverride('arrival_p50_seconds', lowIsGood(2 * 3600, 4 * 3600), 's'),
        unitOverride('arrival_p90_seconds', 's'),
        unitOverride('access_delayed_share', 'percentunit'),
        unitOverride('access_delay_seconds', 's'),
        unitOverride('parts_delay_p50_seconds', 's'),
        thresholdOverride('faulty_on_arrival_rate', lowIsGood(0.05, 0.15), 'percentunit'),
        thresholdOverride('first_time_fix_rate', highIsGood(0.7, 0.85), 'percentunit'),
        thresholdOverride('revisit_rate', lowIsGood(0.1, 0.2), 'percentunit'),
      ]),
    )
    .withPanel(
      timeseries({
        title: 'Dispatch latency p50',
        description: 'Median created → dispatched of the jobs completed in each interval.',
        sql: delaysTrendSql,
        unit: 's',
        minInterval: '1d',
      }),
    )
    .withPanel(
      timeseries({
        title: 'Revisits',
        description: 'Revisits of the jobs completed in each interval.',
        sql: revisitsTrendSql,
        unit: 'short',
        minInterval: '1d',
      }),
    )
    .withRow(new RowBuilder('Blocked now'))
    .withPanel(
      table({
        title: 'Open jobs blocked on access or parts at the end of the range',
        description:
          'One row per block: access not granted, a part requested and not arrived, or a replacement for a faulty part awaited. Longest first.',
        sql: blockedSql,
        width: 24,
      }).overrides([thresholdOverride('blocked_seconds', lowIsGood(4 * 3600, 24 * 3600), 's')]),
    )
    .build();
}
