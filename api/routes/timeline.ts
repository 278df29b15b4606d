import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteOptions } from '../app.js';
import { errorSchema, isoFromClickHouse, isoOrNull, queryRows, scopeFields } from './shared.js';

const maxEvents = 5_000;

const paramsSchema = z.object({ id: z.string().min(1).max(200).describe('The ticket id') });
const querySchema = z.object({ ...scopeFields });

const str = z.string();
const nstr = z.string().nullable();
const nnum = z.number().nullable();

const factsRow = z.object({
  tenant: str,
  ticket_id: str,
  created_at: str,
  customer: str,
  priority: str,
  created_region: str,
  team: str,
  region: str,
  tier: str,
  max_tier: str,
  responded_at: nstr,
  response_kind: str,
  resolved_at: nstr,
  closed_at: nstr,
  cancelled_at: nstr,
  is_open: z.number(),
  reopens: z.number(),
  handovers: z.number(),
  cross_region_handovers: z.number(),
  ping_pong_handovers: z.number(),
  escalations: z.number(),
  ho_at: z.array(str),
  ho_from_team: z.array(str),
  ho_from_region: z.array(str),
  ho_to_team: z.array(str),
  ho_to_region: z.array(str),
  ho_cross_region: z.array(z.number()),
  ho_ping_pong: z.array(z.number()),
  ho_outcome: z.array(str),
  ho_picked_at: z.array(nstr),
  ho_pickup_kind: z.array(str),
  ho_until: z.array(nstr),
  ho_calendar: z.array(str),
  ho_wall_seconds: z.array(nnum),
  ho_business_seconds: z.array(nnum),
  ho_seam_idle_seconds: z.array(nnum),
  es_at: z.array(str),
  es_kind: z.array(str),
  es_from_tier: z.array(str),
  es_to_tier: z.array(str),
  es_source: z.array(str),
});

const segmentRow = z.object({
  customer: str,
  region: str,
  team: str,
  priority: str,
  opened_at: str,
  open_kind: str,
  closed_at: nstr,
  close_kind: str,
});

const slaRow = z.object({
  policy_id: str,
  calendar: str,
  as_of: str,
  risk: str,
  due_at: nstr,
  res_target_seconds: z.number(),
  res_elapsed_seconds: z.number(),
  res_paused_seconds: z.number(),
  res_remaining_seconds: z.number(),
  res_percent: z.number(),
  res_state: str,
  res_outcome: str,
  res_risk: str,
  res_due_at: nstr,
  res_breached_at: nstr,
  res_stopped_at: nstr,
  resp_target_seconds: z.number(),
  resp_elapsed_seconds: z.number(),
  resp_paused_seconds: z.number(),
  resp_remaining_seconds: z.number(),
  resp_percent: z.number(),
  resp_state: str,
  resp_outcome: str,
  resp_risk: str,
  resp_due_at: nstr,
  resp_breached_at: nstr,
  team_name: z.array(str),
  team_region: z.array(str),
  team_elapsed_seconds: z.array(z.number()),
  team_paused_seconds: z.array(z.number()),
});

const eventRow = z.object({
  event_id: str,
  type: str,
  source: str,
  occurred_at: str,
  received_at: str,
  payload: str,
});

// Fields every event carries: shown once at the top of each timeline entry, not in its details.
const envelopeFields = new Set([
  'eventId',
  'schemaVersion',
  'source',
  'tenant',
  'ticketId',
  'type',
  'occurredAt',
  'receivedAt',
]);

const clockSchema = z.object({
  targetSeconds: z.number(),
  elapsedSeconds: z.number(),
  pausedSeconds: z.number(),
  remainingSeconds: z.number(),
  percentConsumed: z.number(),
  state: str.describe('running | paused | stopped'),
  outcome: str.describe('pending | met | breached | cancelled'),
  risk: str,
  dueAt: nstr,
  breachedAt: nstr,
});

