import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, buildApi } from '../../api/app.js';
import type { RouteAccessEntry } from '../../api/security.js';
import { type ApiKeyScope, createApiKey } from '../../core/api-keys.js';
import type { Config } from '../../core/config.js';
import {
  type OpenApiDocument,
  type OpenApiOperation,
  operations,
  type SecuredApi,
  startSecuredApi,
  validRequest,
} from '../helpers/api-fixture.js';
import { bearer } from '../helpers/api-keys.js';
import { eventually } from '../helpers/services.js';

// The authorisation matrix runs over every route the API registers (read back from the API
// itself), so a route added later is covered without touching this file. Expected outcomes
// follow the rules in docs/security.md, written out here independently of api/security.ts.

const keySpecs = {
  reader: { scopes: ['read'] },
  ingester: { scopes: ['ingest'] },
  admin: { scopes: ['admin'] },
  apac: { scopes: ['read'], regions: ['APAC'] },
  acme: { scopes: ['read'], tenants: ['acme'] },
  apacEmea: { scopes: ['read'], regions: ['APAC', 'EMEA'] },
} satisfies Record<string, { scopes: ApiKeyScope[]; regions?: string[]; tenants?: string[] }>;
type KeyName = keyof typeof keySpecs;

let api: SecuredApi<KeyName>;
let doc: OpenApiDocument;
let ops: OpenApiOperation[];

beforeAll(async () => {
  api = await startSecuredApi('api_auth', keySpecs, { overrides: { API_RATE_LIMIT_MAX: 1_000_000 } });
  doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as OpenApiDocument;
  ops = operations(doc);
});

afterAll(async () => {
  await api?.close();
});

type Outcome = 'public' | 'ok' | 'unauthorized' | 'forbidden';

interface Case {
  label: string;
  headers: Record<string, string>;
  /** tenant/region query values to send; `undefined` leaves the parameter out. */
  ask: { tenant?: string; region?: string };
  expect: Outcome;
}

/** What a route's request should get, by the rules: GET needs read, others admin unless declared. */
function casesFor(route: RouteAccessEntry): Case[] {
  const k = api.keys;
  const isPublic = route.access.public;
  const needed = route.access.public ? null : route.access.scope;
  const byScope = (scopes: ApiKeyScope[]): Outcome =>
    isPublic
      ? 'public'
      : scopes.includes('admin') || (needed && scopes.includes(needed))
        ? 'ok'
        : 'forbidden';
  const restricted = (o: Outcome): Outcome => (isPublic ? 'public' : needed === 'read' ? o : 'forbidden');
  const wrong = `baton_${randomBytes(32).toString('base64url')}`;
  return [
    { label: 'no key', headers: {}, ask: {}, expect: isPublic ? 'public' : 'unauthorized' },
    { label: 'wrong key', headers: bearer(wrong), ask: {}, expect: isPublic ? 'public' : 'unauthorized' },
    {
      label: 'empty X-API-Key',
      headers: { 'x-api-key': '' },
      ask: {},
      expect: isPublic ? 'public' : 'unauthorized',
    },
    { label: 'read key', headers: bearer(k.reader), ask: {}, expect: byScope(['read']) },
    {
      label: 'read key as X-API-Key',
      headers: { 'x-api-key': k.reader },
      ask: {},
      expect: byScope(['read']),
    },
    { label: 'ingest key', headers: bearer(k.ingester), ask: {}, expect: byScope(['ingest']) },
    { label: 'admin key', headers: bearer(k.admin), ask: {}, expect: byScope(['admin']) },
    {
      label: 'APAC key, region=APAC',
      headers: bearer(k.apac),
      ask: { region: 'APAC' },
      expect: restricted('ok'),
    },
    {
      label: 'APAC key, region=EMEA',
      headers: bearer(k.apac),
      ask: { region: 'EMEA' },
      expect: restricted('forbidden'),
    },
    { label: 'APAC key, no region', headers: bearer(k.apac), ask: {}, expect: restricted('ok') },
    {
      label: 'acme key, tenant=acme',
      headers: bearer(k.acme),
      ask: { tenant: 'acme' },
      expect: restricted('ok'),
    },
    {
      label: 'acme key, tenant=globex',
      headers: bearer(k.acme),
      ask: { tenant: 'globex' },
      expect: restricted('forbidden'),
    },
    { label: 'acme key, no tenant', headers: bearer(k.acme), ask: {}, expect: restricted('ok') },
    {
      label: 'APAC+EMEA key, region=EMEA',
      headers: bearer(k.apacEmea),
      ask: { region: 'EMEA' },
      expect: restricted('ok'),
    },
    {
      label: 'APAC+EMEA key, no region',
      headers: bearer(k.apacEmea),
      ask: {},
      expect: restricted('forbidden'),
    },
  ];
}

function operationOf(route: RouteAccessEntry): OpenApiOperation | undefined {
  const method = route.method === 'HEAD' ? 'GET' : route.method;
  return ops.find((o) => o.method === method && o.url === route.url);
}

