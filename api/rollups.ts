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
// - the range starts on a whole hour (a rollup row cannot be split), and ends on one or at/after
//   every watermark (where the edge is computed per event). A query that splits an hour at any
//   instant (backlog-vs-headcount-rollup.sql, from the instants kept per hour) takes any range
//   (rollupParamsAnyInstant).
// Anything else is answered live, which is exact but scans. The per-slice backlog rollup
// (backlog_hourly, sql/migrations/0008_backlog_hourly.sql) has a watermark of its own per tenant
// and answers by the same rules (backlogParams, `anyInstant` for a query that splits hours).

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

type Range = { from: Date; to: Date; tenant?: string | undefined };
type ParamOptions = {
  maxLagMs?: number;
  now?: number;
  /** The query splits hours at any instant: only whether the rollup is usable at all decides. */
  anyInstant?: boolean;
};

/**
 * The region rollups' watermark parameters when [from, to) can be answered from them, else null.
 * `tenant` narrows the check to one tenant (restricted keys and explicit filters).
 */
export function rollupParams(
  wm: RollupWatermarks | null,
  range: Range,
  opts: ParamOptions = {},
): RollupParams | null {
  const p = wm && watermarkParams(wm.until, wm.unmaterialised, wm.readAt, range, opts);
  return p ? { wm_tenants: p.tenants, wm_until: p.until } : null;
}

/**
 * rollupParams for a query that answers at any instant, whole hour or not (one that reads the
 * instants of the changes within each hour: backlog-vs-headcount-rollup.sql): only whether the
 * rollups are usable at all (materialised, not stale) decides.
 */
export function rollupParamsAnyInstant(
  wm: RollupWatermarks | null,
  range: Range,
  opts: ParamOptions = {},
): RollupParams | null {
  return rollupParams(wm, range, { ...opts, anyInstant: true });
}

/** backlog_hourly's watermark parameters when [from, to) can be answered from it, else null. */
export function backlogParams(
  wm: RollupWatermarks | null,
  range: Range,
  opts: ParamOptions = {},
): BacklogRollupParams | null {
  const p = wm && watermarkParams(wm.backlogUntil, wm.backlogUnmaterialised, wm.readAt, range, opts);
  return p ? { bwm_tenants: p.tenants, bwm_until: p.until } : null;
}

function watermarkParams(
  until: Map<string, number>,
  unmaterialised: Set<string>,
  readAt: number,
  range: Range,
  opts: ParamOptions,
): { tenants: string[]; until: string[] } | null {
  if (until.size === 0) return null;
  const now = opts.now ?? readAt;
  const maxLagMs = opts.maxLagMs ?? 6 * HOUR;
  const relevant = range.tenant === undefined ? [...until.values()] : [until.get(range.tenant) ?? Number.NaN];
  const known = relevant.filter((t) => !Number.isNaN(t));
  if (known.length === 0 && range.tenant !== undefined) return null;
  // A tenant stored since the last pass may hold old history that no recent copy has.
  if (range.tenant === undefined && unmaterialised.size > 0) return null;
  if ([...until.values()].some((t) => now - t > maxLagMs)) return null;
  if (!opts.anyInstant) {
    if (range.from.getTime() % HOUR !== 0) return null;
    const latest = Math.max(...known, 0);
    if (range.to.getTime() % HOUR !== 0 && range.to.getTime() < latest) return null;
  }
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
