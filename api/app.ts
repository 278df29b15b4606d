import swagger from '@fastify/swagger';
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
import { backlogRoutes } from './routes/backlog.js';
import { healthRoutes } from './routes/health.js';

export interface ApiDeps {
  config: Config;
  ch: ClickHouseClient;
  logger: Logger;
}

/** What every route plugin receives. */
export interface RouteOptions {
  config: Config;
  ch: ClickHouseClient;
}

// Every route plugin of the API, in one list: security hooks and the authorisation tests walk it.
const routePlugins: FastifyPluginAsync<RouteOptions>[] = [healthRoutes, backlogRoutes];

export type Api = FastifyInstance;

export async function buildApi(deps: ApiDeps): Promise<Api> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1_048_576,
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
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.status(status).send({
      error: status >= 500 ? 'internal_error' : 'bad_request',
      message: status >= 500 ? 'internal error; see the server log' : err.message,
    });
  });

  await app.register(swagger, {
    openapi: { info: { title: 'Baton API', version: '0.1.0' } },
    transform: jsonSchemaTransform,
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  const { registry } = createPipelineMetrics('baton-api');
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );

  for (const plugin of routePlugins) await app.register(plugin, { config: deps.config, ch: deps.ch });
  return app;
}
