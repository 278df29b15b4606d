import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OpenAPIV3 } from 'openapi-types';
import {
  type ApiKeyIdentity,
  type ApiKeyScope,
  type ApiKeyStore,
  apiKeyScopes,
  apiKeyStore,
  hasScope,
  presentedApiKey,
} from '../core/api-keys.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a key needs for this route. Default: `read` for GET/HEAD, `admin` for anything else. */
    scope?: ApiKeyScope;
    /** Open without a key. Only for routes that show no tenant data (probes, docs). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The key the request was authorised with; unset on public routes. */
    apiKey?: ApiKeyIdentity;
  }
  interface FastifyInstance {
    /** Every route with the access it requires, as registered: the authorisation tests walk it. */
    routeAccess: RouteAccessEntry[];
  }
}

export type RouteAccess = { public: true } | { public: false; scope: ApiKeyScope };

export interface RouteAccessEntry {
  method: string;
  url: string;
  access: RouteAccess;
}

// Open without a key: probes must work before anyone has a key, the docs and the OpenAPI document
// describe the API but hold no data, and /metrics holds only this process's counters (no tenant or
// region values), like the /metrics of every other Baton process; keep it on an internal network.
const publicPaths = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);
const isPublicPath = (path: string) => publicPaths.has(path) || path.startsWith('/docs/');

/** The fields a key's tenant/region restriction applies to, as query or path parameters. */
const restrictedFields = [
  { field: 'tenant', plural: 'tenants', of: (k: ApiKeyIdentity) => k.tenants },
  { field: 'region', plural: 'regions', of: (k: ApiKeyIdentity) => k.regions },
] as const;

export function routeAccess(
  method: string | readonly string[],
  url: string,
  config: { scope?: ApiKeyScope; public?: boolean } | undefined,
): RouteAccess {
  if (config?.public === true || isPublicPath(url)) return { public: true };
  const methods = typeof method === 'string' ? [method] : method;
  const readOnly = methods.every((m) => m === 'GET' || m === 'HEAD');
  return { public: false, scope: config?.scope ?? (readOnly ? 'read' : 'admin') };
}

/** Security schemes for the OpenAPI document, so the docs page can send a key. */
export const openApiSecurity: Pick<OpenAPIV3.Document, 'components' | 'security'> = {
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'an API key: Authorization: Bearer <key>' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    },
  },
  security: [{ bearer: [] }, { apiKey: [] }],
};

function deny(reply: FastifyReply, status: 401 | 403, message: string, field?: string) {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="baton"');
  return reply.status(status).send({
    error: status === 401 ? 'unauthorized' : 'forbidden',
    message,
    ...(field ? { problems: [{ path: `querystring.${field}`, message }] } : {}),
  });
}

const quoteList = (xs: readonly string[]) => xs.map((x) => `"${x}"`).join(', ');

/**
 * Applies a key's tenant/region restriction to one request: fills the parameter in when the key
 * allows exactly one value and the caller named none; refuses another value. A key allowed
 * several values does not guess: the caller names one of them (an absent parameter would mean
 * "all", which includes values the key may not see).
 */
function restrictionProblem(
  req: FastifyRequest,
  key: ApiKeyIdentity,
): { field: string; message: string } | null {
  const query = req.query as Record<string, unknown> | undefined;
  const params = req.params as Record<string, unknown> | undefined;
  for (const { field, plural, of } of restrictedFields) {
    const allowed = of(key);
    if (!allowed) continue;
    const fromPath = params?.[field];
    const fromQuery = query?.[field];
    const asked = [fromPath, fromQuery].flat().filter((v) => v !== undefined);
    for (const v of asked) {
      if (typeof v !== 'string' || !allowed.includes(v)) {
        return {
          field,
          message: `this API key may only see ${plural} ${quoteList(allowed)}; the request asks for ${field} ${JSON.stringify(v)}`,
        };
      }
    }
    if (fromQuery === undefined && fromPath === undefined) {
      if (allowed.length === 1 && query) {
        query[field] = allowed[0];
      } else {
        return {
          field,
          message: `this API key may only see ${plural} ${quoteList(allowed)}: name one with the ${field} query parameter`,
        };
      }
    }
  }
  return null;
}

