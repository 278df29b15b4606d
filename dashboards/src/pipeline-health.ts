import { type Dashboard, DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BATON_TAG,
  dashboardsLink,
  dashboardUids,
  inVar,
  lowIsGood,
  tenantVariable,
  thresholdOverride,
  unitOverride,
} from './common.js';
import { stat, table, timeseries } from './panels.js';

// Pipeline Health: is data flowing from every source, how fresh is it, are the transforms and
// their periodic jobs (hourly backlog rollup, SLA sweep, lag sampling) keeping up, and what was
// dead-lettered. Raw event tables collapse repeats
// on event_id only when parts merge, so counts use uniqExact(event_id).

const rawEvents = (kind: string, table: string, entity: string) => `
          SELECT '${kind}' AS family, source, tenant, event_id, ${entity} AS entity_id, occurred_at, received_at, stored_at
          FROM ${table}
          WHERE ${inVar('tenant', 'tenant')}`;

const allEvents = `(${rawEvents('ticket', 'ticket_events', 'ticket_id')}
          UNION ALL${rawEvents('field job', 'field_job_events', 'job_id')}
          UNION ALL${rawEvents('roster', 'roster_events', 'agent_id')}
      )`;

const eventsInSql = `
  SELECT
      $__timeInterval(received_at) AS time,
      concat(family, ' · ', source) AS stream,
      toUInt64(uniqExact(event_id)) AS events
  FROM ${allEvents}
  WHERE $__timeFilter(received_at)
  GROUP BY time, stream
  ORDER BY time, stream`;

// Freshness is measured against ClickHouse's clock (now), not the dashboard range: a source that
// stopped sending is stale whatever range is on screen.
const freshnessSql = `
  SELECT
      family,
      source,
      toUInt64(uniqExact(event_id)) AS events,
      max(received_at) AS latest_received_at,
      dateDiff('second', max(received_at), now64(3)) AS freshness_seconds,
      max(stored_at) AS latest_stored_at
  FROM ${allEvents}
  GROUP BY family, source
  ORDER BY family, source`;

// How long an event took from the gateway (received_at) to ClickHouse (stored_at): the end-to-end
// delay of Kafka plus the transforms, i.e. consumer lag expressed in time.
const ingestDelaySql = `
  SELECT
      $__timeInterval(stored_at) AS time,
      family,
      quantileExactInclusive(0.95)(greatest(dateDiff('millisecond', received_at, stored_at), 0) / 1000) AS p95_delay_seconds
  FROM ${allEvents}
  WHERE $__timeFilter(stored_at)
  GROUP BY time, family
  ORDER BY time, family`;

const periodicJobsSql = `
  SELECT
      'backlog rollup' AS job,
      tenant,
      toDateTime64(max(materialised_until), 3, 'UTC') AS covered_until,
      dateDiff('second', max(materialised_until), now()) AS behind_seconds
  FROM backlog_watermark FINAL
  WHERE ${inVar('tenant', 'tenant')}
  GROUP BY tenant
  UNION ALL
  SELECT
      'SLA sweep' AS job,
      tenant,
      min(as_of) AS covered_until,
      dateDiff('second', min(as_of), now64(3)) AS behind_seconds
  FROM ticket_sla FINAL
  WHERE stopped = 0
    AND ${inVar('tenant', 'tenant')}
  GROUP BY tenant
  UNION ALL
  SELECT
      'pipeline stats' AS job,
      '' AS tenant,
      max(sampled_at) AS covered_until,
      dateDiff('second', max(sampled_at), now64(3)) AS behind_seconds
  FROM pipeline_stats
  HAVING count() > 0
  ORDER BY job, tenant`;

// Consumer lag, sampled by the transforms into pipeline_stats. Within an interval each partition
// counts once, at its worst sample (several transform instances may sample the same partition),
// and a consumer's lag is the sum over its partitions.
const lagOverTimeSql = `
  SELECT
      time,
      concat(group_id, ' · ', topic) AS consumer,
      toInt64(sum(partition_lag)) AS lag
  FROM
  (
      SELECT
          $__timeInterval(sampled_at) AS time,
          group_id,
          topic,
          partition,
          max(lag) AS partition_lag
      FROM pipeline_stats
      WHERE $__timeFilter(sampled_at)
      GROUP BY time, group_id, topic, partition
  )
  GROUP BY time, consumer
  ORDER BY time, consumer`;

// The latest sample of each partition, like freshness against now rather than the range; a
// consumer group no longer sampled within the hour before the newest sample is gone, not lagging.
const lagNowSql = `
  SELECT
      concat(group_id, ' · ', topic) AS consumer,
      toInt64(sum(partition_lag)) AS lag
  FROM
  (
      SELECT group_id, topic, partition, argMax(lag, sampled_at) AS partition_lag
      FROM pipeline_stats
      WHERE sampled_at >= (SELECT max(sampled_at) FROM pipeline_stats) - INTERVAL 1 HOUR
      GROUP BY group_id, topic, partition
  )
  GROUP BY consumer
  ORDER BY consumer`;