const responseSchema = z.object({
  ticket: z.object({
    tenant: str,
    ticketId: str,
    createdAt: str,
    customer: str,
    priority: str,
    createdRegion: str,
    team: str.describe('Current owner'),
    region: str,
    tier: str,
    maxTier: str,
    open: z.boolean(),
    respondedAt: nstr,
    responseKind: str,
    resolvedAt: nstr.describe('First resolution'),
    closedAt: nstr,
    cancelledAt: nstr,
    reopens: z.number().int(),
    handovers: z.number().int(),
    crossRegionHandovers: z.number().int(),
    pingPongHandovers: z.number().int(),
    escalations: z.number().int(),
  }),
  events: z.array(
    z.object({
      at: str,
      type: str,
      eventId: str,
      source: str,
      receivedAt: str,
      details: z.record(z.string(), z.unknown()).describe('The event’s own fields (team, status, …)'),
    }),
  ),
  segments: z
    .array(
      z.object({
        from: str,
        to: nstr.describe('null while still open'),
        openedBy: str,
        closedBy: str,
        customer: str,
        region: str,
        team: str,
        priority: str,
      }),
    )
    .describe('The periods during which the ticket was open, per owner (region, team) and priority'),
  handovers: z.array(
    z.object({
      at: str,
      fromTeam: str,
      fromRegion: str,
      toTeam: str,
      toRegion: str,
      crossRegion: z.boolean(),
      pingPong: z.boolean(),
      outcome: str.describe('picked_up | handed_on | ended | pending'),
      pickedUpAt: nstr,
      pickupKind: str,
      endedAt: nstr,
      calendar: str,
      wallSeconds: nnum,
      businessSeconds: nnum,
      seamIdleSeconds: nnum,
    }),
  ),
  escalations: z.array(z.object({ at: str, kind: str, fromTier: str, toTier: str, source: str })),
  sla: z
    .object({
      policyId: str,
      calendar: str,
      evaluatedAt: str,
      risk: str,
      dueAt: nstr,
      resolution: clockSchema,
      response: clockSchema,
      consumptionByTeam: z.array(
        z.object({ team: str, region: str, elapsedSeconds: z.number(), pausedSeconds: z.number() }),
      ),
    })
    .nullable()
    .describe('null when no policy evaluation is stored yet'),
});

const badRequestSchema = z.object({
  error: z.string(),
  message: z.string(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })),
});

type Sla = z.infer<typeof slaRow>;
const clock = (s: Sla, p: 'res' | 'resp') => ({
  targetSeconds: s[`${p}_target_seconds`],
  elapsedSeconds: s[`${p}_elapsed_seconds`],
  pausedSeconds: s[`${p}_paused_seconds`],
  remainingSeconds: s[`${p}_remaining_seconds`],
  percentConsumed: s[`${p}_percent`],
  state: s[`${p}_state`],
  outcome: s[`${p}_outcome`],
  risk: s[`${p}_risk`],
  dueAt: isoOrNull(s[`${p}_due_at`]),
  breachedAt: isoOrNull(s[`${p}_breached_at`]),
});

function details(payload: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(payload);
  if (typeof parsed !== 'object' || parsed === null) return {};
  return Object.fromEntries(Object.entries(parsed).filter(([k]) => !envelopeFields.has(k)));
}

