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
  ticketTimelineLink,
  unitOverride,
} from './common.js';
import { stat, table, timeseries } from './panels.js';

// Handover & Follow-the-Sun: where hand-offs between teams and regions wait, bounce and idle,
// and which hours of the week bring work that nobody on shift can pick up.

// A handover belongs to a region filter when either side of it is in the region.
const handoverFilters = `${inVar('tenant', 'tenant')}
    AND (${inVar('ho_from_region', 'region')} OR ${inVar('ho_to_region', 'region')})
    AND ${inVar('ho_to_team', 'team')}`;

const handoverColumns = `ho_at, ho_from_team, ho_from_region, ho_to_team, ho_to_region, ho_ping_pong, ho_outcome,
      ho_until, ho_business_seconds, ho_wall_seconds, ho_seam_idle_seconds`;

const pairsSql = `
  SELECT
      ho_from_region AS from_region,
      ho_to_region AS to_region,
      toUInt64(count()) AS handovers_made,
      toUInt64(countIf(ho_outcome = 'picked_up')) AS picked_up,
      toUInt64(countIf(ho_ping_pong = 1)) AS ping_pong,
      if(picked_up = 0, NULL, quantileExactInclusiveIf(0.5)(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up'))
          AS business_p50_seconds,
      if(picked_up = 0, NULL, quantileExactInclusiveIf(0.9)(assumeNotNull(ho_business_seconds), ho_outcome = 'picked_up'))
          AS business_p90_seconds,
      if(picked_up = 0, NULL, quantileExactInclusiveIf(0.5)(assumeNotNull(ho_wall_seconds), ho_outcome = 'picked_up'))
          AS wall_p50_seconds
  FROM ticket_facts FINAL
  ARRAY JOIN ${handoverColumns}
  WHERE handovers > 0
    AND $__timeFilter(ho_at)
    AND ${handoverFilters}
  GROUP BY from_region, to_region
  ORDER BY from_region, to_region`;

const matrixSql = `
  SELECT
      ho_from_region AS from_region,
      ho_to_region AS to_region,
      quantileExactInclusive(0.5)(assumeNotNull(ho_business_seconds)) AS business_p50_seconds
  FROM ticket_facts FINAL
  ARRAY JOIN ${handoverColumns}
  WHERE handovers > 0
    AND ho_outcome = 'picked_up'
    AND $__timeFilter(ho_at)
    AND ${handoverFilters}
  GROUP BY from_region, to_region
  ORDER BY from_region, to_region`;

// Pending at the end of the range: made by then, and its wait had not ended by then.
const pendingSql = `
  SELECT
      tenant,
      ticket_id,
      ho_from_team AS from_team,
      ho_from_region AS from_region,
      ho_to_team AS to_team,
      ho_to_region AS to_region,
      ho_at AS handed_over_at,
      dateDiff('second', ho_at, $__toTime_ms) AS waiting_seconds
  FROM ticket_facts FINAL
  ARRAY JOIN ${handoverColumns}
  WHERE handovers > 0
    AND ho_at <= $__toTime_ms
    AND (ho_until IS NULL OR ho_until > $__toTime_ms)
    AND ${handoverFilters}
  ORDER BY waiting_seconds DESC, tenant, ticket_id
  LIMIT 100`;

const pingPongSql = `
  SELECT
      $__timeInterval(ho_at) AS time,
      ho_to_region AS region,
      toUInt64(countIf(ho_ping_pong = 1)) AS ping_pong
  FROM ticket_facts FINAL
  ARRAY JOIN ${handoverColumns}
  WHERE handovers > 0
    AND $__timeFilter(ho_at)
    AND ${handoverFilters}
  GROUP BY time, region
  ORDER BY time, region`;

// Seam idle: the part of a pickup latency outside the receiving region's working hours.
const seamSql = `
  SELECT
      ho_to_region AS region,
      toUInt64(count()) AS picked_up,
      sum(assumeNotNull(ho_seam_idle_seconds)) AS seam_idle_seconds,
      sum(assumeNotNull(ho_wall_seconds)) AS wall_seconds,
      if(wall_seconds = 0, NULL, seam_idle_seconds / wall_seconds) AS seam_idle_share
  FROM ticket_facts FINAL
  ARRAY JOIN ${handoverColumns}
  WHERE handovers > 0
    AND ho_outcome = 'picked_up'
    AND $__timeFilter(ho_at)
    AND ${handoverFilters}
  GROUP BY region
  ORDER BY region`;