// Dead letters of the transforms, one row per record (FINAL collapses a redone batch's repeats).
// They carry no trusted tenant, so the tenant filter does not apply.
const deadLettersOverTimeSql = `
  SELECT
      $__timeInterval(dead_lettered_at) AS time,
      concat(topic, ' · ', reason_kind) AS stream,
      toUInt64(count()) AS dead_letters
  FROM dead_letters FINAL
  WHERE $__timeFilter(dead_lettered_at)
  GROUP BY time, stream
  ORDER BY time, stream`;

const latestDeadLettersSql = `
  SELECT
      dead_lettered_at,
      id AS origin,
      family,
      reason,
      problems,
      raw_preview
  FROM dead_letters FINAL
  WHERE $__timeFilter(dead_lettered_at)
  ORDER BY dead_lettered_at DESC, origin
  LIMIT 100`;

export function pipelineHealth(): Dashboard {
  return new DashboardBuilder('Baton · Pipeline Health')
    .uid(dashboardUids.pipeline)
    .description(
      'Events in per source, freshness, ingest-to-store delay, consumer lag, dead letters and the periodic jobs of the transforms.',
    )
    .tags([BATON_TAG, 'platform'])
    .time({ from: 'now-24h', to: 'now' })
    .timezone('utc')
    .refresh('1m')
    .readonly()
    .link(dashboardsLink())
    .withVariable(tenantVariable())
    .withRow(new RowBuilder('Flow'))
    .withPanel(
      timeseries({
        title: 'Events in per source',
        description: 'Distinct canonical events received per interval, by event family and source.',
        sql: eventsInSql,
        unit: 'short',
        minInterval: '5m',
        width: 16,
      }),
    )
    .withPanel(
      table({
        title: 'Freshness per source',
        description: 'Time since the latest event of each source was received, against the ClickHouse clock.',
        sql: freshnessSql,
        width: 8,
      }).overrides([thresholdOverride('freshness_seconds', lowIsGood(900, 3600), 's')]),
    )
    .withRow(new RowBuilder('Keeping up'))
    .withPanel(
      timeseries({
        title: 'Ingest → store delay p95',
        description:
          'How long events stored in each interval took from the ingest gateway to ClickHouse (Kafka and the transforms). Historical imports show their age here, not a delay.',
        sql: ingestDelaySql,
        unit: 's',
        thresholds: lowIsGood(60, 300),
        minInterval: '5m',
        width: 12,
      }),
    )
    .withPanel(
      table({
        title: 'Periodic jobs',
        description:
          'Hourly backlog rollup: hours materialised up to covered_until. SLA sweep: the oldest evaluation of an open ticket. Pipeline stats: the latest consumer-lag sample (all tenants). behind_seconds against the ClickHouse clock.',
        sql: periodicJobsSql,
        width: 12,
      }).overrides([
        thresholdOverride('behind_seconds', lowIsGood(2 * 3600, 6 * 3600), 's'),
        unitOverride('covered_until', 'dateTimeAsIso'),
      ]),
    )
    .withRow(new RowBuilder('Consumer lag'))
    .withPanel(
      stat({
        title: 'Consumer lag now',
        description:
          'Records each transform consumer group has not committed yet, summed over the partitions of its topic, at the latest sample (all tenants).',
        sql: lagNowSql,
        field: 'lag',
        unit: 'short',
        thresholds: lowIsGood(1_000, 10_000),
        width: 6,
        height: 8,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Consumer lag',
        description:
          'Per consumer group and topic: the worst sample of each partition in the interval, summed over the partitions (all tenants).',
        sql: lagOverTimeSql,
        unit: 'short',
        thresholds: lowIsGood(1_000, 10_000),
        minInterval: '1m',
        width: 18,
      }),
    )
    .withRow(new RowBuilder('Dead letters'))
    .withPanel(
      timeseries({
        title: 'Dead letters per topic and reason',
        description:
          'Records the transforms could not use, per source topic and kind of reason (all tenants: a broken record has no trusted tenant).',
        sql: deadLettersOverTimeSql,
        unit: 'short',
        minInterval: '5m',
        width: 12,
      }),
    )
    .withPanel(
      table({
        title: 'Latest dead letters',
        description:
          'The latest 100 in the range: origin is topic/partition/offset of the record; the whole record is on the dead-letter topic.',
        sql: latestDeadLettersSql,
        width: 12,
      }).overrides([unitOverride('dead_lettered_at', 'dateTimeAsIso')]),
    )
    .build();
}