export const timelineRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/tickets/:id/timeline',
    {
      schema: {
        summary: 'One ticket’s timeline (drill-down)',
        description:
          'Everything Baton knows of one ticket: its events in the order they happened, its open periods per owner, its handovers with pickup latency, its escalations and its SLA clocks with the time each team consumed. 404 when the ticket is unknown, or outside the given tenant / region (a region sees a ticket it ever owned); 400 when the id exists in several tenants and no tenant is given.',
        params: paramsSchema,
        querystring: querySchema,
        response: { 200: responseSchema, 400: badRequestSchema, 404: errorSchema },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const q = req.query;
      const readDetails = (key: { tenant: string; ticket_id: string }) =>
        Promise.all([
          queryRows(ch, 'ticket-timeline-events', { ...key, limit: maxEvents }, eventRow),
          queryRows(ch, 'ticket-timeline-segments', key, segmentRow),
          queryRows(ch, 'ticket-timeline-sla', key, slaRow),
        ]);
      const factsOf = () =>
        queryRows(
          ch,
          'ticket-timeline-facts',
          { ticket_id: id, tenant: q.tenant ?? '', region: q.region ?? '' },
          factsRow,
        );
      // With a tenant the ticket's key is known: one round trip for all four reads (the details of
      // a ticket outside the caller's region are fetched and dropped, never sent).
      const [found, early] =
        q.tenant === undefined
          ? [await factsOf(), null]
          : await Promise.all([factsOf(), readDetails({ tenant: q.tenant, ticket_id: id })]);
      const f = found[0];
      if (f === undefined) {
        const scope = [q.tenant && `tenant ${q.tenant}`, q.region && `region ${q.region}`].filter(Boolean);
        return reply.status(404).send({
          error: 'not_found',
          message: `ticket ${id} not found${scope.length > 0 ? ` in ${scope.join(', ')}` : ''}`,
        });
      }
      if (found.length > 1) {
        return reply.status(400).send({
          error: 'bad_request',
          message: 'the request is not valid',
          problems: [
            {
              path: 'querystring.tenant',
              message: `ticket ${id} exists in several tenants (${found.map((r) => r.tenant).join(', ')}); give tenant`,
            },
          ],
        });
      }
      const [events, segments, slas] =
        early ?? (await readDetails({ tenant: f.tenant, ticket_id: f.ticket_id }));
      const s = slas[0];
      return {
        ticket: {
          tenant: f.tenant,
          ticketId: f.ticket_id,
          createdAt: isoFromClickHouse(f.created_at),
          customer: f.customer,
          priority: f.priority,
          createdRegion: f.created_region,
          team: f.team,
          region: f.region,
          tier: f.tier,
          maxTier: f.max_tier,
          open: f.is_open === 1,
          respondedAt: isoOrNull(f.responded_at),
          responseKind: f.response_kind,
          resolvedAt: isoOrNull(f.resolved_at),
          closedAt: isoOrNull(f.closed_at),
          cancelledAt: isoOrNull(f.cancelled_at),
          reopens: f.reopens,
          handovers: f.handovers,
          crossRegionHandovers: f.cross_region_handovers,
          pingPongHandovers: f.ping_pong_handovers,
          escalations: f.escalations,
        },
        events: events.map((e) => ({
          at: isoFromClickHouse(e.occurred_at),
          type: e.type,
          eventId: e.event_id,
          source: e.source,
          receivedAt: isoFromClickHouse(e.received_at),
          details: details(e.payload),
        })),
        segments: segments.map((p) => ({
          from: isoFromClickHouse(p.opened_at),
          to: isoOrNull(p.closed_at),
          openedBy: p.open_kind,
          closedBy: p.close_kind,
          customer: p.customer,
          region: p.region,
          team: p.team,
          priority: p.priority,
        })),
        handovers: f.ho_at.map((at, i) => ({
          at: isoFromClickHouse(at),
          fromTeam: f.ho_from_team[i] ?? '',
          fromRegion: f.ho_from_region[i] ?? '',
          toTeam: f.ho_to_team[i] ?? '',
          toRegion: f.ho_to_region[i] ?? '',
          crossRegion: f.ho_cross_region[i] === 1,
          pingPong: f.ho_ping_pong[i] === 1,
          outcome: f.ho_outcome[i] ?? '',
          pickedUpAt: isoOrNull(f.ho_picked_at[i] ?? null),
          pickupKind: f.ho_pickup_kind[i] ?? '',
          endedAt: isoOrNull(f.ho_until[i] ?? null),
          calendar: f.ho_calendar[i] ?? '',
          wallSeconds: f.ho_wall_seconds[i] ?? null,
          businessSeconds: f.ho_business_seconds[i] ?? null,
          seamIdleSeconds: f.ho_seam_idle_seconds[i] ?? null,
        })),
        escalations: f.es_at.map((at, i) => ({
          at: isoFromClickHouse(at),
          kind: f.es_kind[i] ?? '',
          fromTier: f.es_from_tier[i] ?? '',
          toTier: f.es_to_tier[i] ?? '',
          source: f.es_source[i] ?? '',
        })),
        sla:
          s === undefined
            ? null
            : {
                policyId: s.policy_id,
                calendar: s.calendar,
                evaluatedAt: isoFromClickHouse(s.as_of),
                risk: s.risk,
                dueAt: isoOrNull(s.due_at),
                resolution: clock(s, 'res'),
                response: clock(s, 'resp'),
                consumptionByTeam: s.team_name.map((team, i) => ({
                  team,
                  region: s.team_region[i] ?? '',
                  elapsedSeconds: s.team_elapsed_seconds[i] ?? 0,
                  pausedSeconds: s.team_paused_seconds[i] ?? 0,
                })),
              },
      };
    },
  );
};
