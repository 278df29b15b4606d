import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import type { ClickHouseClient } from '../../core/clickhouse.js';
import { type QueryOptions, readQuery } from '../../core/queries.js';

// Building blocks of the metric routes' inputs and outputs, so every route validates the same
// filter the same way and answers with the same shapes.

export const dimension = z.string().min(1).max(200);
// abort: a malformed instant stops validation here; the object's range checks would otherwise
// run on the raw string and throw (a 500 instead of a 400).
export const instant = z.iso.datetime({ offset: true, abort: true }).transform((s) => new Date(s));

/** An IANA zone, checked against the runtime's zone data (luxon), so a typo is a 400, not UTC. */
export const timeZone = z
  .string()
  .min(1)
  .max(100)
  .refine((tz) => IANAZone.isValidZone(tz), { message: 'not a valid IANA time zone' })
  .default('UTC');

/**
 * `tenant` and `region` on every /v1 route: an API key restricted to a tenant or region has
 * these forced by the authentication hook, so each route must narrow its answer by them.
 */
export const scopeFields = {
  tenant: dimension.optional().describe('Only this tenant (all when absent)'),
  region: dimension.optional().describe('Only this region (all when absent)'),
};

export const rangeFields = {
  from: instant.describe('Start of the range, ISO-8601 with an offset (inclusive)'),
  to: instant.describe('End of the range, ISO-8601 with an offset (exclusive)'),
};

/** 400 when `to` is not after `from`, reported on `to`. */
export function checkRange(q: { from: Date; to: Date }, ctx: z.RefinementCtx): void {
  if (q.from >= q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
}

export const periodIntervals = ['hour', 'day', 'week', 'month'] as const;
export type PeriodInterval = (typeof periodIntervals)[number];

const oneOf = { hour: { hours: 1 }, day: { days: 1 }, week: { weeks: 1 }, month: { months: 1 } } as const;

/**
 * Bucket edges of [from, to) in a time zone: `from`, every start of a local hour / day / ISO week
 * / month strictly inside the range, and `to`. Local boundaries follow DST (a day may be 23 h),
 * and a range that does not start on a boundary gets a shorter first (and last) bucket. Returns
 * null when there would be more than `max` buckets.
 */
export function periodEdges(from: Date, to: Date, interval: PeriodInterval, tz: string, max: number) {
  const edges = [from];
  let next = DateTime.fromJSDate(from, { zone: tz }).startOf(interval);
  for (;;) {
    next = next.plus(oneOf[interval]);
    if (next.toMillis() >= to.getTime()) break;
    edges.push(next.toJSDate());
    if (edges.length > max) return null;
  }
  edges.push(to);
  return edges;
}

/** ClickHouse DateTime64 text in UTC ('2026-03-03 09:00:00.000') as ISO-8601 ('...T09:00:00.000Z'). */
export const isoFromClickHouse = (s: string): string => `${s.replace(' ', 'T')}Z`;
export const isoOrNull = (s: string | null): string | null => (s === null ? null : isoFromClickHouse(s));

/** Runs one read query of sql/queries and validates every row it returns. */
export async function queryRows<S extends z.ZodType>(
  ch: ClickHouseClient,
  name: string,
  params: Record<string, unknown>,
  row: S,
  opts: QueryOptions = {},
): Promise<z.infer<S>[]> {
  const rs = await ch.query({ query: readQuery(name, opts), format: 'JSONEachRow', query_params: params });
  return z.array(row).parse(await rs.json());
}

export const errorSchema = z.object({ error: z.string(), message: z.string() });
