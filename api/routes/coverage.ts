import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ianaZone } from '../../core/calendar.js';
import { readCalendarsFile, regionZones } from '../../core/calendar-file.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { tables } from '../../core/tables.js';
import type { RouteOptions } from '../app.js';
import { rollupParams, splitHours } from '../rollups.js';
import { dimension, instant, isoOrNull, queryRows, rangeFields, scopeFields } from './shared.js';

// Coverage gap, update staleness and specialist concentration (docs/metrics.md).

const QUARTER_MS = 900_000;
/** A year of hours of week per region is plenty; longer windows only cost scan time. */
const maxCoverageDays = 366;

export const coverageQuerySchema = z
  .object({
    ...scopeFields,
    ...rangeFields,
    tz: ianaZone
      .optional()
      .describe("Read hours of week in this IANA zone (default: each region's calendar zone)"),
    maxInflowPerHead: z.coerce
      .number()
      .positive()
      .max(1_000_000)
      .default(4)
      .describe('Inflow per on-shift head per hour above which an hour is flagged overloaded'),
  })
  .refine((q) => q.from.getTime() % QUARTER_MS === 0, {
    path: ['from'],
    message: 'must be on a quarter hour (e.g. 2026-03-23T00:00:00Z)',
  })
  .refine((q) => q.to.getTime() % QUARTER_MS === 0, {
    path: ['to'],
    message: 'must be on a quarter hour (e.g. 2026-03-30T00:00:00Z)',
  })
  .refine((q) => q.from < q.to, { path: ['to'], message: 'must be after from' })
  .refine((q) => q.to.getTime() - q.from.getTime() <= maxCoverageDays * 86_400_000, {
    path: ['to'],
    message: `the range is longer than ${maxCoverageDays} days`,
  });

const coverageHourSchema = z.object({
  hourOfWeek: z.number().int(),
  weekday: z.number().int(),
  hour: z.number().int(),
  hours: z.number(),
  inflow: z.number().int(),
  avgInflow: z.number(),
  avgOnShift: z.number(),
  agents: z.number().int(),
  inflowPerHead: z.number().nullable(),
  gap: z.enum(['', 'uncovered', 'overloaded']),
});

const coverageResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  maxInflowPerHead: z.number(),
  regions: z.array(
    z.object({ region: z.string(), timeZone: z.string(), hours: z.array(coverageHourSchema) }),
  ),
});

const coverageRowSchema = z.object({
  region: z.string(),
  hour_of_week: z.coerce.number(),
  weekday: z.coerce.number(),
  hour: z.coerce.number(),
  hours: z.coerce.number(),
  inflow: z.coerce.number(),
  avg_inflow: z.coerce.number(),
  avg_on_shift: z.coerce.number(),
  agents: z.coerce.number(),
  inflow_per_head: z.coerce.number().nullable(),
  gap: z.enum(['', 'uncovered', 'overloaded']),
});

export const stalenessQuerySchema = z.object({
  ...scopeFields,
  team: dimension.optional().describe('Only this owning team (all when absent)'),
  asOf: instant.optional().describe('The instant staleness is judged at (default now)'),
});

const stalenessGroupSchema = z.object({
  region: z.string(),
  team: z.string(),
  openTickets: z.number().int(),
  stale: z.number().int(),
  paused: z.number().int(),
  oldestUpdateAt: z.string().nullable(),
  oldestTicketId: z.string().nullable(),
  oldestAgeSeconds: z.number().nullable(),
  maxOverdueSeconds: z.number().nullable(),
});

const stalenessResponseSchema = z.object({
  asOf: z.string(),
  openTickets: z.number().int(),
  stale: z.number().int(),
  groups: z.array(stalenessGroupSchema),
});

const stalenessRowSchema = z.object({
  region: z.string(),
  team: z.string(),
  open_tickets: z.coerce.number(),
  stale: z.coerce.number(),
  paused: z.coerce.number(),
  oldest_update_at: z.string().nullable(),
  oldest_ticket_id: z.string().nullable(),
  oldest_age_seconds: z.coerce.number().nullable(),
  max_overdue_seconds: z.coerce.number().nullable(),
});

export const specialistsQuerySchema = z
  .object({ ...scopeFields, ...rangeFields })
  .refine((q) => q.from < q.to, { path: ['to'], message: 'must be after from' });

