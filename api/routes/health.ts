import type { FastifyPluginAsync } from 'fastify';
import type { RouteOptions } from '../app.js';

export const healthRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ping = await ch.ping();
    if (!ping.success) return reply.status(503).send({ status: 'unavailable', clickhouse: 'unreachable' });
    return { status: 'ok', clickhouse: 'ok' };
  });
};
