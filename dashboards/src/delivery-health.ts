import { type Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  apiUrlVariable,
  BATON_TAG,
  dashboardsLink,
  dashboardUids,
  highIsGood,
  inVar,
  lowIsGood,
  panelLink,
  regionDrillDown,
  regionVariable,
  teamVariable,
  tenantVariable,
  thresholdOverride,
  ticketFilters,
  ticketTimelineLink,
  unitOverride,
} from './common.js';
import { stat, table, timeseries } from './panels.js';

// Delivery Health: the head of operations' view — is delivery healthy across regions, and where
// is it breaking? Backlog against headcount first, then SLA, hand-offs, quality and the field.

const lifecycleFilters = ticketFilters({ tenant: 'tenant', region: 'iv_region', team: 'iv_team' });
const rollupFilters = ticketFilters({ tenant: 'tenant', region: 'region', team: 'team' });
const rosterFilters = ticketFilters({ tenant: 'tenant', region: 'm_region', team: 'm_team' });

// The rollup holds the backlog at each closed hour's end; a bucket's value is its last hour's.
const backlogPerBucket = `
    SELECT $__timeInterval(hour) AS time, region, argMax(backlog, hour) AS backlog,
           max(hour) + INTERVAL 1 HOUR AS at
    FROM
    (
        SELECT hour, region, sum(backlog) AS backlog
        FROM backlog_hourly FINAL
        WHERE ${rollupFilters}
          AND $__timeFilter(hour)
        GROUP BY hour, region
    )
    GROUP BY time, region`;

export const openBacklogSql = `
  SELECT iv_region AS region, count() AS backlog
  FROM ticket_lifecycle FINAL
  ARRAY JOIN iv_region, iv_team, iv_opened_at, iv_closed_at
  WHERE ${lifecycleFilters}
    AND iv_opened_at < $__toTime_ms
    AND (iv_closed_at IS NULL OR iv_closed_at >= $__toTime_ms)
  GROUP BY region
  ORDER BY region`;

const backlogTrendSql = `
  SELECT time, region, backlog
  FROM
  (${backlogPerBucket}
  )
  ORDER BY time, region`;

// docs/metrics.md "Backlog vs headcount", over the 7 days that end where the range ends.
const growthSql = `
  WITH
      $__toTime_ms AS end_ts,
      end_ts - INTERVAL 7 DAY AS start_ts,
      backlog AS
      (
          SELECT
              iv_region AS region,
              countIf(iv_opened_at < start_ts AND (iv_closed_at IS NULL OR iv_closed_at >= start_ts)) AS b_start,
              countIf(iv_closed_at IS NULL OR iv_closed_at >= end_ts) AS b_end
          FROM ticket_lifecycle FINAL
          ARRAY JOIN iv_region, iv_team, iv_opened_at, iv_closed_at
          WHERE ${lifecycleFilters}
            AND iv_opened_at < end_ts
            AND (iv_closed_at IS NULL OR iv_closed_at >= start_ts)
          GROUP BY region
      ),
      staff AS
      (
          SELECT
              m_region AS region,
              sumIf(m_fte, m_from < start_ts AND (m_to IS NULL OR m_to >= start_ts)) AS h_start,
              sumIf(m_fte, m_to IS NULL OR m_to >= end_ts) AS h_end
          FROM agent_membership FINAL
          ARRAY JOIN m_region, m_team, m_fte, m_from, m_to
          WHERE ${rosterFilters}
            AND m_from < end_ts
            AND (m_to IS NULL OR m_to >= start_ts)
          GROUP BY region
      ),
      combined AS
      (
          SELECT region, sum(b_start) AS b_start, sum(b_end) AS b_end,
                 round(sum(h_start), 3) AS h_start, round(sum(h_end), 3) AS h_end
          FROM
          (
              SELECT toString(region) AS region, b_start, b_end, toFloat64(0) AS h_start, toFloat64(0) AS h_end FROM backlog
              UNION ALL
              SELECT toString(region), toUInt64(0), toUInt64(0), h_start, h_end FROM staff
          )
          GROUP BY region
      ),
      growth AS
      (
          SELECT
              *,
              (toFloat64(b_end) - b_start) / greatest(b_start, 1) AS backlog_growth,
              multiIf(h_start > 0, (h_end - h_start) / h_start, h_end = 0, 0, NULL) AS headcount_growth
          FROM combined
      )
  SELECT
      region,
      toInt64(b_start) AS backlog_start,
      toInt64(b_end) AS backlog_end,
      round(backlog_growth, 4) AS backlog_growth,
      h_start AS headcount_start,
      h_end AS headcount_end,
      round(headcount_growth, 4) AS headcount_growth,
      if(h_end > 0, round(b_end / h_end, 2), NULL) AS load_end,
      round(100 * (backlog_growth - headcount_growth), 1) AS gap_pp
  FROM growth
  ORDER BY region`;

