import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { tables } from '../../core/tables.js';
import type { RouteOptions } from '../app.js';
import { backlogParams, rollupParams } from '../rollups.js';
import { dimension, instant, queryRows, scopeFields } from './shared.js';

const querySchema = z.object({
  ...scopeFields,
  team: dimension.optional().describe('Only this team: its tickets and its roster members'),
  at: instant.optional().describe('End of the window (default: now)'),
  window: z
    .enum(['7', '28'])
    .default('7')
    .describe('Window length in days: the design defines growth over 7 and 28 days'),
});

const nullableNumber = z.number().nullable();

const regionSchema = z.object({
  region: z.string(),
  backlogStart: z.number().int(),
  backlogEnd: z.number().int(),
  backlogGrowthPct: z.number().describe('(B(end) - B(start)) / max(B(start), 1), in %'),
  headcountStart: z.number(),
  headcountEnd: z.number(),
  headcountGrowthPct: nullableNumber.describe('In %; 0 when H is 0 at both ends, null when it rises from 0'),
  loadStart: nullableNumber.describe('B / H at the start, null when H = 0'),
  loadEnd: nullableNumber.describe('B / H at the end, null when H = 0'),
  gapPp: nullableNumber.describe('backlog growth - headcount growth, in percentage points'),
});

const responseSchema = z.object({
  windowStart: z.string(),
  windowEnd: z.string(),
  windowDays: z.number().int(),
  regions: z.array(regionSchema),
});

const rowSchema = z.object({
  region: z.string(),
  backlog_start: z.number(),
  backlog_end: z.number(),
  backlog_growth_pct: z.number(),
  headcount_start: z.number(),
  headcount_end: z.number(),
  headcount_growth_pct: nullableNumber,
  load_start: nullableNumber,
  load_end: nullableNumber,
  gap_pp: nullableNumber,
});

export const backlogHeadcountRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch, rollups }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/metrics/backlog-vs-headcount',
    {
      schema: {
        summary: 'Backlog growth against headcount growth per region',
        description:
          'Per region over the window of 7 or 28 days ending at `at`: backlog B and headcount H (FTE of active roster members) at the start and the end, the growth of each, the load B / H, and the gap = backlog growth - headcount growth in percentage points. A positive gap means the backlog outpaces the people working it. B and H at an instant are the state once every event before it happened. The answer is read from hourly rollups (header `x-baton-source: rollup`, else `live`); it is the same either way.',
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const at = q.at ?? new Date();
      const windowDays = Number(q.window);
      const start = new Date(at.getTime() - windowDays * 86_400_000);
      // B(start) and B(end) from the rollups at any instant (they keep the instants of each hour's
      // changes) whenever they are usable at all, the default `at` (now) included; with a team from
      // the per-slice backlog_hourly under its own watermarks.
      const wm = await rollups.watermarks();
      const teamWm = q.team === undefined ? null : backlogParams(wm, q);
      const watermarks =
        q.team === undefined
          ? rollupParams(wm, q)
          : teamWm && { wm_tenants: teamWm.bwm_tenants, wm_until: teamWm.bwm_until };
      reply.header('x-baton-source', watermarks ? 'rollup' : 'live');
      const params = {
        tenant: q.tenant ?? '',
        region: q.region ?? '',
        team: q.team ?? '',
        at: toClickHouseTime(at),
        window_days: windowDays,
      };
      const source = q.team === undefined ? tables.backlogRegionHourly : tables.backlogHourly;
      const rows = watermarks
        ? await queryRows(ch, 'backlog-vs-headcount-rollup', { ...params, ...watermarks, source }, rowSchema)
        : await queryRows(ch, 'backlog-vs-headcount', params, rowSchema);
      return {
        windowStart: start.toISOString(),
        windowEnd: at.toISOString(),
        windowDays,
        regions: rows.map((r) => ({
          region: r.region,
          backlogStart: r.backlog_start,
          backlogEnd: r.backlog_end,
          backlogGrowthPct: r.backlog_growth_pct,
          headcountStart: r.headcount_start,
          headcountEnd: r.headcount_end,
          headcountGrowthPct: r.headcount_growth_pct,
          loadStart: r.load_start,
          loadEnd: r.load_end,
          gapPp: r.gap_pp,
        })),
      };
    },
  );
};