function requestPath(route: RouteAccessEntry, ask: Case['ask']): string {
  const op = operationOf(route);
  const ctx = { tenant: ask.tenant ?? 'acme', region: ask.region ?? 'APAC' };
  if (op) return validRequest(op, ctx, ask);
  // Not in the OpenAPI document (hidden): no schema to fill from, so any path parameter gets a
  // placeholder and the expectation below only concerns authorisation.
  const path = route.url.replace(/:[A-Za-z_]+/g, 'x').replace(/\*$/, '');
  const qs = new URLSearchParams(
    Object.entries(ask).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return qs.size ? `${path}?${qs}` : path;
}

/** Whether a status fits the outcome; a route with a path parameter may answer 404 for a made-up id. */
function fits(route: RouteAccessEntry, outcome: Outcome, status: number): boolean {
  const documented = operationOf(route) !== undefined;
  const hasPathParam = route.url.includes(':') || route.url.includes('*');
  switch (outcome) {
    case 'unauthorized':
      return status === 401;
    case 'forbidden':
      return status === 403;
    case 'public':
      return status < 400;
    case 'ok':
      if (!documented || (route.method !== 'GET' && route.method !== 'HEAD')) {
        return status < 500 && status !== 401 && status !== 403;
      }
      return (status >= 200 && status < 300) || (hasPathParam && status === 404);
  }
}

describe('API authorisation', () => {
  it('covers every route: each one is public or needs a key, and every protected one is documented', () => {
    const routes = api.app.routeAccess;
    expect(routes.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/v1/metrics/backlog']),
    );
    const v1 = routes.filter((r) => r.url.startsWith('/v1'));
    expect(v1.length).toBeGreaterThan(0);
    expect(v1.filter((r) => r.access.public)).toEqual([]);
    const undocumented = routes.filter((r) => !r.access.public && r.method !== 'HEAD' && !operationOf(r));
    expect(undocumented, 'protected routes missing from the OpenAPI document').toEqual([]);
  });

  it('answers every route × key as the rules say', async () => {
    const mismatches: string[] = [];
    let checked = 0;
    const checkRoute = async (route: RouteAccessEntry) => {
      for (const c of casesFor(route)) {
        const path = requestPath(route, c.ask);
        const res = await fetch(`${api.url}${path}`, {
          method: route.method,
          headers: c.headers,
          redirect: 'manual',
        });
        const body = route.method === 'HEAD' ? '' : await res.text();
        checked++;
        if (!fits(route, c.expect, res.status)) {
          mismatches.push(
            `${route.method} ${path} [${c.label}] expected ${c.expect}, got ${res.status} ${body.slice(0, 300)}`,
          );
        }
        if (res.status === 401 && !res.headers.get('www-authenticate')?.startsWith('Bearer')) {
          mismatches.push(`${route.method} ${path} [${c.label}] 401 without WWW-Authenticate: Bearer`);
        }
        if (res.status === 403 && route.method !== 'HEAD' && c.expect === 'forbidden' && 'region' in c.ask) {
          const message = (JSON.parse(body) as { message?: string }).message ?? '';
          if (!/region/.test(message))
            mismatches.push(
              `${route.method} ${path} [${c.label}] 403 message does not name region: ${message}`,
            );
        }
      }
    };
    // A few routes at a time keeps the run short without starving the engine.
    const queue = [...api.app.routeAccess];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let route = queue.shift(); route; route = queue.shift()) await checkRoute(route);
      }),
    );
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('a restricted key without a region sees exactly what its region shows', async () => {
    const q = validRequest(
      operationOf({ method: 'GET', url: '/v1/metrics/backlog', access: { public: false, scope: 'read' } })!,
      {
        tenant: 'acme',
        region: 'APAC',
      },
    );
    const base = q.replace(/[?&](region|tenant)=[^&]*/g, '').replace(/^([^?]*)&/, '$1?');
    const restricted = await fetch(`${api.url}${base}`, { headers: bearer(api.keys.apac) });
    const explicit = await fetch(`${api.url}${base}${base.includes('?') ? '&' : '?'}region=APAC`, {
      headers: bearer(api.keys.admin),
    });
    const all = await fetch(`${api.url}${base}`, { headers: bearer(api.keys.admin) });
    expect([restricted.status, explicit.status, all.status]).toEqual([200, 200, 200]);
    const r = (await restricted.json()) as { series: { region: string; points: { backlog: number }[] }[] };
    expect(r.series.map((s) => s.region)).toEqual(['APAC']);
    expect(r.series[0]!.points.some((p) => p.backlog > 0)).toBe(true);
    expect(r).toEqual(await explicit.json());
    const everything = (await all.json()) as { series: { region: string }[] };
    expect(everything.series.map((s) => s.region).sort()).toEqual(['AMER', 'APAC', 'EMEA']);

    const tenantOnly = await fetch(`${api.url}${base}`, { headers: bearer(api.keys.acme) });
    const acmeExplicit = await fetch(`${api.url}${base}${base.includes('?') ? '&' : '?'}tenant=acme`, {
      headers: bearer(api.keys.admin),
    });
    expect([tenantOnly.status, acmeExplicit.status]).toEqual([200, 200]);
    expect(await tenantOnly.json()).toEqual(await acmeExplicit.json());
  });

  it('answers unknown paths 401 without a key and 404 with one', async () => {
    expect((await fetch(`${api.url}/v1/no-such-route`)).status).toBe(401);
    expect((await fetch(`${api.url}/v1/no-such-route`, { headers: bearer(api.keys.reader) })).status).toBe(
      404,
    );
  });

  it('takes a key added to the file while running, without a restart', async () => {
    const { key } = createApiKey(api.config.API_KEYS_FILE!, { id: 'late', scopes: ['read'] });
    const status = await eventually(
      async () =>
        (
          await fetch(`${api.url}/v1/metrics/backlog?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`, {
            headers: bearer(key),
          })
        ).status,
      (s) => s === 200,
      10_000,
      200,
    );
    expect(status).toBe(200);
  });
});

