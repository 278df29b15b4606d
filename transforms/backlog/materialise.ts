import type { ClickHouseClient } from '../../core/clickhouse.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { Logger } from '../../core/logger.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { startPeriodic } from '../periodic.js';

// The backlog rollup: every interval, per tenant, the closed hours that may have changed are
// recomputed into backlog_hourly from ticket_lifecycle FINAL (sql/queries/backlog-hourly-
// materialise.sql). What may have changed: every hour from the tenant's watermark on (hours not
// materialised yet) and every hour from a dirty marker the lifecycle transform wrote since the last
// run (a late event changes periods from its time on). A run rewrites whole hours with a higher
// version, so repeating one is harmless; it then advances the watermark, which also records from
// when on markers are still unconsumed.
//
// Markers are compared in the server's clock: a marker counts when written at or after the last
// run's start minus `markerGraceSeconds`. The grace covers a batch whose marker was written before
// the run started but whose rows landed after the run read the lifecycle table; a batch slower
// than that between its marker and its rows would be missed (see docs/metrics.md).

const HOUR = 3_600_000;

export interface BacklogRollupOptions {
  ch: ClickHouseClient;
  logger: Logger;
  intervalSeconds: number;
  /** The clock that decides which hours are closed; tests inject one. */
  now?: () => number;
  markerGraceSeconds?: number;
}

export interface TenantRun {
  tenant: string;
  from: number;
  to: number;
}

export interface MaterialiseResult {
  runs: TenantRun[];
  ms: number;
}

export interface BacklogRollup {
  /** One pass over every tenant (the timer calls this; tests may too). */
  materialiseOnce(): Promise<MaterialiseResult>;
  /** Stops the timer and waits for a pass underway. */
  stop(): Promise<void>;
}

export interface RangeInputs {
  /** Hours before it are materialised; null before the tenant's first run. */
  watermark: number | null;
  /** Earliest hour of the unconsumed dirty markers, if any. */
  dirtyFrom: number | null;
  /** Earliest instant the tenant's periods can start (its first ticket's creation), if any. */
  earliest: number | null;
  now: number;
}

/** The hours [from, to) a run recomputes for a tenant, or null when nothing can have changed. */
export function planRange(r: RangeInputs): { from: number; to: number } | null {
  const to = Math.floor(r.now / HOUR) * HOUR; // closed hours only
  const floor = (t: number) => Math.floor(t / HOUR) * HOUR;
  const starts = [r.watermark ?? r.earliest, r.dirtyFrom].filter((t): t is number => t !== null);
  if (starts.length === 0) return null;
  const from = floor(Math.min(...starts));
  return from < to ? { from, to } : null;
}

interface WatermarkRow {
  tenant: string;
  until_ms: number;
  dirty_since: string;
}

const chTime = (ms: number) => toClickHouseTime(ms).slice(0, 19);

/** The hourly backlog rollup per slice (backlog_hourly). */
export function startBacklogRollup(opts: BacklogRollupOptions): BacklogRollup {
  return startHourlyRollup({
    ...opts,
    name: 'backlog rollup',
    watermarkTable: tables.backlogWatermark,
    queries: ['backlog-hourly-materialise'],
  });
}

/**
 * The API's region rollups (sql/migrations/0012_api_rollups.sql), one watermark for all of them;
 * after each pass, the "open" copies are rid of tickets that closed (tidyOpenTables).
 */
export function startRegionRollups(opts: BacklogRollupOptions): BacklogRollup {
  return startHourlyRollup({
    ...opts,
    name: 'region rollups',
    watermarkTable: tables.rollupWatermark,
    queries: regionRollupQueries,
    passOnEveryMarker: true,
    tenantsAlsoFrom: [tables.fieldJobFacts],
    afterPass: tidyOpenTables,
  });
}

/** Materialise queries of the region rollups, run in this order for each tenant's range. */
export const regionRollupQueries = [
  'backlog-region-hourly-materialise',
  'handovers-hourly-materialise',
  'handover-teams-hourly-materialise',
  'escalations-hourly-materialise',
  'sla-hourly-materialise',
  'sla-team-hourly-materialise',
  'sla-durations-hourly-materialise',
  'sla-breaches-hourly-materialise',
  'specialists-hourly-materialise',
  'field-hourly-materialise',
];

// A late insert of an older evaluation (the SLA sweep racing a closing event) could re-open a
// ticket in an open copy after its closed row was cleaned away: each pass first re-marks as
// deleted every ticket of the copy whose row in the main table is closed (a marker of the same
// version, inserted later, wins), then drops deleted rows.
const openTablesTidy = [
  {
    table: 'ticket_facts_open',
    remark: `INSERT INTO ticket_facts_open (tenant, ticket_id, version, is_deleted)
   SELECT tenant, ticket_id, version, 1 FROM ticket_facts FINAL
   WHERE (tenant, ticket_id) IN (SELECT tenant, ticket_id FROM ticket_facts_open FINAL) AND is_open = 0`,
  },
  {
    table: 'ticket_sla_open',
    remark: `INSERT INTO ticket_sla_open (tenant, ticket_id, version, is_deleted)
   SELECT tenant, ticket_id, version, 1 FROM ticket_sla FINAL
   WHERE (tenant, ticket_id) IN (SELECT tenant, ticket_id FROM ticket_sla_open FINAL) AND stopped = 1`,
  },
];

/**
 * The cleanup rewrites the whole copy, every part, however few rows it drops: with no deleted row
 * stored (nothing closed since the last one, e.g. a backlog that only grows) it is skipped. Readers
 * take the copies with FINAL, so the cleanup only keeps them small; it never changes an answer.
 */
