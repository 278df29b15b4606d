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
import { note, table, timeseries } from './panels.js';

// Pipeline Health: is data flowing from every source, how fresh is it, and are the transforms'
// periodic jobs (hourly backlog rollup, SLA sweep) keeping up. Raw event tables collapse repeats
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
  ORDER BY job, tenant`;

const notStored = `
**Dead letters** are not stored in ClickHouse: records that fail validation or mapping go to the
Kafka topic \`baton.dead-letter.v1\` with the raw payload, the reason and its origin, and each
process counts them in \`baton_dead_letters_total\` on its \`/metrics\` endpoint.

**Consumer lag** in offsets is not in ClickHouse either. The panel "Ingest → store delay" shows it
in time. Offsets and the \`/metrics\` counters (events in, rows written, batch seconds) need a
Prometheus datasource scraping each Baton process, which this deployment does not include yet.`;

export function pipelineHealth(): Dashboard {
  return new DashboardBuilder('Baton · Pipeline Health')
    .uid(dashboardUids.pipeline)
    .description(
      'Events in per source, freshness, ingest-to-store delay and the periodic jobs of the transforms.',
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
          'Hourly backlog rollup: hours materialised up to covered_until. SLA sweep: the oldest evaluation of an open ticket. behind_seconds against the ClickHouse clock.',
        sql: periodicJobsSql,
        width: 12,
      }).overrides([
        thresholdOverride('behind_seconds', lowIsGood(2 * 3600, 6 * 3600), 's'),
        unitOverride('covered_until', 'dateTimeAsIso'),
      ]),
    )
    .withPanel(note('Dead letters and consumer lag', notStored, 24, 5))
    .build();
}
