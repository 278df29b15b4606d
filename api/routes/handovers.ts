import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { RouteOptions } from '../app.js';
import { rollupParams, splitParams } from '../rollups.js';
import { checkRange, instant, queryRows, rangeFields, scopeFields } from './shared.js';

const querySchema = z
  .object({
    ...scopeFields,
    ...rangeFields,
    asOf: instant
      .optional()
      .describe('Instant at which pending handovers are counted and aged (default: now)'),
  })
  .superRefine(checkRange);

const nullableNumber = z.number().nullable();

const pairSchema = z.object({
  fromRegion: z.string(),
  toRegion: z.string(),
  crossRegion: z.boolean(),
  handovers: z.number().int().describe('Handovers made in [from, to)'),
  pingPong: z.number().int().describe('Of those, handovers back to a team that held the ticket before'),
  pickedUp: z.number().int(),
  handedOn: z.number().int().describe('Reassigned before the receiving team acted'),
  ended: z.number().int().describe('Closed or cancelled before the receiving team acted'),
  pickupWallP50Seconds: nullableNumber,
  pickupWallP90Seconds: nullableNumber,
  pickupBusinessP50Seconds: nullableNumber.describe("In the receiving region's business calendar"),
  pickupBusinessP90Seconds: nullableNumber,
  seamIdleSeconds: z.number().describe('Pickup wall time outside the receiving region’s working hours'),
  pickupWallSeconds: z.number(),
  pending: z.number().int().describe('Handovers waiting for a pickup at asOf, whenever made'),
  pendingOldestAgeSeconds: nullableNumber,
  pendingMeanAgeSeconds: nullableNumber,
});

const responseSchema = z.object({
  from: z.string(),
  to: z.string(),
  asOf: z.string(),
  totals: z.object({
    handovers: z.number().int(),
    crossRegion: z.number().int(),
    pingPong: z.number().int(),
    pickedUp: z.number().int(),
    seamIdleSeconds: z.number(),
    pending: z.number().int(),
    pendingOldestAgeSeconds: nullableNumber,
  }),
  pairs: z.array(pairSchema),
});

const rowSchema = z.object({
  from_region: z.string(),
  to_region: z.string(),
  cross_region: z.number(),
  handovers: z.number(),
  ping_pong: z.number(),
  picked_up: z.number(),
  handed_on: z.number(),
  ended: z.number(),
  wall_p50_seconds: nullableNumber,
  wall_p90_seconds: nullableNumber,
  business_p50_seconds: nullableNumber,
  business_p90_seconds: nullableNumber,
  seam_idle_seconds: z.number(),
  wall_seconds: z.number(),
  pending: z.number(),
  pending_oldest_age_seconds: nullableNumber,
  pending_mean_age_seconds: nullableNumber,
});

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export const handoverRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch, rollups }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/metrics/handovers',
    {
      schema: {
        summary: 'Handovers and pickup latency per region pair',
        description:
          'Per (from region -> to region): the handovers (changes of owning team after the first assignment) made in [from, to), cross-region and ping-pong counts, how each wait ended, pickup latency p50/p90 in wall seconds and in business seconds of the receiving region (exact, interpolated between ranks) over the picked-up ones, seam idle (the latency outside the receiving region’s hours), and the handovers pending at `asOf` with their oldest and mean age. `region` keeps pairs with that region on either side.',
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const asOf = q.asOf ?? new Date();
      const params = {
        tenant: q.tenant ?? '',
        region: q.region ?? '',
        from: toClickHouseTime(q.from),
        to: toClickHouseTime(q.to),
        as_of: toClickHouseTime(asOf),
      };
      // The rollup keeps each handover's instant within its hour: the range may start and end
      // inside one. Pending handovers come from the open tickets, and at an explicit asOf also
      // from the tickets changed since (section `as-of`).
      const rollup = rollupParams(await rollups.watermarks(), q);
      reply.header('x-baton-source', rollup ? 'rollup' : 'live');
      const split = splitParams([q.from, q.to]);
      const rows = rollup
        ? await queryRows(ch, 'handovers-rollup', { ...params, ...rollup, ...split.params }, rowSchema, {
            omit: [...split.omit, ...(q.asOf === undefined ? ['as-of'] : [])],
          })
        : await queryRows(ch, 'handovers', params, rowSchema);
      const oldest = rows.flatMap((r) =>
        r.pending_oldest_age_seconds === null ? [] : [r.pending_oldest_age_seconds],
      );
      return {
        from: q.from.toISOString(),
        to: q.to.toISOString(),
        asOf: asOf.toISOString(),
        totals: {
          handovers: sum(rows.map((r) => r.handovers)),
          crossRegion: sum(rows.filter((r) => r.cross_region === 1).map((r) => r.handovers)),
          pingPong: sum(rows.map((r) => r.ping_pong)),
          pickedUp: sum(rows.map((r) => r.picked_up)),
          seamIdleSeconds: sum(rows.map((r) => r.seam_idle_seconds)),
          pending: sum(rows.map((r) => r.pending)),
          pendingOldestAgeSeconds: oldest.length === 0 ? null : Math.max(...oldest),
        },
        pairs: rows.map((r) => ({
          fromRegion: r.from_region,
          toRegion: r.to_region,
          crossRegion: r.cross_region === 1,
          handovers: r.handovers,
          pingPong: r.ping_pong,
          pickedUp: r.picked_up,
          handedOn: r.handed_on,
          ended: r.ended,
          pickupWallP50Seconds: r.wall_p50_seconds,
          pickupWallP90Seconds: r.wall_p90_seconds,
          pickupBusinessP50Seconds: r.business_p50_seconds,
          pickupBusinessP90Seconds: r.business_p90_seconds,
          seamIdleSeconds: r.seam_idle_seconds,
          pickupWallSeconds: r.wall_seconds,
          pending: r.pending,
          pendingOldestAgeSeconds: r.pending_oldest_age_seconds,
          pendingMeanAgeSeconds: r.pending_mean_age_seconds,
        })),
      };
    },
  );
};
