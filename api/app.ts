import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ClickHouseClient } from '../core/clickhouse.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { createPipelineMetrics } from '../core/metrics.js';
import { cancellableClient, registerRequestCancellation } from './request-cancellation.js';
import { registerResponseCache } from './response-cache.js';
import { type RollupReader, rollupReader } from './rollups.js';
import { alertRoutes } from './routes/alerts.js';
import { backlogRoutes } from './routes/backlog.js';
import { backlogHeadcountRoutes } from './routes/backlog-headcount.js';
import { coverageRoutes } from './routes/coverage.js';
import { escalationRoutes } from './routes/escalations.js';
import { fieldRoutes } from './routes/field.js';
import { handoverRoutes } from './routes/handovers.js';
import { healthRoutes } from './routes/health.js';
import { slaRoutes } from './routes/sla.js';
import { timelineRoutes } from './routes/timeline.js';
import { prefersHtml, weeklyReviewRoutes } from './routes/weekly-review.js';
import { openApiSecurity, registerSecurity } from './security.js';

export interface ApiDeps {
  config: Config;
  ch: ClickHouseClient;
  logger: Logger;
  /** The clock that judges whether the rollups are current; tests inject one. */
  now?: () => number;
}

/** What every route plugin receives. */
export interface RouteOptions {
  config: Config;
  ch: ClickHouseClient;
  /** Where the region rollups stand (api/rollups.ts): whether a route may read them. */
  rollups: RollupReader;
}

// Every route plugin of the API, in one list: security hooks and the authorisation tests walk it.
const routePlugins: FastifyPluginAsync<RouteOptions>[] = [
  healthRoutes,
  backlogRoutes,
  backlogHeadcountRoutes,
  handoverRoutes,
  escalationRoutes,
  slaRoutes,
  fieldRoutes,
  timelineRoutes,
  coverageRoutes,
  alertRoutes,
  weeklyReviewRoutes,
];

export type Api = FastifyInstance;

const errorCodes: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

export async function buildApi(deps: ApiDeps): Promise<Api> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.API_BODY_LIMIT_BYTES,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Bad input is the caller's to fix: say which field and why, never a stack trace.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.status(400).send({
        error: 'bad_request',
        message: 'the request is not valid',
        problems: err.validation.map((v) => ({
          path: [err.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
          message: v.message ?? 'invalid',
        })),
      });
    }
    // The caller left and its queries were cancelled (request-cancellation.ts): nobody to answer.
    if (req.clientGone?.aborted) {
      req.log.debug({ url: req.url }, 'the caller closed the connection: its queries were cancelled');
      return reply
        .status(499)
        .send({ error: 'client_closed_request', message: 'the caller closed the connection' });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.status(status).send({
      error: status >= 500 ? 'internal_error' : (errorCodes[status] ?? 'bad_request'),
      message: status >= 500 ? 'internal error; see the server log' : err.message,
    });
  });

  registerRequestCancellation(app);
  // Before any route: keys, scopes, tenant/region restriction, rate limit, headers, CORS.
  await registerSecurity(app, deps.config, deps.logger);

  await app.register(swagger, {
    openapi: { info: { title: 'Baton API', version: '0.1.0' }, ...openApiSecurity },
    transform: jsonSchemaTransform,
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  // Interactive docs of the same document; the page and its assets are hidden from the document.
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const { registry } = createPipelineMetrics('baton-api');
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );

  registerResponseCache(app, {
    ttlMs: deps.config.API_CACHE_SECONDS * 1000,
    // The weekly review too: the whole region opens it at the same meeting.
    routes: (url) =>
      url.startsWith('/v1/metrics/') || url === '/v1/sla/at-risk' || url.startsWith('/v1/reviews/weekly'),
    variant: (req) =>
      req.routeOptions.url === '/v1/reviews/weekly' && prefersHtml(req.headers.accept) ? 'html' : '',
  });
  const rollups = rollupReader(deps.ch, {
    enabled: deps.config.API_READ_ROLLUPS,
    ...(deps.now ? { now: deps.now } : {}),
  });
  // The rollup reader's watermarks are shared by every request: read with the plain client.
  const ch = cancellableClient(deps.ch);
  for (const plugin of routePlugins) await app.register(plugin, { config: deps.config, ch, rollups });
  return app;
}
