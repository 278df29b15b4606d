import type { ClickHouseClient } from '../core/clickhouse.js';
import { toClickHouseTime } from '../core/clickhouse.js';
import { tables } from '../core/tables.js';

// When a metric route may answer from the region rollups (sql/migrations/0012_api_rollups.sql)
// instead of scanning the per-ticket tables. Per tenant, the rollups hold every closed hour before
// the tenant's watermark; a route adds the hours from the watermark on from the "recent" copies,
// which keep every ticket whose row changed in the last two days. So the rollups answer exactly
// when:
// - they have been materialised at all, and lately (a watermark older than `maxLagMs` means the
//   rollup job has stopped: its edge could reach past what the recent copies still hold);
// - every tenant in scope has been materialised (a tenant stored since the last pass may hold old
//   history that no recent copy has).
// Any range does: every rollup keeps the instants of its items within each hour, and a read query
// takes an hour that a range's edge falls inside item by item (splitHours, section `split`).
// Anything else is answered live, which is exact but scans. The per-slice backlog rollup
// (backlog_hourly, sql/migrations/0008_backlog_hourly.sql) has a watermark of its own per tenant
// and answers by the same rules (backlogParams).

const HOUR = 3_600_000;

export interface RollupWatermarks {
  /** Per tenant, the instant (ms) before which every hour is materialised. */
  until: Map<string, number>;
  /** Tenants with stored tickets and no watermark yet (e.g. a backfill since the last pass). */
  unmaterialised: Set<string>;
  /** Per tenant, the same for backlog_hourly (backlog_watermark). */
  backlogUntil: Map<string, number>;
  /** Tenants with stored tickets and no backlog watermark yet (field jobs have no backlog). */
  backlogUnmaterialised: Set<string>;
  /** When these were read. */
  readAt: number;
}

export interface RollupReader {
  /** Current watermarks (cached for a second, one read at a time), or null when rollups are off. */
  watermarks(): Promise<RollupWatermarks | null>;
}

export interface RollupReaderOptions {
  enabled: boolean;
  /** A watermark older than this (behind now) disables the rollups. */
  maxLagMs?: number;
  cacheMs?: number;
  now?: () => number;
}

export function rollupReader(ch: ClickHouseClient, opts: RollupReaderOptions): RollupReader {
  const cacheMs = opts.cacheMs ?? 1_000;
  const now = opts.now ?? Date.now;
  let cached: RollupWatermarks | null = null;
  // Expiry follows the process's own clock: an injected `now` may stand still.
  let cachedAt = 0;
  let reading: Promise<RollupWatermarks> | null = null;

  async function read(): Promise<RollupWatermarks> {
    // Independent reads: all go out at once.
    const [wms, bwms, ts] = await Promise.all([
      ch.query({
        query: `SELECT toString(tenant) AS tenant, toUnixTimestamp(max(materialised_until)) * 1000 AS until_ms
                FROM ${tables.rollupWatermark} FINAL GROUP BY tenant`,
        format: 'JSONEachRow',
      }),
      ch.query({
        query: `SELECT toString(tenant) AS tenant, toUnixTimestamp(max(materialised_until)) * 1000 AS until_ms
                FROM ${tables.backlogWatermark} FINAL GROUP BY tenant`,
        format: 'JSONEachRow',
      }),
      // Tenant is the sort key's prefix and low-cardinality: a narrow column, not the tickets.
      // Field jobs are in the region rollups too, and a tenant may have jobs before any ticket; the
      // backlog rollup has tickets only.
      ch.query({
        query: `SELECT tenant, max(tickets) AS tickets FROM
                (SELECT DISTINCT toString(tenant) AS tenant, 1 AS tickets FROM ${tables.ticketLifecycle}
                 UNION ALL SELECT DISTINCT toString(tenant) AS tenant, 0 AS tickets FROM ${tables.fieldJobFacts})
                GROUP BY tenant`,
        format: 'JSONEachRow',
      }),
    ]);
    type WatermarkRow = { tenant: string; until_ms: number | string };
    const untilOf = async (rs: typeof wms) =>
      new Map((await rs.json<WatermarkRow>()).map((r) => [r.tenant, Number(r.until_ms)]));
    const until = await untilOf(wms);
    const backlogUntil = await untilOf(bwms);
    const tenants = await ts.json<{ tenant: string; tickets: number | string }>();
    const unmaterialised = new Set(tenants.map((r) => r.tenant).filter((t) => !until.has(t)));
    const backlogUnmaterialised = new Set(
      tenants.filter((r) => Number(r.tickets) === 1 && !backlogUntil.has(r.tenant)).map((r) => r.tenant),
    );
    return { until, unmaterialised, backlogUntil, backlogUnmaterialised, readAt: now() };
  }

  return {
    async watermarks() {
      if (!opts.enabled) return null;
      if (cached && performance.now() - cachedAt < cacheMs) return cached;
      reading ??= read().finally(() => {
        reading = null;
      });
      cached = await reading;
      cachedAt = performance.now();
      return cached;
    },
  };
}

