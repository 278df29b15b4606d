import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { type ApiKeyIdentity, type ApiKeyStore, apiKeyStore, hasScope } from '../../core/api-keys.js';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import type { SourceMapping } from '../../core/mapping.js';
import { createPipelineMetrics, type PipelineMetrics } from '../../core/metrics.js';
import { vendorWebhooks } from '../connectors/webhooks.js';
import { type EventSink, KafkaUnavailableError } from '../sink.js';
import { RecentIds } from './recent-ids.js';
import { eventsRoute } from './routes/events.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received: vendor signatures are computed over these bytes. */
    rawBody?: Buffer;
  }
}

export interface GatewayDeps {
  config: Config;
  sink: EventSink;
  mappings: Map<string, SourceMapping>;
  logger: Logger;
  metrics?: PipelineMetrics;
  now?: () => number;
}

export type Gateway = FastifyInstance;

/** An HTTP error whose message is safe and useful to show the caller. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <key>` or `X-API-Key` against the configured ingest keys
 * (INGEST_API_KEYS) and the keys of API_KEYS_FILE that hold the `ingest` scope.
 */
export function ingestKeyCheck(
  keys: readonly string[] | undefined,
  store?: ApiKeyStore,
): (req: FastifyRequest) => ApiKeyIdentity | undefined {
  const hashes = (keys ?? []).map(sha256);
  return (req) => {
    // Open only when no keys of either kind are configured (the start-up log warns).
    if (hashes.length === 0 && !store) return undefined;
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : req.headers['x-api-key'];
    if (typeof given !== 'string' || given.length === 0) {
      throw new HttpError(401, 'unauthorized', 'an ingest API key is required (Authorization: Bearer <key>)');
    }
    const digest = sha256(given);
    if (hashes.some((h) => timingSafeEqual(h, digest))) return undefined;
    const key = store?.lookup(given);
    if (!key) throw new HttpError(401, 'unauthorized', 'the API key is not valid for ingest');
    if (!hasScope(key, 'ingest')) {
      throw new HttpError(403, 'forbidden', 'this API key lacks the "ingest" scope');
    }
    // An event's region is only known once it is assigned, so a region limit cannot be enforced here.
    if (key.regions) {
      throw new HttpError(
        403,
        'forbidden',
        'a region-restricted API key cannot ingest; restrict it by tenant',
      );
    }
    return key;
  };
}

export async function buildGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.INGEST_BODY_LIMIT_BYTES,
  });
  const metrics = deps.metrics ?? createPipelineMetrics('baton-ingest');

  // JSON only: Fastify's built-in text/plain parser would let a wrong content type through (→ 415).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    ['application/json', 'application/*+json'],
    { parseAs: 'buffer' },
    (req, body, done) => {
      const buf = body as Buffer;
      req.rawBody = buf;
      if (buf.length === 0) return done(new HttpError(400, 'bad_request', 'the request body is empty'));
      try {
        done(null, JSON.parse(buf.toString('utf8')));
      } catch (err) {
        done(new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(err as Error).message}`));
      }
    },
  );

  app.setErrorHandler((err: FastifyError | HttpError | KafkaUnavailableError, req, reply) => {
    if (err instanceof KafkaUnavailableError) {
      return reply.status(503).header('retry-after', '5').send({
        error: 'unavailable',
        message: 'the event store is unavailable; nothing was accepted, retry later',
      });
    }
    if (err instanceof HttpError) {
      return reply
        .status(err.statusCode)
        .send({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
    }
    const code = 'code' in err ? err.code : undefined;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({
        error: 'payload_too_large',
        message: `the body exceeds ${config.INGEST_BODY_LIMIT_BYTES} bytes`,
      });
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply
        .status(415)
        .send({ error: 'unsupported_media_type', message: 'send the body as application/json' });
    }
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply
        .status(500)
        .send({ error: 'internal_error', message: 'internal error; see the gateway log' });
    }
    return reply.status(status).send({ error: 'bad_request', message: err.message });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  await app.register(eventsRoute, {
    sink: deps.sink,
    maxBatch: config.INGEST_MAX_BATCH,
    checkKey: ingestKeyCheck(
      config.INGEST_API_KEYS,
      config.API_KEYS_FILE
        ? apiKeyStore(config.API_KEYS_FILE, {
            onReloadError: (err) =>
              deps.logger.error({ err }, 'the API key file is invalid; previous keys stay'),
          })
        : undefined,
    ),
    recent: new RecentIds(),
    metrics,
  });
  await vendorWebhooks(app, config, {
    sink: deps.sink,
    mappings: deps.mappings,
    metrics,
    defaultTenant: config.INGEST_DEFAULT_TENANT,
    now: deps.now ?? Date.now,
  });
  return app;
}
