import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { prioritySchema } from '../../core/events/ticket.js';
import type { RouteOptions } from '../app.js';
import { rollupParams, splitParams } from '../rollups.js';
import {
  checkRange,
  dimension,
  periodEdges,
  periodIntervals,
  queryRows,
  rangeFields,
  scopeFields,
  timeZone,
} from './shared.js';

const maxPeriods = 1_000;

const querySchema = z
  .object({
    ...scopeFields,
    team: dimension.optional().describe('Only tickets this team resolved'),
    customer: dimension.optional(),
    priority: prioritySchema.optional(),
    ...rangeFields,
    interval: z.enum(periodIntervals).default('day'),
    tz: timeZone.describe(
      'IANA time zone whose local hours, days, weeks (Monday) and months bound the periods',
    ),
  })
  .superRefine(checkRange)
  .transform((q, ctx) => {
    const edges = periodEdges(q.from, q.to, q.interval, q.tz, maxPeriods);
    if (edges === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: `the range holds more than ${maxPeriods} periods of this interval`,
      });
      return z.NEVER;
    }
    return { ...q, edges };
  });

const nullableRate = z.number().nullable();

const periodSchema = z.object({
  start: z.string(),
  end: z.string(),
  resolved: z.number().int().describe('Tickets first resolved in the period'),
  escalatedTickets: z.number().int(),
  escalationRate: nullableRate.describe('escalated at least once / resolved; null when none resolved'),
  reopenedTickets: z.number().int(),
  reopenRate: nullableRate,
  firstTeamTickets: z.number().int(),
  firstTeamRate: nullableRate,
  escalationsByKind: z.object({
    tier: z.number().int(),
    functional: z.number().int(),
    management: z.number().int(),
  }),
});

const responseSchema = z.object({
  from: z.string(),
  to: z.string(),
  interval: z.enum(periodIntervals),
  tz: z.string(),
  periods: z.array(periodSchema),
});

const rowSchema = z.object({
  bucket: z.number().int(),
  resolved: z.number(),
  escalated_tickets: z.number(),
  reopened_tickets: z.number(),
  first_team_tickets: z.number(),
  tier_escalations: z.number(),
  functional_escalations: z.number(),
  management_escalations: z.number(),
});

export const escalationRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch, rollups }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/metrics/escalations',
    {
      schema: {
        summary: 'Escalation rate per period',
        description:
          'Per period of `interval` in the time zone `tz`: tickets first resolved in it, the escalation rate = those escalated at least once (a move to a higher tier, or an explicit functional or management escalation) / those resolved, the reopen and resolved-by-first-team rates, and the escalations of those tickets by kind. Periods start at local boundaries; a range that does not start on one gets a shorter first period. Region and team are the owner at resolution; priority is the current one.',
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const params = {
        tenant: q.tenant ?? '',
        region: q.region ?? '',
        team: q.team ?? '',
        customer: q.customer ?? '',
        priority: q.priority ?? '',
        edges: q.edges.map((e) => toClickHouseTime(e)),
      };
      // The rollup keeps each resolution's instant within its hour: the edges may be anywhere (a
      // range from now - 24 h, the days of a zone 30 minutes off UTC).
      const rollup = rollupParams(await rollups.watermarks(), q);
      reply.header('x-baton-source', rollup ? 'rollup' : 'live');
      const split = splitParams(q.edges);
      const rows = rollup
        ? await queryRows(
            ch,
            'escalations-by-period-rollup',
            { ...params, ...rollup, ...split.params },
            rowSchema,
            {
              omit: split.omit,
            },
          )
        : await queryRows(ch, 'escalations-by-period', params, rowSchema);
      const byBucket = new Map(rows.map((r) => [r.bucket, r]));
      const rate = (n: number, d: number) => (d === 0 ? null : n / d);
      return {
        from: q.from.toISOString(),
        to: q.to.toISOString(),
        interval: q.interval,
        tz: q.tz,
        periods: q.edges.slice(0, -1).map((start, i) => {
          const r = byBucket.get(i);
          const resolved = r?.resolved ?? 0;
          return {
            start: start.toISOString(),
            end: q.edges[i + 1]!.toISOString(),
            resolved,
            escalatedTickets: r?.escalated_tickets ?? 0,
            escalationRate: rate(r?.escalated_tickets ?? 0, resolved),
            reopenedTickets: r?.reopened_tickets ?? 0,
            reopenRate: rate(r?.reopened_tickets ?? 0, resolved),
            firstTeamTickets: r?.first_team_tickets ?? 0,
            firstTeamRate: rate(r?.first_team_tickets ?? 0, resolved),
            escalationsByKind: {
              tier: r?.tier_escalations ?? 0,
              functional: r?.functional_escalations ?? 0,
              management: r?.management_escalations ?? 0,
            },
          };
        }),
      };
    },
  );
};
