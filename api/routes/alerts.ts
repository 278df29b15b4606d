import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toClickHouseTime } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import type { RouteOptions } from '../app.js';

const dimension = z.string().min(1).max(100);
const instant = z.iso.datetime({ offset: true, abort: true }).transform((s) => new Date(s));
const states = ['pending', 'firing', 'resolved', 'inactive'] as const;

export const alertsQuerySchema = z
  .object({
    tenant: dimension.optional(),
    region: dimension.optional(),
    state: z.enum(states).optional(),
    rule: dimension.optional(),
    /** Episodes still active at or after `from` (not resolved before it). */
    from: instant.optional(),
    /** Episodes started before `to`. */
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be after from' });

const figure = z.union([z.number(), z.string(), z.null()]);
const figures = z.record(z.string(), figure);

const alertSchema = z.object({
  fingerprint: z.string(),
  rule: z.string(),
  kind: z.string(),
  severity: z.string(),
  state: z.enum(states),
  tenant: z.string(),
  region: z.string(),
  labels: z.record(z.string(), z.string()),
  startedAt: z.string(),
  firedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  lastTransitionAt: z.string(),
  value: z.number().nullable(),
  threshold: z.number(),
  summary: z.string(),
  /** The figures when it fired (null if it never did) and at its latest transition. */
  firingNumbers: figures.nullable(),
  numbers: figures,
  transitions: z.number().int(),
});

const alertsResponseSchema = z.object({ alerts: z.array(alertSchema) });

const rowSchema = z.object({
  fingerprint: z.string(),
  rule_id: z.string(),
  kind: z.string(),
  severity: z.string(),
  state: z.enum(states),
  tenant: z.string(),
  region: z.string(),
  labels: z.record(z.string(), z.string()),
  started_at: z.string(),
  fired_at: z.string().nullable(),
  resolved_at: z.string().nullable(),
  last_transition_at: z.string(),
  value: z.number().nullable(),
  threshold: z.number(),
  summary: z.string(),
  firing_numbers: z.string(),
  numbers: z.string(),
  transitions: z.coerce.number(),
});

const iso = (s: string) => `${s.replace(' ', 'T')}Z`;
const parseFigures = (s: string) => (s === '' ? null : figures.parse(JSON.parse(s)));
// Bounds wide enough for any stored alert when the caller gives none.
const EARLIEST = new Date('1970-01-01T00:00:00Z');
const LATEST = new Date('2200-01-01T00:00:00Z');

export const alertRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/alerts',
    {
      schema: {
        summary: 'Alerts and their history',
        description:
          'One entry per alert episode (an alert of a rule and group — tenant, region, source — from its first pending evaluation to its resolution), newest first, with its current state and the figures that made it fire and that it last saw.',
        querystring: alertsQuerySchema,
        response: { 200: alertsResponseSchema },
      },
    },
    async (req) => {
      const q = req.query;
      const rs = await ch.query({
        query: readQuery('alerts'),
        format: 'JSONEachRow',
        query_params: {
          state: q.state ?? '',
          rule: q.rule ?? '',
          tenant: q.tenant ?? '',
          region: q.region ?? '',
          from: toClickHouseTime(q.from ?? EARLIEST),
          to: toClickHouseTime(q.to ?? LATEST),
          limit: q.limit,
        },
      });
      const rows = z.array(rowSchema).parse(await rs.json());
      return {
        alerts: rows.map((r) => ({
          fingerprint: r.fingerprint,
          rule: r.rule_id,
          kind: r.kind,
          severity: r.severity,
          state: r.state,
          tenant: r.tenant,
          region: r.region,
          labels: r.labels,
          startedAt: iso(r.started_at),
          firedAt: r.fired_at === null ? null : iso(r.fired_at),
          resolvedAt: r.resolved_at === null ? null : iso(r.resolved_at),
          lastTransitionAt: iso(r.last_transition_at),
          value: r.value,
          threshold: r.threshold,
          summary: r.summary,
          firingNumbers: parseFigures(r.firing_numbers),
          numbers: parseFigures(r.numbers) ?? {},
          transitions: r.transitions,
        })),
      };
    },
  );
};
