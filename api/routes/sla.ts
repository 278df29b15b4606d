import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { prioritySchema } from '../../core/events/ticket.js';
import type { RouteOptions } from '../app.js';
import { rollupParams, splitParams } from '../rollups.js';
import { checkRange, dimension, instant, isoOrNull, queryRows, rangeFields, scopeFields } from './shared.js';

// ---- /v1/metrics/sla ----------------------------------------------------------------------------

const summaryQuerySchema = z
  .object({
    ...scopeFields,
    team: dimension.optional().describe('Only this team: the owner at resolution, and its own consumption'),
    customer: dimension.optional(),
    priority: prioritySchema.optional(),
    ...rangeFields,
  })
  .superRefine(checkRange);

const outcomeCounts = {
  resolved: z.number().int().describe('Met + breached (cancelled tickets are neither)'),
  met: z.number().int(),
  breached: z.number().int(),
  breachRate: z.number().nullable().describe('breached / resolved; null when none resolved'),
  responseBreached: z.number().int(),
};

const summaryResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  totals: z.object(outcomeCounts),
  byRegionPriority: z.array(z.object({ region: z.string(), priority: z.string(), ...outcomeCounts })),
  consumptionByTeam: z.array(
    z.object({
      team: z.string().describe("'' = not yet assigned"),
      region: z.string(),
      tickets: z.number().int(),
      breachedTickets: z.number().int(),
      elapsedSeconds: z.number().describe('Business seconds of the resolution clock this team consumed'),
      pausedSeconds: z.number(),
    }),
  ),
});

const outcomeRow = z.object({
  region: z.string(),
  priority: z.string(),
  resolved: z.number(),
  met: z.number(),
  breached: z.number(),
  breach_rate: z.number(),
  response_breached: z.number(),
});

const consumptionRow = z.object({
  team: z.string(),
  region: z.string(),
  tickets: z.number(),
  breached_tickets: z.number(),
  elapsed_seconds: z.number(),
  paused_seconds: z.number(),
});

// ---- /v1/sla/at-risk ----------------------------------------------------------------------------

const riskLevels = ['none', 'watch', 'warning', 'critical', 'breached'] as const;

/** Orderings a caller may ask for; each ends on (tenant, ticket) so pages are stable. */
const sorts = {
  due_at: (a: AtRisk, b: AtRisk) =>
    (a.dueMs ?? Number.POSITIVE_INFINITY) - (b.dueMs ?? Number.POSITIVE_INFINITY),
  percent_consumed: (a: AtRisk, b: AtRisk) => b.percent_consumed - a.percent_consumed,
  remaining_seconds: (a: AtRisk, b: AtRisk) => a.remaining_seconds - b.remaining_seconds,
  risk: (a: AtRisk, b: AtRisk) =>
    riskLevels.indexOf(b.risk) - riskLevels.indexOf(a.risk) || sorts.due_at(a, b),
} as const;

const atRiskQuerySchema = z.object({
  ...scopeFields,
  team: dimension.optional().describe('Only tickets this team owns now'),
  customer: dimension.optional(),
  priority: prioritySchema.optional(),
  minLevel: z.enum(riskLevels).default('watch').describe('Lowest risk level listed'),
  sort: z
    .enum(Object.keys(sorts) as [keyof typeof sorts, ...(keyof typeof sorts)[]])
    .default('due_at')
    .describe(
      'due_at (soonest first), percent_consumed (highest first), remaining_seconds (least first), risk (worst first)',
    ),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  asOf: instant
    .optional()
    .describe('Instant whose preceding 28 days of resolutions predict breaches (default: now)'),
  minHistory: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(5)
    .describe('Fewest comparable resolved tickets needed for a prediction'),
});

const atRiskRow = z.object({
  tenant: z.string(),
  ticket_id: z.string(),
  customer: z.string(),
  region: z.string(),
  team: z.string(),
  priority: z.string(),
  policy_id: z.string(),
  risk: z.enum(riskLevels),
  due_at: z.string().nullable(),
  state: z.string(),
  percent_consumed: z.number(),
  remaining_seconds: z.number(),
  expected_remaining_seconds: z.number().nullable(),
  predicted_breach: z.number(),
  as_of: z.string(),
});
const atRiskPageRow = atRiskRow.extend({ total: z.coerce.number() });
type AtRisk = z.infer<typeof atRiskRow> & { dueMs: number | null };

const atRiskResponseSchema = z.object({
  total: z.number().int().describe('Tickets matching, before the limit'),
  tickets: z.array(
    z.object({
      tenant: z.string(),
      ticketId: z.string(),
      customer: z.string(),
      region: z.string(),
      team: z.string(),
      priority: z.string(),
      policyId: z.string(),
      risk: z.enum(riskLevels),
      dueAt: z.string().nullable().describe('When the clock that counts runs out (projected while open)'),
      state: z.string().describe('running | paused'),
      percentConsumed: z.number(),
      remainingSeconds: z.number().describe('Business seconds left on the resolution clock'),
      expectedRemainingSeconds: z.number().nullable(),
      predictedBreach: z.boolean(),
      evaluatedAt: z.string(),
    }),
  ),
});