const specialistSchema = z.object({
  region: z.string(),
  category: z.string(),
  resolutions: z.number().int(),
  attributed: z.number().int(),
  agents: z.number().int(),
  topAgent: z.string().nullable(),
  topAgentResolutions: z.number().int(),
  topAgentShare: z.number().nullable(),
  flagged: z.boolean(),
});

const specialistsResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  rows: z.array(specialistSchema),
});

const specialistRowSchema = z.object({
  region: z.string(),
  category: z.string(),
  resolutions: z.coerce.number(),
  attributed: z.coerce.number(),
  agents: z.coerce.number(),
  top_agent: z.string().nullable(),
  top_agent_resolutions: z.coerce.number(),
  top_agent_share: z.coerce.number().nullable(),
  flagged: z.coerce.number(),
});

/** One coverage run: the regions to read in one zone. */
interface ZoneRun {
  tz: string;
  regions: string[];
  exclude: string[];
}

export const coverageRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch, config, rollups }) => {
  // Read once: a region's hours of week are its calendar's local hours.
  const zones = regionZones(readCalendarsFile(config.CALENDARS_FILE));
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/v1/metrics/coverage',
    {
      schema: {
        summary: 'Coverage gap: inflow against on-shift headcount by hour of week',
        description:
          "Per region and local hour of week (0 = Monday 00:00): how long that hour lasted in the range, the average inflow (created + reopened) per hour, the time-weighted average number of agents on shift, inflow per on-shift head, and a gap flag (`uncovered`: inflow with nobody on shift; `overloaded`: inflow per head above `maxInflowPerHead`). Hours are read in `tz` when given, otherwise in each region's calendar zone (CALENDARS_FILE; unmapped regions in the fallback calendar's zone). `from` and `to` must be on a quarter hour. The inflow is read from hourly rollups (header `x-baton-source: rollup`, else `live`); it is the same either way.",
        querystring: coverageQuerySchema,
        response: { 200: coverageResponseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      // The rollup has tenant and region, and the instants of each hour's inflow: any zone and any
      // quarter-hour range.
      const wm = rollupParams(await rollups.watermarks(), q);
      let runs: ZoneRun[];
      if (q.tz) runs = [{ tz: q.tz, regions: q.region ? [q.region] : [], exclude: [] }];
      else if (q.region) runs = [{ tz: zones.zoneOf(q.region), regions: [q.region], exclude: [] }];
      else {
        const mapped = [...zones.mappedByZone.values()].flat();
        runs = [...zones.mappedByZone].map(([tz, regions]) => ({ tz, regions: [...regions], exclude: [] }));
        // Regions nobody mapped: everything else, in the fallback zone.
        runs.push({ tz: zones.fallbackZone, regions: [], exclude: mapped });
      }
      const byRegion = new Map<string, { timeZone: string; hours: z.infer<typeof coverageHourSchema>[] }>();
      // One query per zone, all at once: each reads its own regions.
      const answers = await Promise.all(
        runs.map(async (run) => {
          const params = {
            tenant: q.tenant ?? '',
            regions: run.regions,
            exclude_regions: run.exclude,
            from: toClickHouseTime(q.from),
            to: toClickHouseTime(q.to),
            tz: run.tz,
            max_inflow_per_head: q.maxInflowPerHead,
          };
          const found = wm
            ? await queryRows(ch, 'coverage-rollup', { ...params, ...wm }, coverageRowSchema)
            : await queryRows(ch, 'coverage', params, coverageRowSchema);
          return { run, found };
        }),
      );
      for (const { run, found } of answers) {
        for (const r of found) {
          const entry = byRegion.get(r.region) ?? { timeZone: run.tz, hours: [] };
          entry.hours.push({
            hourOfWeek: r.hour_of_week,
            weekday: r.weekday,
            hour: r.hour,
            hours: r.hours,
            inflow: r.inflow,
            avgInflow: r.avg_inflow,
            avgOnShift: r.avg_on_shift,
            agents: r.agents,
            inflowPerHead: r.inflow_per_head,
            gap: r.gap,
          });
          byRegion.set(r.region, entry);
        }
      }
      reply.header('x-baton-source', wm ? 'rollup' : 'live');
      // A configured region with no tickets and no shifts in the range says nothing unless asked for.
      if (!q.region)
        for (const [region, v] of byRegion)
          if (v.hours.every((h) => h.inflow === 0 && h.agents === 0)) byRegion.delete(region);
      return {
        from: q.from.toISOString(),
        to: q.to.toISOString(),
        maxInflowPerHead: q.maxInflowPerHead,
        regions: [...byRegion]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([region, v]) => ({ region, ...v })),
      };
    },
  );

  typed.get(
    '/v1/metrics/staleness',
    {
      schema: {
        summary: 'Update staleness: open tickets without a public update within their interval',
        description:
          "Per current owning region and team: open tickets, those whose last public update (creation, reopen, status change or the provider's public comment) is older than the SLA policy's update interval in business hours at `asOf` (default now), those whose clock is paused (on hold for a pausing reason), and the oldest stale update with its ticket. The answer is read from the open tickets' copy (header `x-baton-source: rollup`, else `live`); it is the same either way.",
        querystring: stalenessQuerySchema,
        response: { 200: stalenessResponseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const asOf = q.asOf ?? new Date();
      // The open copy holds the tickets open now, which is what staleness counts at any asOf (a
      // ticket is judged as it is now: docs/metrics.md). The copy is kept by views, but a late
      // older evaluation can re-open a closed ticket in it until the rollup job's next pass: so
      // only while that job is current.
      const current = rollupParams(await rollups.watermarks(), q);
      reply.header('x-baton-source', current ? 'rollup' : 'live');
      const found = await queryRows(
        ch,
        'update-staleness',
        {
          source: current ? tables.ticketSlaOpen : tables.ticketSla,
          tenant: q.tenant ?? '',
          region: q.region ?? '',
          team: q.team ?? '',
          as_of: toClickHouseTime(asOf),
        },
        stalenessRowSchema,
      );
      const groups = found.map((r) => ({
        region: r.region,
        team: r.team,
        openTickets: r.open_tickets,
        stale: r.stale,
        paused: r.paused,
        oldestUpdateAt: isoOrNull(r.oldest_update_at),
        oldestTicketId: r.oldest_ticket_id,
        oldestAgeSeconds: r.oldest_age_seconds,
        maxOverdueSeconds: r.max_overdue_seconds,
      }));
      return {
        asOf: asOf.toISOString(),
        openTickets: groups.reduce((s, g) => s + g.openTickets, 0),
        stale: groups.reduce((s, g) => s + g.stale, 0),
        groups,
      };
    },
  );

  typed.get(
    '/v1/metrics/specialists',
    {
      schema: {
        summary: 'Specialist concentration: who resolves each category',
        description:
          'Per region (the owner at resolution) and category, over the tickets first resolved in [from, to): resolutions, those attributed to an agent, the number of agents who resolved the category, the busiest agent and its share of the attributed resolutions; flagged when one agent resolved more than half or fewer than two agents resolved any. The answer is read from hourly rollups (header `x-baton-source: rollup`, else `live`); it is the same either way.',
        querystring: specialistsQuerySchema,
        response: { 200: specialistsResponseSchema },
      },
    },
    async (req, reply) => {
      const q = req.query;
      // The rollup has tenant and region, the only filters, and each resolution's instant within
      // its hour: the range may start and end inside one.
      const wm = rollupParams(await rollups.watermarks(), q);
      reply.header('x-baton-source', wm ? 'rollup' : 'live');
      const params = {
        tenant: q.tenant ?? '',
        region: q.region ?? '',
        from: toClickHouseTime(q.from),
        to: toClickHouseTime(q.to),
      };
      const found = wm
        ? await queryRows(
            ch,
            'specialist-concentration-rollup',
            { ...params, ...wm, split_hours: splitHours([q.from, q.to]) },
            specialistRowSchema,
          )
        : await queryRows(ch, 'specialist-concentration', params, specialistRowSchema);
      return {
        from: q.from.toISOString(),
        to: q.to.toISOString(),
        rows: found.map((r) => ({
          region: r.region,
          category: r.category,
          resolutions: r.resolutions,
          attributed: r.attributed,
          agents: r.agents,
          topAgent: r.top_agent,
          topAgentResolutions: r.top_agent_resolutions,
          topAgentShare: r.top_agent_share,
          flagged: r.flagged === 1,
        })),
      };
    },
  );
};
