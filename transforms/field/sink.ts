import type { ClickHouseClient } from '../../core/clickhouse.js';
import { isoToClickHouseTime, toClickHouseTime } from '../../core/clickhouse.js';
import { type FieldJobEvent, fieldJobEventSchema } from '../../core/events/field-job.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import type { JobFacts } from './facts.js';

// ClickHouse side of the field-job transform. Every write is idempotent: events collapse on
// event_id and fact rows on (tenant, job_id) keeping the highest version.

export async function insertFieldJobEvents(ch: ClickHouseClient, events: FieldJobEvent[]): Promise<void> {
  if (events.length === 0) return;
  await ch.insert({
    table: tables.fieldJobEvents,
    format: 'JSONEachRow',
    values: events.map((e) => ({
      event_id: e.eventId,
      tenant: e.tenant,
      job_id: e.jobId,
      type: e.type,
      source: e.source,
      occurred_at: isoToClickHouseTime(e.occurredAt),
      received_at: isoToClickHouseTime(e.receivedAt),
      payload: JSON.stringify(e),
    })),
  });
}

const time = (ms: number | null) => (ms === null ? null : toClickHouseTime(ms));

/** The field_job_facts row of a job. */
export function jobFactsRow(f: JobFacts): Record<string, unknown> {
  return {
    tenant: f.tenant,
    job_id: f.jobId,
    version: f.version,
    ticket_id: f.ticketId,
    site: f.site,
    region: f.region,
    customer: f.customer,
    priority: f.priority,
    status: f.status,
    created_at: toClickHouseTime(f.createdAt),
    scheduled_at: time(f.scheduledAt),
    planned_start: time(f.plannedStart),
    planned_end: time(f.plannedEnd),
    dispatched_at: time(f.dispatchedAt),
    engineer: f.engineer,
    dispatches: f.dispatches,
    first_on_site_at: time(f.firstOnSiteAt),
    last_on_site_at: time(f.lastOnSiteAt),
    visits: f.visits,
    completed_at: time(f.completedAt),
    fixed: f.fixed ? 1 : 0,
    cancelled_at: time(f.cancelledAt),
    dispatch_latency_seconds: f.dispatchLatencySeconds,
    arrival_seconds: f.arrivalSeconds,
    access_delays: f.accessDelays,
    access_delay_seconds: f.accessDelaySeconds,
    access_delayed_since: time(f.accessDelayedSince),
    had_parts: f.hadParts ? 1 : 0,
    parts_requests: f.partsRequests,
    parts_delay_seconds: f.partsDelaySeconds,
    parts_late: f.partsLate ? 1 : 0,
    parts_faulty: f.partsFaulty,
    parts_waiting_since: time(f.partsWaitingSince),
    parts_waiting_reason: f.partsWaitingReason,
    revisits_required: f.revisitsRequired,
    revisits: f.revisits,
    first_time_fix: f.firstTimeFix ? 1 : 0,
    planned_seconds: f.plannedSeconds,
    actual_seconds: f.actualSeconds,
    scope_changes: f.scopeChanges,
  };
}

/** Stored histories of the given jobs of one tenant, validated as they are read back. */
export async function loadFieldJobHistories(
  ch: ClickHouseClient,
  tenant: string,
  jobIds: string[],
): Promise<Map<string, FieldJobEvent[]>> {
  const out = new Map<string, FieldJobEvent[]>();
  if (jobIds.length === 0) return out;
  const rs = await ch.query({
    query: readQuery('field-job-histories'),
    query_params: { tenant, job_ids: jobIds },
    format: 'JSONEachRow',
  });
  for (const row of await rs.json<{ payload: string }>()) {
    const event = fieldJobEventSchema.parse(JSON.parse(row.payload));
    const list = out.get(event.jobId);
    if (list) list.push(event);
    else out.set(event.jobId, [event]);
  }
  return out;
}