export const slaRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch, rollups }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/v1/metrics/sla',
    {
      schema: {
        summary: 'SLA outcomes and consumption by team',
        description:
          'Over the tickets whose resolution clock stopped met or breached in [from, to): per region and priority of the owner at resolution, and in total, the resolved, met and breached counts, the breach rate and the responses breached; and per owning team the business seconds of the resolution clock it consumed and spent paused. `region` / `team` narrow the consumption to that region’s teams / that team. The answer is read from hourly rollups (header `x-baton-source: rollup`, else `live`); it is the same either way.',
        querystring: summaryQuerySchema,
        response: { 200: summaryResponseSchema },
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
        from: toClickHouseTime(q.from),
        to: toClickHouseTime(q.to),
      };
      // The rollups keep each stop's instant within its hour: the range may start and end inside one.
      const wm = rollupParams(await rollups.watermarks(), q);
      reply.header('x-baton-source', wm ? 'rollup' : 'live');
      const split = splitParams([q.from, q.to]);
      const sections = { omit: split.omit };
      const [outcomes, consumption] = await Promise.all(
        wm
          ? [
              queryRows(
                ch,
                'sla-outcomes-rollup',
                { ...params, ...wm, ...split.params },
                outcomeRow,
                sections,
              ),
              queryRows(
                ch,
                'sla-consumption-rollup',
                { ...params, ...wm, ...split.params },
                consumptionRow,
                sections,
              ),
            ]
          : [
              queryRows(ch, 'sla-outcomes', params, outcomeRow),
              queryRows(ch, 'sla-consumption', params, consumptionRow),
            ],
      );
      const total = (pick: (r: z.infer<typeof outcomeRow>) => number) =>
        outcomes.reduce((acc, r) => acc + pick(r), 0);
      const resolved = total((r) => r.resolved);
      const breached = total((r) => r.breached);
      return {
        from: q.from.toISOString(),
        to: q.to.toISOString(),
        totals: {
          resolved,
          met: total((r) => r.met),
          breached,
          breachRate: resolved === 0 ? null : breached / resolved,
          responseBreached: total((r) => r.response_breached),
        },
        byRegionPriority: outcomes.map((r) => ({
          region: r.region,
          priority: r.priority,
          resolved: r.resolved,
          met: r.met,
          breached: r.breached,
          breachRate: r.breach_rate,
          responseBreached: r.response_breached,
        })),
        consumptionByTeam: consumption.map((r) => ({
          team: r.team,
          region: r.region,
          tickets: r.tickets,
          breachedTickets: r.breached_tickets,
          elapsedSeconds: r.elapsed_seconds,
          pausedSeconds: r.paused_seconds,
        })),
      };
    },
  );

  api.get(
    '/v1/sla/at-risk',
    {
      schema: {
        summary: 'Open tickets at SLA risk',
        description:
          'Open tickets (resolution clock running or paused) at `minLevel` or worse: risk (watch ≥ 50 %, warning ≥ 75 %, critical ≥ 90 %, breached ≥ 100 % of the target consumed), due time, % consumed, remaining business seconds, and the predicted breach: remaining business time below the median extra time that comparable tickets (same tenant, team and priority, resolved in the 28 days before `asOf`, that ran longer than this one so far) took. Figures are as of each ticket’s latest evaluation (`evaluatedAt`); open tickets are re-evaluated periodically. The answer is read from the open tickets’ copy and hourly rollups of the resolved ones (header `x-baton-source: rollup`, else `live`); it is the same either way.',
        querystring: atRiskQuerySchema,
        response: { 200: atRiskResponseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const asOf = q.asOf ?? new Date();
      // The open copy holds the tickets open now, which is what the list shows at any asOf (asOf
      // moves only the window of resolutions). That window starts and may end inside an hour; the
      // rollup splits those hours by stop instant.
      const wm = rollupParams(await rollups.watermarks(), q);
      reply.header('x-baton-source', wm ? 'rollup' : 'live');
      const params = {
        tenant: q.tenant ?? '',
        region: q.region ?? '',
        team: q.team ?? '',
        priority: q.priority ?? '',
        min_level: q.minLevel,
        as_of: toClickHouseTime(asOf),
        min_history: q.minHistory,
      };
      // The rollup query filters by customer, orders and pages itself, up to the tie-break by
      // tenant and ticket: it returns the page and every ticket level with its last one, and the
      // number matching. The live one (also the alerts') returns every ticket matching the rest.
      const page = { customer: q.customer ?? '', sort: q.sort, limit: q.limit };
      const paged = wm
        ? await queryRows(ch, 'sla-at-risk-rollup', { ...params, ...page, ...wm }, atRiskPageRow)
        : null;
      const rows = paged ?? (await queryRows(ch, 'sla-at-risk', params, atRiskRow));
      const matching: AtRisk[] = rows
        .filter((r) => q.customer === undefined || r.customer === q.customer)
        .map((r) => ({ ...r, dueMs: r.due_at === null ? null : Date.parse(isoOrNull(r.due_at)!) }));
      const order = sorts[q.sort];
      matching.sort(
        (a, b) => order(a, b) || a.tenant.localeCompare(b.tenant) || a.ticket_id.localeCompare(b.ticket_id),
      );
      return {
        total: paged ? (paged[0]?.total ?? 0) : matching.length,
        tickets: matching.slice(0, q.limit).map((r) => ({
          tenant: r.tenant,
          ticketId: r.ticket_id,
          customer: r.customer,
          region: r.region,
          team: r.team,
          priority: r.priority,
          policyId: r.policy_id,
          risk: r.risk,
          dueAt: isoOrNull(r.due_at),
          state: r.state,
          percentConsumed: r.percent_consumed,
          remainingSeconds: r.remaining_seconds,
          expectedRemainingSeconds: r.expected_remaining_seconds,
          predictedBreach: r.predicted_breach === 1,
          evaluatedAt: isoOrNull(r.as_of)!,
        })),
      };
    },
  );
};
