import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { prioritySchema } from '../../core/events/ticket.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import type { RouteOptions } from '../app.js';
import { backlogParams, rollupParams, splitParams } from '../rollups.js';

const intervalSeconds = { hour: 3_600, day: 86_400, week: 604_800 } as const;
const maxBuckets = 10_000;

const dimension = z.string().min(1).max(100);
const instant = z.iso.datetime({ offset: true, abort: true }).transform((s) => new Date(s));

export const backlogQuerySchema = z
  .object({
    tenant: dimension.optional(),
    region: dimension.optional(),
    customer: dimension.optional(),
    team: dimension.optional(),
    priority: prioritySchema.optional(),
    from: instant,
    to: instant,
    interval: z.enum(['hour', 'day', 'week']).default('hour'),
  })
  .refine((q) => q.from < q.to, { path: ['to'], message: 'must be after from' })
  .refine((q) => (q.to.getTime() - q.from.getTime()) / 1000 / intervalSeconds[q.interval] <= maxBuckets, {
    path: ['interval'],
    message: `the range holds more than ${maxBuckets} buckets of this interval`,
  });

const pointSchema = z.object({
  start: z.string(),
  end: z.string(),
  backlog: z.number().int(),
  inflow: z.number().int(),
  outflow: z.number().int(),
});

const backlogResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  interval: z.enum(['hour', 'day', 'week']),
  series: z.array(z.object({ region: z.string(), points: z.array(pointSchema) })),
});

// backlog-by-slice.sql names the group `slice`; grouped by region it is backlog.sql's answer.
const rowSchema = z.object({
  region: z.string().optional(),
  slice: z.string().optional(),
  bucket_start: z.string(),
  bucket_end: z.string(),
  backlog: z.coerce.number(),
  inflow: z.coerce.number(),
  outflow: z.coerce.number(),
});

const clickHouseTimeToIso = (s: string) => `${s.replace(' ', 'T')}Z`;

/** The buckets' edges: `from`, every `stepMs` after it before `to`, and `to`. */
export function bucketEdges(from: Date, to: Date, stepMs: number): Date[] {
  const edges: Date[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += stepMs) edges.push(new Date(t));
  edges.push(to);
  return edges;
}

export const backlogRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch, rollups }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/metrics/backlog',
    {
      schema: {
        summary: 'Backlog per region over time',
        description:
          'Open tickets at the end of each bucket (created or reopened before it and not resolved, closed or cancelled), with the inflow and outflow of the bucket. Buckets start at `from`. `customer`, `team` and `priority` narrow the tickets to that slice (a move into or out of it then shows as a change of backlog without inflow or outflow).',
        querystring: backlogQuerySchema,
        response: { 200: backlogResponseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const sliced = q.customer !== undefined || q.team !== undefined || q.priority !== undefined;
      const params = {
        tenant: q.tenant ?? '',
        region: q.region ?? '',
        from: toClickHouseTime(q.from),
        to: toClickHouseTime(q.to),
        step_seconds: intervalSeconds[q.interval],
      };
      // Both backlog rollups keep the instants of their changes and flows within each hour, so the
      // buckets may start and end anywhere (backlog-instants-rollup.sql). The region rollup has no
      // customer, team or priority: a slice reads backlog_hourly, under its own watermarks.
      const wm = await rollups.watermarks();
      const slice = { customer: q.customer ?? '', team: q.team ?? '', priority: q.priority ?? '' };
      const sliceWm = sliced ? backlogParams(wm, q) : null;
      const rollup = sliced
        ? sliceWm && { wm_tenants: sliceWm.bwm_tenants, wm_until: sliceWm.bwm_until }
        : rollupParams(wm, q);
      reply.header('x-baton-source', rollup ? 'rollup' : 'live');
      const query = rollup ? 'backlog-instants-rollup' : sliced ? 'backlog-by-slice' : 'backlog';
      const split = splitParams(bucketEdges(q.from, q.to, intervalSeconds[q.interval] * 1000));
      const queryParams = rollup
        ? {
            ...params,
            ...slice,
            ...rollup,
            ...split.params,
            source: sliced ? tables.backlogHourly : tables.backlogRegionHourly,
          }
        : { ...params, ...(sliced ? { ...slice, group_by: 'region' } : {}) };
      const rs = await ch.query({
        query: readQuery(query, rollup ? { omit: split.omit } : {}),
        format: 'JSONEachRow',
        query_params: queryParams,
      });
      const rows = z.array(rowSchema).parse(await rs.json());
      const byRegion = new Map<string, z.infer<typeof pointSchema>[]>();
      for (const r of rows) {
        const region = r.region ?? r.slice ?? '';
        const points = byRegion.get(region) ?? [];
        points.push({
          start: clickHouseTimeToIso(r.bucket_start),
          end: clickHouseTimeToIso(r.bucket_end),
          backlog: r.backlog,
          inflow: r.inflow,
          outflow: r.outflow,
        });
        byRegion.set(region, points);
      }
      return {
        from: q.from.toISOString(),
        to: q.to.toISOString(),
        interval: q.interval,
        series: [...byRegion].map(([region, points]) => ({ region, points })),
      };
    },
  );
};
