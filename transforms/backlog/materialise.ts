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

export function startBacklogRollup(opts: BacklogRollupOptions): BacklogRollup {
  const now = opts.now ?? Date.now;
  const graceSeconds = opts.markerGraceSeconds ?? 300;
  const log = opts.logger.child({ component: 'backlog-rollup' });
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
           FROM ${tables.backlogWatermark} FINAL`,
        )
      ).map((w) => [w.tenant, w]),
    );
    const tenants = await rows<{ tenant: string; earliest_ms: number | null }>(
      `SELECT tenant, toUnixTimestamp64Milli(min(created_at)) AS earliest_ms
       FROM ${tables.ticketLifecycle} GROUP BY tenant ORDER BY tenant`,
    );
    const runs: TenantRun[] = [];
    for (const { tenant, earliest_ms } of tenants) {
      const w = watermarks.get(tenant);
      const [dirty] = await rows<{ from_ms: number; n: number }>(
        `SELECT toUnixTimestamp(min(from_hour)) * 1000 AS from_ms, count() AS n
         FROM ${tables.backlogDirty}
         WHERE tenant = {tenant:String} AND marked_at >= {since:DateTime64(3, 'UTC')}`,
        { tenant, since: w?.dirty_since ?? '1970-01-01 00:00:00.000' },
      );
      const range = planRange({
        watermark: w ? w.until_ms : null,
        dirtyFrom: dirty && dirty.n > 0 ? dirty.from_ms : null,
        earliest: earliest_ms,
        now: at,
      });
      if (!range) continue;
      const version = Math.max(Date.now(), lastVersion + 1);
      lastVersion = version;
      await opts.ch.command({
        query: readQuery('backlog-hourly-materialise'),
        query_params: { tenant, from: chTime(range.from), to: chTime(range.to), version },
      });
      await opts.ch.insert({
        table: tables.backlogWatermark,
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
    const result = { runs, ms: Date.now() - started };
    log.info(
      {
        tenants: runs.length,
        hours: runs.reduce((n, r) => n + (r.to - r.from) / HOUR, 0),
        ms: result.ms,
        asOf: new Date(at).toISOString(),
      },
      'backlog rollup done',
    );
    return result;
  }

  const job = startPeriodic('backlog rollup', opts.intervalSeconds, materialiseOnce, log);
  return { materialiseOnce: job.runOnce, stop: job.stop };
}