const loadSql = `
  WITH
      backlog AS
      (${backlogPerBucket}
      ),
      staff AS
      (
          SELECT m_region AS region, m_fte AS fte, m_from AS start_at, m_to AS end_at
          FROM agent_membership FINAL
          ARRAY JOIN m_region, m_team, m_fte, m_from, m_to
          WHERE ${rosterFilters}
      )
  SELECT
      b.time AS time,
      b.region AS region,
      round(any(b.backlog) / nullIf(sumIf(s.fte, s.start_at < b.at AND (s.end_at IS NULL OR s.end_at >= b.at)), 0), 2)
          AS open_per_fte
  FROM backlog AS b
  LEFT JOIN staff AS s ON s.region = b.region
  GROUP BY time, region
  ORDER BY time, region`;

export const slaAtRiskNowSql = `
  SELECT
      region,
      toUInt64(countIf(risk_rank IN (2, 3))) AS at_risk,
      toUInt64(countIf(risk_rank = 4)) AS breached_open
  FROM ticket_sla FINAL
  WHERE stopped = 0
    AND ${ticketFilters({ tenant: 'tenant', region: 'region', team: 'team' })}
  GROUP BY region
  ORDER BY region`;

export const breachRateSql = `
  SELECT
      region,
      toUInt64(count()) AS resolved,
      toUInt64(countIf(res_outcome = 'breached')) AS breached,
      breached / resolved AS breach_rate
  FROM ticket_sla FINAL
  WHERE stopped = 1
    AND res_outcome IN ('met', 'breached')
    AND $__timeFilter(res_stopped_at)
    AND ${ticketFilters({ tenant: 'tenant', region: 'region', team: 'team' })}
  GROUP BY region
  ORDER BY region`;

const pickupSql = `
  SELECT
      ho_to_region AS region,
      toUInt64(count()) AS picked_up,
      quantileExactInclusive(0.5)(assumeNotNull(ho_business_seconds)) AS business_p50_seconds,
      quantileExactInclusive(0.9)(assumeNotNull(ho_business_seconds)) AS business_p90_seconds,
      quantileExactInclusive(0.5)(assumeNotNull(ho_wall_seconds)) AS wall_p50_seconds
  FROM ticket_facts FINAL
  ARRAY JOIN ho_at, ho_to_region, ho_to_team, ho_outcome, ho_business_seconds, ho_wall_seconds
  WHERE handovers > 0
    AND ho_outcome = 'picked_up'
    AND $__timeFilter(ho_at)
    AND ${ticketFilters({ tenant: 'tenant', region: 'ho_to_region', team: 'ho_to_team' })}
  GROUP BY region
  ORDER BY region`;

// Escalation and reopen rates are over the tickets first resolved in the range, by who held them.
const resolvedFilters = ticketFilters({ tenant: 'tenant', region: 'resolved_region', team: 'resolved_team' });

const escalationSql = `
  SELECT
      resolved_region AS region,
      toUInt64(count()) AS resolved,
      toUInt64(countIf(escalated = 1)) AS escalated_tickets,
      escalated_tickets / resolved AS escalation_rate
  FROM ticket_facts FINAL
  WHERE resolved_at IS NOT NULL
    AND $__timeFilter(resolved_at)
    AND ${resolvedFilters}
  GROUP BY region
  ORDER BY region`;

const reopenSql = `
  SELECT
      resolved_region AS region,
      toUInt64(count()) AS resolved,
      toUInt64(countIf(reopened_after_resolution = 1)) AS reopened,
      reopened / resolved AS reopen_rate
  FROM ticket_facts FINAL
  WHERE resolved_at IS NOT NULL
    AND $__timeFilter(resolved_at)
    AND ${resolvedFilters}
  GROUP BY region
  ORDER BY region`;

const firstTimeFixSql = `
  SELECT
      region,
      toUInt64(count()) AS completed,
      countIf(first_time_fix = 1) / count() AS first_time_fix_rate
  FROM field_job_facts FINAL
  WHERE status = 'completed'
    AND $__timeFilter(completed_at)
    AND ${inVar('tenant', 'tenant')}
    AND ${inVar('region', 'region')}
  GROUP BY region
  ORDER BY region`;

const oldestOpenSql = `
  SELECT
      tenant,
      ticket_id,
      customer,
      region,
      team,
      priority,
      created_at,
      dateDiff('second', created_at, now64(3)) AS age_seconds,
      handovers,
      escalations,
      reopens
  FROM ticket_facts FINAL
  WHERE is_open = 1
    AND ${ticketFilters({ tenant: 'tenant', region: 'region', team: 'team' })}
  ORDER BY created_at ASC, tenant, ticket_id
  LIMIT 25`;