/** Query parameters that give each tenant's watermark in SQL (see rollupUntil in the queries). */
export interface RollupParams {
  wm_tenants: string[];
  wm_until: string[];
}

/** The same for backlog_hourly's watermarks, under names of their own. */
export interface BacklogRollupParams {
  bwm_tenants: string[];
  bwm_until: string[];
}

/** Whose watermarks decide: one tenant's (restricted keys and explicit filters), else every one. */
type Scope = { tenant?: string | undefined };
type ParamOptions = { maxLagMs?: number; now?: number };

/** The region rollups' watermark parameters when they may answer for `scope`, else null. */
export function rollupParams(
  wm: RollupWatermarks | null,
  scope: Scope,
  opts: ParamOptions = {},
): RollupParams | null {
  const p = wm && watermarkParams(wm.until, wm.unmaterialised, wm.readAt, scope, opts);
  return p ? { wm_tenants: p.tenants, wm_until: p.until } : null;
}

/** backlog_hourly's watermark parameters when it may answer for `scope`, else null. */
export function backlogParams(
  wm: RollupWatermarks | null,
  scope: Scope,
  opts: ParamOptions = {},
): BacklogRollupParams | null {
  const p = wm && watermarkParams(wm.backlogUntil, wm.backlogUnmaterialised, wm.readAt, scope, opts);
  return p ? { bwm_tenants: p.tenants, bwm_until: p.until } : null;
}

function watermarkParams(
  until: Map<string, number>,
  unmaterialised: Set<string>,
  readAt: number,
  scope: Scope,
  opts: ParamOptions,
): { tenants: string[]; until: string[] } | null {
  if (until.size === 0) return null;
  const now = opts.now ?? readAt;
  const maxLagMs = opts.maxLagMs ?? 6 * HOUR;
  if (scope.tenant !== undefined && !until.has(scope.tenant)) return null;
  // A tenant stored since the last pass may hold old history that no recent copy has.
  if (scope.tenant === undefined && unmaterialised.size > 0) return null;
  if ([...until.values()].some((t) => now - t > maxLagMs)) return null;
  return {
    tenants: [...until.keys()],
    until: [...until.values()].map((t) => toClickHouseTime(t).slice(0, 19)),
  };
}

/**
 * The hours (ClickHouse DateTime text) that edges split: those of the edges that are not whole
 * hours, once each. A query that keeps each hour's instants (escalations-by-period-rollup.sql)
 * takes these hours instant by instant and sums every other.
 */
export function splitHours(edges: readonly Date[]): string[] {
  const hours = new Set<number>();
  for (const e of edges) if (e.getTime() % HOUR !== 0) hours.add(Math.floor(e.getTime() / HOUR) * HOUR);
  return [...hours].map((h) => toClickHouseTime(h).slice(0, 19));
}

/**
 * splitHours as query parameters, with the query sections to leave out: a query that reads the
 * split hours again (`-- section split`, core/queries.ts) does without that read when none is.
 */
export function splitParams(edges: readonly Date[]): { params: { split_hours: string[] }; omit: string[] } {
  const hours = splitHours(edges);
  return { params: { split_hours: hours }, omit: hours.length === 0 ? ['split'] : [] };
}