// Coverage gap (docs: inflow by hour-of-week × region against on-shift headcount). Shifts are
// read from the stored roster events (one row per event id); an agent counts in every UTC hour
// its shift overlaps. Both sides are totals over the range, so the ratio is inflow per agent-hour.
const coverageSql = `
  WITH
      inflow AS
      (
          SELECT
              toString(iv_region) AS region,
              (toDayOfWeek(iv_opened_at) - 1) * 24 + toHour(iv_opened_at) AS hour_of_week,
              count() AS tickets
          FROM ticket_lifecycle FINAL
          ARRAY JOIN iv_region, iv_team, iv_opened_at, iv_open_kind
          WHERE iv_open_kind IN ('created', 'reopened')
            AND $__timeFilter(iv_opened_at)
            AND ${inVar('tenant', 'tenant')}
            AND ${inVar('iv_region', 'region')}
            AND ${inVar('iv_team', 'team')}
          GROUP BY region, hour_of_week
      ),
      shifts AS
      (
          SELECT
              tenant,
              agent_id,
              JSONExtractString(payload, 'region') AS region,
              parseDateTime64BestEffort(JSONExtractString(payload, 'start'), 3, 'UTC') AS start_at,
              parseDateTime64BestEffort(JSONExtractString(payload, 'end'), 3, 'UTC') AS end_at
          FROM roster_events
          WHERE type = 'roster.shift'
            AND ${inVar('tenant', 'tenant')}
          LIMIT 1 BY tenant, agent_id, event_id
      ),
      shift_hours AS
      (
          SELECT DISTINCT
              tenant,
              agent_id,
              region,
              arrayJoin(arrayMap(
                  k -> toStartOfHour(start_at) + toIntervalHour(k),
                  range(toUInt64(dateDiff('hour', toStartOfHour(start_at), end_at - toIntervalMillisecond(1)) + 1))
              )) AS shift_hour
          FROM shifts
          WHERE end_at > start_at
      ),
      staffed AS
      (
          SELECT
              region,
              (toDayOfWeek(shift_hour) - 1) * 24 + toHour(shift_hour) AS hour_of_week,
              count() AS agents
          FROM shift_hours
          WHERE $__timeFilter(shift_hour)
            AND ${inVar('region', 'region')}
          GROUP BY region, hour_of_week
      ),
      combined AS
      (
          SELECT region, hour_of_week, sum(n_inflow) AS inflow, sum(n_agent_hours) AS agent_hours
          FROM
          (
              SELECT region, hour_of_week, toUInt64(tickets) AS n_inflow, toUInt64(0) AS n_agent_hours FROM inflow
              UNION ALL
              SELECT region, hour_of_week, toUInt64(0), toUInt64(agents) FROM staffed
          )
          GROUP BY region, hour_of_week
      )
  SELECT
      region,
      toUInt16(hour_of_week) AS hour_of_week,
      concat(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][intDiv(hour_of_week, 24) + 1], ' ',
             leftPad(toString(hour_of_week % 24), 2, '0'), ':00 UTC') AS utc_hour,
      inflow,
      agent_hours,
      if(agent_hours = 0, NULL, round(inflow / agent_hours, 2)) AS inflow_per_agent_hour,
      toUInt8(inflow > 0 AND agent_hours = 0) AS uncovered
  FROM combined
  ORDER BY uncovered DESC, inflow_per_agent_hour DESC NULLS LAST, region, hour_of_week`;

export function handover(): Dashboard {
  return new DashboardBuilder('Baton · Handover & Follow-the-Sun')
    .uid(dashboardUids.handover)
    .description(
      'Where hand-offs between teams and regions wait, bounce and idle; coverage by hour of the week.',
    )
    .tags([BATON_TAG, 'handover'])
    .time({ from: 'now-7d', to: 'now' })
    .timezone('utc')
    .refresh('5m')
    .readonly()
    .link(dashboardsLink())
    .withVariable(tenantVariable())
    .withVariable(regionVariable())
    .withVariable(teamVariable())
    .withVariable(apiUrlVariable())
    .withRow(new RowBuilder('Pickup latency between regions'))
    .withPanel(
      table({
        title: 'Pickup latency matrix: p50 business time (from region → to region)',
        description:
          "Median time from a handover to the receiving team's first action, in the receiving region's business hours, for handovers made in the range and picked up. Rows: from region; columns: to region.",
        sql: matrixSql,
        unit: 's',
        width: 10,
        height: 8,
      }).withTransformation({
        id: 'groupingToMatrix',
        options: { rowField: 'from_region', columnField: 'to_region', valueField: 'business_p50_seconds' },
      }),
    )
    .withPanel(
      table({
        title: 'Handovers by region pair',
        description:
          'Handovers made in the range per (from → to) region pair: how many, picked up, ping-pong, and pickup latency p50/p90 (business) and p50 (wall).',
        sql: pairsSql,
        width: 14,
        height: 8,
      }).overrides([
        thresholdOverride('business_p50_seconds', lowIsGood(3600, 4 * 3600), 's'),
        unitOverride('business_p90_seconds', 's'),
        unitOverride('wall_p50_seconds', 's'),
        thresholdOverride('ping_pong', lowIsGood(1, 5)),
      ]),
    )
    .withRow(new RowBuilder('Waiting, bouncing, idling'))
    .withPanel(
      table({
        title: 'Pending handovers at the end of the range',
        description:
          'Handovers not yet picked up, handed on or closed, longest waiting first. Click a ticket id for its timeline.',
        sql: pendingSql,
        width: 12,
        height: 9,
      }).overrides([
        thresholdOverride('waiting_seconds', lowIsGood(4 * 3600, 24 * 3600), 's'),
        ticketTimelineLink(),
      ]),
    )
    .withPanel(
      timeseries({
        title: 'Ping-pong handovers by receiving region',
        description: 'Handovers back to a team that already held the ticket, per interval.',
        sql: pingPongSql,
        unit: 'short',
        width: 12,
        height: 9,
      }),
    )
    .withPanel(
      stat({
        title: 'Seam idle share of pickup latency',
        description:
          "Of the wall time picked-up handovers waited, the share that fell outside the receiving region's working hours.",
        sql: seamSql,
        field: 'seam_idle_share',
        unit: 'percentunit',
        thresholds: lowIsGood(0.3, 0.6),
        decimals: 1,
        width: 24,
        height: 5,
      }),
    )
    .withRow(new RowBuilder('Coverage gap by hour of the week'))
    .withPanel(
      table({
        title: 'Inflow against on-shift agents by hour of the week (UTC)',
        description:
          'Tickets created or reopened in each hour of the week in the range, against the agent-hours on shift (roster shifts) in the same hours. Uncovered = inflow with nobody on shift. Worst first.',
        sql: coverageSql,
        width: 24,
        height: 10,
      }).overrides([
        thresholdOverride('uncovered', thresholds([null, 'green'], [1, 'red'])),
        thresholdOverride('inflow_per_agent_hour', lowIsGood(2, 5)),
      ]),
    )
    .build();
}