export function deliveryHealth(): Dashboard {
  return new DashboardBuilder('Baton · Delivery Health')
    .uid(dashboardUids.deliveryHealth)
    .description('Is delivery healthy across regions now, and where is it breaking?')
    .tags([BATON_TAG, 'ops'])
    .time({ from: 'now-7d', to: 'now' })
    .timezone('utc')
    .refresh('5m')
    .readonly()
    .link(dashboardsLink())
    .withVariable(tenantVariable())
    .withVariable(regionVariable())
    .withVariable(teamVariable())
    .withVariable(apiUrlVariable())
    .withRow(new RowBuilder('Backlog against headcount'))
    .withPanel(
      stat({
        title: 'Open backlog at the end of the range',
        description:
          'Tickets created before the end of the range and not resolved, closed or cancelled by then, by owning region.',
        sql: openBacklogSql,
        field: 'backlog',
        unit: 'short',
        thresholds: lowIsGood(100, 250),
        width: 8,
        height: 8,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Backlog by region',
        description:
          'Open tickets at the end of each interval, from the hourly rollup (hours up to its last materialisation).',
        sql: backlogTrendSql,
        unit: 'short',
        width: 16,
        height: 8,
      }),
    )
    .withPanel(
      table({
        title: 'Backlog growth against headcount (7 days to the end of the range)',
        description:
          'Backlog growth = (B(end) − B(start)) / max(B(start), 1); headcount growth over the same window (FTE); gap = the difference in percentage points. A positive gap means the backlog outpaces the people working it. Click a region for its weekly review.',
        sql: growthSql,
        width: 14,
        height: 8,
      }).overrides([
        unitOverride('backlog_growth', 'percentunit'),
        unitOverride('headcount_growth', 'percentunit'),
        thresholdOverride('gap_pp', lowIsGood(10, 20)),
        thresholdOverride('load_end', lowIsGood(8, 12)),
        regionDrillDown(dashboardUids.weeklyReview, 'Regional weekly review'),
      ]),
    )
    .withPanel(
      timeseries({
        title: 'Load: open tickets per rostered FTE',
        description: 'Backlog at the end of each interval divided by the FTE on the roster at that instant.',
        sql: loadSql,
        unit: 'short',
        thresholds: lowIsGood(8, 12),
        width: 10,
        height: 8,
      }),
    )
    .withRow(new RowBuilder('SLA, hand-offs and quality'))
    .withPanel(
      stat({
        title: 'SLA at risk now (warning or critical)',
        description:
          'Open tickets whose SLA clock has consumed 75 % or more of its target (not yet breached), as of the latest evaluation. See the SLA Risk dashboard for the list.',
        sql: slaAtRiskNowSql,
        field: 'at_risk',
        unit: 'short',
        thresholds: lowIsGood(5, 15),
      }).links([panelLink('SLA Risk', dashboardUids.slaRisk)]),
    )
    .withPanel(
      stat({
        title: 'Resolution SLA breach rate',
        description:
          'Of the tickets whose resolution clock stopped (met or breached) in the range, the share breached.',
        sql: breachRateSql,
        field: 'breach_rate',
        unit: 'percentunit',
        thresholds: lowIsGood(0.05, 0.1),
        decimals: 1,
      }),
    )
    .withPanel(
      stat({
        title: 'Handover pickup latency p50 (business time)',
        description:
          "Median time from a handover made in the range to the receiving team's first action, in the receiving region's business hours, by receiving region.",
        sql: pickupSql,
        field: 'business_p50_seconds',
        unit: 's',
        thresholds: lowIsGood(3600, 4 * 3600),
      }).links([panelLink('Handover & Follow-the-Sun', dashboardUids.handover)]),
    )
    .withPanel(
      stat({
        title: 'Escalation rate',
        description:
          'Of the tickets first resolved in the range, the share escalated at least once (by resolving region).',
        sql: escalationSql,
        field: 'escalation_rate',
        unit: 'percentunit',
        thresholds: lowIsGood(0.15, 0.3),
        decimals: 1,
      }),
    )
    .withPanel(
      stat({
        title: 'Reopen rate',
        description: 'Of the tickets first resolved in the range, the share reopened afterwards.',
        sql: reopenSql,
        field: 'reopen_rate',
        unit: 'percentunit',
        thresholds: lowIsGood(0.05, 0.1),
        decimals: 1,
        width: 8,
      }),
    )
    .withPanel(
      stat({
        title: 'Field first-time fix',
        description:
          'Of the field jobs completed in the range, the share fixed on the first visit with no revisit. See Field Execution for the delays.',
        sql: firstTimeFixSql,
        field: 'first_time_fix_rate',
        unit: 'percentunit',
        thresholds: highIsGood(0.7, 0.85),
        decimals: 1,
        width: 8,
      }).links([panelLink('Field Execution', dashboardUids.field)]),
    )
    .withPanel(
      table({
        title: 'Oldest open tickets',
        description: 'Open now, oldest first. Click a ticket id for its timeline in the Baton API.',
        sql: oldestOpenSql,
        width: 8,
        height: 5,
      }).overrides([unitOverride('age_seconds', 's'), ticketTimelineLink()]),
    )
    .build();
}
