import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// A short-lived cache of metric answers, with one computation per question at a time. Dashboards
// and wallboards ask the same questions every few seconds from many screens; each answer is
// already as of the last rollup pass or the last stored batch, so reusing it for a second or two
// changes nothing a person can see, and turns N identical queries into one. The key is the route
// and its validated query (after an API key's tenant / region restriction has been filled in or
// refused), so two callers share an answer only when they asked exactly the same thing.
// Responses carry `x-baton-cache: hit | miss` and `age` (seconds).

interface Entry {
  body: string;
  headers: Record<string, string>;
  storedAt: number;
}

interface Pending {
  promise: Promise<Entry | null>;
  resolve: (entry: Entry | null) => void;
}

export interface ResponseCacheOptions {
  ttlMs: number;
  /** Most answers kept; the oldest go first. */
  maxEntries?: number;
  /** Which routes (their URL patterns) may be cached. */
  routes: (url: string) => boolean;
  /**
   * What else than the route and its query selects the answer (e.g. a route that answers JSON or
   * HTML by the Accept header): requests share an answer only when this agrees too.
   */
  variant?: (req: FastifyRequest) => string;
}

const keptHeaders = ['content-type', 'x-baton-source', 'x-baton-source-parts'];

declare module 'fastify' {
  interface FastifyRequest {
    cacheKey?: string;
    cachePending?: Pending;
  }
}

export function registerResponseCache(app: FastifyInstance, opts: ResponseCacheOptions): void {
  if (opts.ttlMs <= 0) return;
  const maxEntries = opts.maxEntries ?? 2_000;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Pending>();

  const send = (reply: FastifyReply, entry: Entry, how: 'hit' | 'miss') => {
    for (const [k, v] of Object.entries(entry.headers)) reply.header(k, v);
    reply.header('x-baton-cache', how);
    reply.header('age', String(Math.floor((Date.now() - entry.storedAt) / 1000)));
    return reply.send(entry.body);
  };

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const url = req.routeOptions.url;
    if (req.method !== 'GET' || url === undefined || !opts.routes(url)) return;
    const key = `${url}\u0000${opts.variant?.(req) ?? ''}\u0000${JSON.stringify(req.query)}`;
    const fresh = entries.get(key);
    if (fresh && Date.now() - fresh.storedAt < opts.ttlMs) return send(reply, fresh, 'hit');
    const pending = inFlight.get(key);
    if (pending) {
      const entry = await pending.promise;
      if (entry) return send(reply, entry, 'hit');
      return; // the first request failed: compute this one on its own
    }
    let resolve: (entry: Entry | null) => void = () => {};
    const promise = new Promise<Entry | null>((r) => {
      resolve = r;
    });
    const mine = { promise, resolve };
    inFlight.set(key, mine);
    req.cacheKey = key;
    req.cachePending = mine;
    reply.header('x-baton-cache', 'miss');
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const pending = req.cachePending;
    if (!pending || req.cacheKey === undefined) return payload;
    req.cachePending = undefined;
    inFlight.delete(req.cacheKey);
    if (reply.statusCode !== 200 || typeof payload !== 'string') {
      pending.resolve(null);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const h of keptHeaders) {
      const v = reply.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    const entry = { body: payload, headers, storedAt: Date.now() };
    entries.delete(req.cacheKey);
    entries.set(req.cacheKey, entry);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    pending.resolve(entry);
    return payload;
  });

  // A request that ends without a response body of its own (an error thrown, a closed socket)
  // must not leave the others waiting.
  app.addHook('onResponse', async (req) => {
    if (req.cachePending && req.cacheKey !== undefined) {
      inFlight.delete(req.cacheKey);
      req.cachePending.resolve(null);
      req.cachePending = undefined;
    }
  });
}