/** A second app over the same database with other settings and two write routes, for the limits. */
async function startVariant(overrides: Partial<Config>): Promise<{ url: string; app: Api }> {
  const app = await buildApi({
    config: { ...api.config, ...overrides },
    ch: api.pipeline.ch,
    logger: api.pipeline.logger,
  });
  app.post('/v1/test/echo', async (req) => ({ size: JSON.stringify(req.body).length }));
  app.post('/v1/test/ingest', { config: { scope: 'ingest' } }, async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

describe('API limits and headers', () => {
  const backlogPath = '/v1/metrics/backlog?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';

  it('rate-limits each key on its own with 429 and Retry-After, and never the probes', async () => {
    const v = await startVariant({ API_RATE_LIMIT_MAX: 5, API_RATE_LIMIT_WINDOW_SECONDS: 60 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await fetch(`${v.url}${backlogPath}`, { headers: bearer(api.keys.reader) })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      const limited = await fetch(`${v.url}${backlogPath}`, { headers: bearer(api.keys.reader) });
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await limited.json()).toMatchObject({
        error: 'rate_limited',
        message: expect.stringMatching(/too many requests/),
      });
      // Another key has its own budget; probes are not counted.
      expect((await fetch(`${v.url}${backlogPath}`, { headers: bearer(api.keys.admin) })).status).toBe(200);
      for (let i = 0; i < 8; i++) expect((await fetch(`${v.url}/healthz`)).status).toBe(200);
    } finally {
      await v.app.close();
    }
  });

  it('refuses a body over the limit with 413, and applies scopes to write routes', async () => {
    const v = await startVariant({ API_BODY_LIMIT_BYTES: 1_024 });
    try {
      const post = (path: string, key: string, body: unknown) =>
        fetch(`${v.url}${path}`, {
          method: 'POST',
          headers: { ...bearer(key), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const small = await post('/v1/test/echo', api.keys.admin, { a: 'x'.repeat(100) });
      expect(small.status).toBe(200);
      const big = await post('/v1/test/echo', api.keys.admin, { a: 'x'.repeat(2_000) });
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ error: 'payload_too_large' });
      // Write routes without a declared scope need admin; a declared scope is honoured.
      expect((await post('/v1/test/echo', api.keys.reader, {})).status).toBe(403);
      expect((await post('/v1/test/ingest', api.keys.ingester, {})).status).toBe(200);
      expect((await post('/v1/test/ingest', api.keys.reader, {})).status).toBe(403);
      expect((await post('/v1/test/ingest', api.keys.admin, {})).status).toBe(200);
    } finally {
      await v.app.close();
    }
  });

  it('sends security headers on data, errors and probes; no CORS header unless an origin is allowed', async () => {
    for (const [path, headers] of [
      [backlogPath, bearer(api.keys.reader)],
      [backlogPath, {}],
      ['/healthz', {}],
    ] as const) {
      const res = await fetch(`${api.url}${path}`, {
        headers: { ...headers, origin: 'https://evil.example' },
      });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      const csp = res.headers.get('content-security-policy') ?? '';
      // Inline <style> (the review page) and the docs' own scripts; no upgrade of plain-HTTP requests.
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/style-src 'self' https: 'unsafe-inline'/);
      expect(csp).toMatch(/img-src 'self' data:/);
      expect(csp).not.toMatch(/upgrade-insecure-requests/);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }

    const v = await startVariant({ API_CORS_ORIGINS: ['https://ops.example'] });
    try {
      const ok = await fetch(`${v.url}${backlogPath}`, {
        headers: { ...bearer(api.keys.reader), origin: 'https://ops.example' },
      });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://ops.example');
      const other = await fetch(`${v.url}${backlogPath}`, {
        headers: { ...bearer(api.keys.reader), origin: 'https://evil.example' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      // A preflight carries no key and gets through; the real request still needs one.
      const preflight = await fetch(`${v.url}${backlogPath}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://ops.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
      expect(
        (await fetch(`${v.url}${backlogPath}`, { headers: { origin: 'https://ops.example' } })).status,
      ).toBe(401);
    } finally {
      await v.app.close();
    }
  });
});