export interface SecurityOptions {
  /** Keys to use instead of API_KEYS_FILE (tests). */
  store?: ApiKeyStore;
}

/**
 * Security for every route of the API, whatever plugin registers it: call before any route is
 * registered. Keys are required everywhere except the public paths above; GET routes need the
 * `read` scope, other methods `admin` unless the route's config names a scope.
 */
export async function registerSecurity(
  app: FastifyInstance,
  config: Config,
  logger: Logger,
  opts: SecurityOptions = {},
): Promise<void> {
  const log = logger.child({ component: 'api-security' });
  const store =
    opts.store ??
    apiKeyStore(config.API_KEYS_FILE, {
      onReloadError: (err) =>
        log.error({ err }, 'the API key file changed but is invalid; the previous keys stay'),
    });
  if (store.size() === 0) {
    log.warn(
      'no API keys are configured (API_KEYS_FILE): every /v1 route answers 401; create one with `baton keys create`',
    );
  }

  const routes: RouteAccessEntry[] = [];
  app.decorate('routeAccess', routes);
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    if (scope !== undefined && !apiKeyScopes.includes(scope)) {
      throw new Error(`route ${route.url}: config.scope must be one of ${apiKeyScopes.join(', ')}`);
    }
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, access: routeAccess(method, route.url, route.config) });
    }
  });

  // Swagger UI loads its scripts and styles from itself; a server-rendered page may carry inline
  // <style> and inline SVG (helmet's default style-src allows inline styles; SVG is markup, not a
  // resource). Scripts stay same-origin only. The API itself speaks plain HTTP (TLS, if any, ends
  // at a proxy), so asking browsers to upgrade its own requests would break the docs page.
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      directives: {
        'img-src': ["'self'", 'data:'],
        'upgrade-insecure-requests': null,
      },
    },
  });

  const corsOrigins = config.API_CORS_ORIGINS;
  if (corsOrigins?.length) {
    await app.register(cors, {
      origin: corsOrigins,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type'],
      maxAge: 600,
    });
  }

  app.addHook('onRequest', async (req, reply) => {
    const url = req.routeOptions.url ?? req.url.split('?')[0] ?? req.url;
    const access = routeAccess(req.method, url, req.routeOptions.config);
    if (access.public) return;
    // A CORS preflight carries no credentials by design and returns no data.
    if (corsOrigins?.length && req.method === 'OPTIONS') return;
    const given = presentedApiKey(req.headers);
    if (!given) {
      return deny(
        reply,
        401,
        store.size() === 0
          ? 'an API key is required, and none is configured on this server: create one with `baton keys create`'
          : 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
      );
    }
    const key = store.lookup(given);
    if (!key) return deny(reply, 401, 'the API key is not valid');
    if (!hasScope(key, access.scope)) {
      return deny(reply, 403, `this API key lacks the "${access.scope}" scope this route needs`);
    }
    req.apiKey = key;
  });

  // After authentication, so a key's requests are counted against the key wherever they come from.
  await app.register(rateLimit, {
    global: true,
    max: config.API_RATE_LIMIT_MAX,
    timeWindow: config.API_RATE_LIMIT_WINDOW_SECONDS * 1000,
    keyGenerator: (req) => (req.apiKey ? `key:${req.apiKey.id}` : `ip:${req.ip}`),
    allowList: (req) => routeAccess(req.method, req.routeOptions.url ?? '', req.routeOptions.config).public,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: ctx.statusCode,
      error: 'rate_limited',
      message: `too many requests: at most ${ctx.max} per ${config.API_RATE_LIMIT_WINDOW_SECONDS} s for one API key; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
    }),
  });

  app.addHook('preValidation', async (req, reply) => {
    if (!req.apiKey) return;
    const problem = restrictionProblem(req, req.apiKey);
    if (problem) return deny(reply, 403, problem.message, problem.field);
  });
}
