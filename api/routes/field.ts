import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { RouteOptions } from '../app.js';
import { rollupParams, splitParams } from '../rollups.js';
import { checkRange, dimension, queryRows, rangeFields, scopeFields } from './shared.js';

const querySchema = z
  .object({ ...scopeFields, customer: dimension.optional(), ...rangeFields })
  .superRefine(checkRange);

const n = z.number().nullable();

const regionSchema = z.object({
  region: z.string(),
  jobs: z.number().int().describe('Jobs completed in [from, to)'),
  dispatchLatencyP50Seconds: n.describe('Created -> first dispatch'),
  dispatchLatencyP90Seconds: n,
  arrivalP50Seconds: n.describe('First dispatch -> first on site'),
  arrivalP90Seconds: n,
  accessDelayTotalSeconds: z.number(),
  accessDelayedShare: z.number().describe('Share of the jobs with an access delay'),
  partsDelayP50Seconds: n.describe('Over the jobs that awaited parts'),
  jobsWithParts: z.number().int(),
  latePartsRate: n.describe('Among the jobs that involved parts'),
  faultyOnArrivalRate: n.describe('Among the jobs that involved parts'),
  firstTimeFixRate: z.number(),
  revisitRate: z.number(),
  plannedVsActualRatio: n.describe('Mean of actual / planned duration over the jobs with a planned window'),
  scopeChangeRate: z.number(),
});

const responseSchema = z.object({ from: z.string(), to: z.string(), regions: z.array(regionSchema) });

const rowSchema = z.object({
  region: z.string(),
  jobs: z.number(),
  dispatch_latency_p50_seconds: n,
  dispatch_latency_p90_seconds: n,
  arrival_p50_seconds: n,
  arrival_p90_seconds: n,
  access_delay_total_seconds: z.number(),
  access_delayed_share: z.number(),
  parts_delay_p50_seconds: n,
  jobs_with_parts: z.number(),
  late_parts_rate: n,
  faulty_on_arrival_rate: n,
  first_time_fix_rate: z.number(),
  revisit_rate: z.number(),
  planned_vs_actual_ratio: n,
  scope_change_rate: z.number(),
});

export const fieldRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch, rollups }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/metrics/field',
    {
      schema: {
        summary: 'Field execution per region',
        description:
          'Over the field jobs completed in [from, to), per region: dispatch latency and arrival p50/p90 (exact, interpolated between ranks), access delay, parts delay, late-parts and faulty-on-arrival rates among jobs that involved parts, first-time-fix, revisit and scope-change rates, and planned vs actual duration. Cancelled and open jobs are not counted; a rate or percentile with nothing to count is null. The answer is read from hourly rollups (header `x-baton-source: rollup`, else `live`); it is the same either way.',
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      // The rollup has tenant, region and customer: every filter; it keeps each job's completion
      // instant within its hour, so the range may start and end inside one.
      const wm = rollupParams(await rollups.watermarks(), q);
      reply.header('x-baton-source', wm ? 'rollup' : 'live');
      const split = splitParams([q.from, q.to]);
      const params = {
        tenant: q.tenant ?? '',
        region: q.region ?? '',
        customer: q.customer ?? '',
        from: toClickHouseTime(q.from),
        to: toClickHouseTime(q.to),
      };
      const rows = wm
        ? await queryRows(ch, 'field-summary-rollup', { ...params, ...wm, ...split.params }, rowSchema, {
            omit: split.omit,
          })
        : await queryRows(ch, 'field-summary', params, rowSchema);
      return {
        from: q.from.toISOString(),
        to: q.to.toISOString(),
        regions: rows.map((r) => ({
          region: r.region,
          jobs: r.jobs,
          dispatchLatencyP50Seconds: r.dispatch_latency_p50_seconds,
          dispatchLatencyP90Seconds: r.dispatch_latency_p90_seconds,
          arrivalP50Seconds: r.arrival_p50_seconds,
          arrivalP90Seconds: r.arrival_p90_seconds,
          accessDelayTotalSeconds: r.access_delay_total_seconds,
          accessDelayedShare: r.access_delayed_share,
          partsDelayP50Seconds: r.parts_delay_p50_seconds,
          jobsWithParts: r.jobs_with_parts,
          latePartsRate: r.late_parts_rate,
          faultyOnArrivalRate: r.faulty_on_arrival_rate,
          firstTimeFixRate: r.first_time_fix_rate,
          revisitRate: r.revisit_rate,
          plannedVsActualRatio: r.planned_vs_actual_ratio,
          scopeChangeRate: r.scope_change_rate,
        })),
      };
    },
  );
};
