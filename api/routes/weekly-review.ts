import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readCalendarsFile, regionZones } from '../../core/calendar-file.js';
import type { RouteOptions } from '../app.js';
import { renderCharts } from '../review/charts.js';
import { buildReviewWithSources, type Review, type ReviewRollups, reviewSchema } from '../review/data.js';
import { renderPage } from '../review/page.js';
import { loadReviewTargets } from '../review/targets.js';
import { isoWeek, lastCompleteWeek, parseIsoWeek, previousWeek } from '../review/week.js';
import { backlogParams, type RollupReader, rollupParams } from '../rollups.js';
import { scopeFields } from './shared.js';

// The weekly regional review: this week against the week before and against the targets, with
// what lies behind each change. JSON by default; a printable HTML page with server-drawn charts
// at /v1/reviews/weekly.html or when the client prefers text/html.

const querySchema = z.object({
  ...scopeFields,
  week: z
    .string()
    .superRefine((s, ctx) => {
      const parsed = parseIsoWeek(s);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    })
    .optional()
    .describe('ISO week, e.g. 2026-W47, in the region’s time zone (default: the last complete week)'),
});
type Query = z.infer<typeof querySchema>;

const problemSchema = z.object({
  error: z.string(),
  message: z.string(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

class BadReviewRequest extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** True when the client ranks text/html above JSON: a browser does, curl's any-type default does not. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  // The q of a type is the one of the most specific range that matches it (RFC 9110, 12.5.1).
  const q = (type: string): number => {
    let best = { specificity: -1, q: 0 };
    for (const part of accept.split(',')) {
      const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
      const specificity =
        range === type ? 2 : range === `${type.split('/')[0]}/*` ? 1 : range === '*/*' ? 0 : -1;
      if (specificity <= best.specificity) continue;
      const qParam = params.find((p) => p.startsWith('q='));
      const value = qParam === undefined ? 1 : Number(qParam.slice(2));
      best = { specificity, q: Number.isFinite(value) ? value : 0 };
    }
    return best.q;
  };
  const html = q('text/html');
  return html > 0 && html > q('application/json');
}

/** The rollups' watermarks for a review, when they may answer (api/rollups.ts). */
async function reviewRollups(
  rollups: RollupReader,
  q: { tenant?: string | undefined },
): Promise<ReviewRollups> {
  const wm = await rollups.watermarks();
  return { hourly: rollupParams(wm, q), teamBacklog: backlogParams(wm, q) };
}

export const weeklyReviewRoutes: FastifyPluginAsync<RouteOptions> = async (app, { config, ch, rollups }) => {
  // Read once at start-up: a bad targets or calendars file stops the API with its exact error.
  const targets = loadReviewTargets(config);
  const zones = regionZones(readCalendarsFile(config.CALENDARS_FILE));

  const review = async (q: Query, reply: FastifyReply): Promise<Review> => {
    const region = q.region;
    // All regions together have no zone of their own: their weeks are UTC weeks.
    const timeZone = region === undefined ? 'UTC' : zones.zoneOf(region);
    const nowMs = Date.now();
    let week = lastCompleteWeek(nowMs, timeZone);
    if (q.week !== undefined) {
      const parsed = parseIsoWeek(q.week);
      if (typeof parsed === 'string') throw new BadReviewRequest('querystring.week', parsed);
      week = isoWeek(parsed.weekYear, parsed.weekNumber, timeZone);
      if (week.days[0]! > nowMs)
        throw new BadReviewRequest('querystring.week', `week ${q.week} has not started yet in ${timeZone}`);
    }
    const previous = previousWeek(week, timeZone);
    const built = await buildReviewWithSources(ch, {
      tenant: q.tenant,
      region,
      timeZone,
      week,
      previous,
      targets: targets.forRegion(region ?? ''),
      nowMs,
      rollups: await reviewRollups(rollups, q),
    });
    // A part the rollups cannot answer (rollups stopped or behind, a tenant not yet materialised)
    // is read live, and then the whole review says `live`; the parts header says which
    // part came from where (docs/metrics.md, "How the API reads").
    const parts = Object.entries(built.sources);
    // The roster is small (a row per staff change): a review whose other parts are rollups is one.
    reply.header('x-baton-source', parts.every(([, s]) => s !== 'live') ? 'rollup' : 'live');
    reply.header('x-baton-source-parts', parts.map(([p, s]) => `${p}=${s}`).join(','));
    return built.review;
  };

  const badRequest = (reply: FastifyReply, err: BadReviewRequest) =>
    reply.status(400).send({
      error: 'bad_request',
      message: 'the request is not valid',
      problems: [{ path: err.path, message: err.reason }],
    });

  const page = async (q: Query, reply: FastifyReply) => {
    const data = await review(q, reply);
    const html = renderPage(data, await renderCharts(data));
    return reply.type('text/html; charset=utf-8').send(html);
  };

  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/v1/reviews/weekly',
    {
      schema: {
        summary: 'Weekly regional review',
        description:
          'Headline figures of an ISO week (in the region’s own time zone) against the week before and the targets, the daily series and the teams, customers and tickets behind the changes. Answers the printable HTML page instead when the client prefers text/html.',
        querystring: querySchema,
        response: { 200: reviewSchema, 400: problemSchema },
      },
    },
    async (req, reply) => {
      try {
        if (prefersHtml(req.headers.accept)) return await page(req.query, reply);
        return await review(req.query, reply);
      } catch (err) {
        if (err instanceof BadReviewRequest) return badRequest(reply, err);
        throw err;
      }
    },
  );
  typed.get(
    '/v1/reviews/weekly.html',
    {
      schema: {
        summary: 'Weekly regional review as a printable page',
        description:
          'The review of /v1/reviews/weekly as one self-contained HTML page with inline SVG charts.',
        querystring: querySchema,
        produces: ['text/html'],
      },
    },
    async (req, reply) => {
      try {
        return await page(req.query, reply);
      } catch (err) {
        if (err instanceof BadReviewRequest) return badRequest(reply, err);
        throw err;
      }
    },
  );
};
