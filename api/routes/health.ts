import type { FastifyPluginAsync } from 'fastify';
import { createKafkaProbe } from '../../core/kafka.js';
import type { RouteOptions } from '../app.js';

/** Resolves 'ok' or 'unreachable' within `ms`, whatever the check does. */
async function probe(check: () => Promise<boolean>, ms: number): Promise<'ok' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return (await Promise.race([check(), late])) ? 'ok' : 'unreachable';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsync<RouteOptions> = async (app, { ch, config }) => {
  const timeoutMs = config.API_READY_TIMEOUT_MS;
  const kafka = createKafkaProbe(config, timeoutMs);
  app.addHook('onClose', async () => {
    await kafka.close().catch(() => undefined);
  });

  app.get('/healthz', { schema: { summary: 'Liveness: the process answers' } }, async () => ({
    status: 'ok',
  }));
  // Ready = both backing services answer: ClickHouse serves every read, and Kafka must be up for
  // the figures to be current. The body names what is down.
  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: ClickHouse and Kafka answer (503 naming what is down)' } },
    async (req, reply) => {
      const [clickhouse, kafkaState] = await Promise.all([
        probe(async () => (await ch.ping()).success, timeoutMs),
        probe(async () => {
          await kafka.check();
          return true;
        }, timeoutMs),
      ]);
      const body = { clickhouse, kafka: kafkaState };
      if (clickhouse === 'ok' && kafkaState === 'ok') return { status: 'ok', ...body };
      const down = Object.entries(body)
        .filter(([, v]) => v !== 'ok')
        .map(([k]) => k);
      req.log.warn({ down }, 'not ready');
      return reply.status(503).send({ status: 'unavailable', down, ...body });
    },
  );
};