export async function tidyOpenTables(ch: ClickHouseClient): Promise<{ cleaned: string[] }> {
  const cleaned: string[] = [];
  for (const { table, remark } of openTablesTidy) {
    await ch.command({ query: remark });
    const rs = await ch.query({
      query: `SELECT count() AS n FROM (SELECT 1 FROM ${table} WHERE is_deleted = 1 LIMIT 1)`,
      format: 'JSONEachRow',
    });
    const [{ n } = { n: 0 }] = await rs.json<{ n: number | string }>();
    if (Number(n) === 0) continue;
    await ch.command({ query: `OPTIMIZE TABLE ${table} FINAL CLEANUP` });
    cleaned.push(table);
  }
  return { cleaned };
}

interface HourlyRollupDefinition extends BacklogRollupOptions {
  name: string;
  watermarkTable: string;
  /** Each takes {tenant}, {from}, {to} (DateTime) and {version} and rewrites those hours. */
  queries: string[];
  afterPass?: (ch: ClickHouseClient) => Promise<unknown>;
  /** Run a tenant's queries on any unconsumed marker, even when no new hour has closed. */
  passOnEveryMarker?: boolean;
  /** Tables whose tenants are materialised too, besides ticket_lifecycle's (with created_at). */
  tenantsAlsoFrom?: string[];
}

function startHourlyRollup(opts: HourlyRollupDefinition): BacklogRollup {
  const now = opts.now ?? Date.now;
  const graceSeconds = opts.markerGraceSeconds ?? 300;
  const log = opts.logger.child({ component: opts.name.replace(' ', '-') });
  let lastVersion = 0;

  async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const rs = await opts.ch.query({ query, query_params: params, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async function materialiseOnce(): Promise<MaterialiseResult> {
    const started = Date.now();
    const at = now();
    // The server's clock, minus the grace: markers from here on stay unconsumed after this run.
    const [{ since } = { since: '1970-01-01 00:00:00.000' }] = await rows<{ since: string }>(
      'SELECT toString(now64(3) - toIntervalSecond({grace:UInt32})) AS since',
      { grace: graceSeconds },
    );
    const watermarks = new Map(
      (
        await rows<WatermarkRow>(
          `SELECT tenant, toUnixTimestamp(materialised_until) * 1000 AS until_ms, toString(dirty_since) AS dirty_since
           FROM ${opts.watermarkTable} FINAL`,
        )
      ).map((w) => [w.tenant, w]),
    );
    const tenants = await rows<{ tenant: string; earliest_ms: number | null }>(
      `SELECT tenant, toUnixTimestamp64Milli(min(created_at)) AS earliest_ms
       FROM ${tables.ticketLifecycle} GROUP BY tenant ORDER BY tenant`,
    );
    // The region rollups hold field jobs too: a tenant with jobs and no tickets needs a watermark.
    if (opts.tenantsAlsoFrom) {
      const known = new Set(tenants.map((t) => t.tenant));
      for (const table of opts.tenantsAlsoFrom)
        for (const t of await rows<{ tenant: string; earliest_ms: number | null }>(
          `SELECT toString(tenant) AS tenant, toUnixTimestamp64Milli(min(created_at)) AS earliest_ms
           FROM ${table} GROUP BY tenant ORDER BY tenant`,
        ))
          if (!known.has(t.tenant)) {
            known.add(t.tenant);
            tenants.push(t);
          }
      tenants.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
    }
    const runs: TenantRun[] = [];
    for (const { tenant, earliest_ms } of tenants) {
      const w = watermarks.get(tenant);
      const [dirty] = await rows<{ from_ms: number; n: number }>(
        `SELECT toUnixTimestamp(min(from_hour)) * 1000 AS from_ms, count() AS n
         FROM ${tables.backlogDirty}
         WHERE tenant = {tenant:String} AND marked_at >= {since:DateTime64(3, 'UTC')}`,
        { tenant, since: w?.dirty_since ?? '1970-01-01 00:00:00.000' },
      );
      const dirtyFrom = dirty && Number(dirty.n) > 0 ? dirty.from_ms : null;
      const planned = planRange({
        watermark: w ? w.until_ms : null,
        dirtyFrom,
        earliest: earliest_ms,
        now: at,
      });
      // An event in the open hour can still change a closed hour of the region rollups (a pickup
      // changes the hour its handover was made in): their queries recompute every closed hour.
      const closed = Math.floor(at / HOUR) * HOUR;
      const range =
        planned ?? (opts.passOnEveryMarker && dirtyFrom !== null && w ? { from: closed, to: closed } : null);
      if (!range) continue;
      const version = Math.max(Date.now(), lastVersion + 1);
      lastVersion = version;
      for (const name of opts.queries) {
        await opts.ch.command({
          query: readQuery(name),
          query_params: { tenant, from: chTime(range.from), to: chTime(range.to), version },
        });
      }
      await opts.ch.insert({
        table: opts.watermarkTable,
        format: 'JSONEachRow',
        values: [
          {
            tenant,
            materialised_until: chTime(Math.max(range.to, w?.until_ms ?? 0)),
            dirty_since: since,
            version,
          },
        ],
      });
      runs.push({ tenant, ...range });
    }
    await opts.afterPass?.(opts.ch);
    const result = { runs, ms: Date.now() - started };
    log.info(
      {
        tenants: runs.length,
        hours: runs.reduce((n, r) => n + (r.to - r.from) / HOUR, 0),
        ms: result.ms,
        asOf: new Date(at).toISOString(),
      },
      `${opts.name} done`,
    );
    return result;
  }

  const job = startPeriodic(opts.name, opts.intervalSeconds, materialiseOnce, log);
  return { materialiseOnce: job.runOnce, stop: job.stop };
}
