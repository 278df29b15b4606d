import { type Api, buildApi } from '../../api/app.js';
import type { NewKeyOptions } from '../../core/api-keys.js';
import type { Config } from '../../core/config.js';
import { topicName } from '../../core/topics.js';
import { emitTicketEvents } from '../../ingest/emit.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { testApiKeys } from './api-keys.js';
import { startPipeline, type TestPipeline } from './pipeline.js';
import { eventually } from './services.js';

const HOUR = 3_600_000;

/** The tenants the seeded data belongs to; regions are the simulator's (APAC, EMEA, AMER). */
export const seededTenants = ['acme', 'globex'] as const;
export const seededRegions = ['APAC', 'EMEA', 'AMER'] as const;

export interface SecuredApi<K extends string> {
  url: string;
  app: Api;
  config: Config;
  keys: Record<K, string>;
  pipeline: TestPipeline;
  close(): Promise<void>;
}

/**
 * The real API over a migrated database of its own that holds a day of simulated tickets
 * for two tenants, with the named keys in a key file of its own. `prepare` may add routes
 * before the server starts listening.
 */
export async function startSecuredApi<K extends string>(
  label: string,
  keys: Record<K, Omit<NewKeyOptions, 'id'>>,
  opts: {
    overrides?: Partial<Config>;
    seed?: boolean;
    prepare?: (app: Api, pipeline: TestPipeline) => void;
  } = {},
): Promise<SecuredApi<K>> {
  const pipeline = await startPipeline(label, opts.overrides ? { overrides: opts.overrides } : {});
  const k = testApiKeys(pipeline.config, keys);
  const app = await buildApi({ config: k.config, ch: pipeline.ch, logger: pipeline.logger });
  try {
    if (opts.seed !== false) await seed(pipeline);
    opts.prepare?.(app, pipeline);
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await app.close();
    await pipeline.close();
    k.remove();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config: k.config,
    keys: k.keys,
    pipeline,
    async close() {
      await app.close();
      await pipeline.close();
      k.remove();
    },
  };
}

async function seed(pipeline: TestPipeline): Promise<void> {
  const to = Math.floor(Date.now() / HOUR) * HOUR;
  const producer = await pipeline.bus.createProducer();
  const topic = topicName(pipeline.config, 'ticketEvents');
  const expected = new Map<string, number>();
  for (const [i, tenant] of seededTenants.entries()) {
    const events = ticketsCreatedBetween({ seed: 7 + i, tenant }, to - 24 * HOUR, to);
    expected.set(tenant, new Set(events.map((e) => e.ticketId)).size);
    await emitTicketEvents(producer, topic, events);
  }
  const counts = async () => {
    const rs = await pipeline.ch.query({
      query: 'SELECT tenant, uniqExact(ticket_id) AS n FROM ticket_lifecycle GROUP BY tenant',
      format: 'JSONEachRow',
    });
    const rows = (await rs.json()) as { tenant: string; n: string | number }[];
    return new Map(rows.map((r) => [r.tenant, Number(r.n)]));
  };
  const done = (m: Map<string, number>) => [...expected].every(([t, n]) => m.get(t) === n);
  const got = await eventually(counts, done, 90_000, 500);
  if (!done(got)) {
    throw new Error(
      `seeded tickets did not all arrive: expected ${JSON.stringify([...expected])}, got ${JSON.stringify([...got])}`,
    );
  }
}

// ---- OpenAPI: valid values for a route's parameters, derived from its schema ----------------

export interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  example?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
}

export interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

export interface OpenApiOperation {
  method: string;
  /** The path in Fastify's form (`/v1/x/:id`). */
  url: string;
  /** The path as OpenAPI writes it (`/v1/x/{id}`). */
  path: string;
  parameters: OpenApiParameter[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: OpenApiParameter[] }>>;
}

export function operations(doc: OpenApiDocument): OpenApiOperation[] {
  const ops: OpenApiOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'head', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        url: path.replace(/\{([^}]+)\}/g, ':$1'),
        parameters: op.parameters ?? [],
      });
    }
  }
  return ops;
}

const DAY = 86_400_000;
const isoDate = (t: number) => new Date(t).toISOString().slice(0, 10);
function isoWeek(t: number): string {
  const d = new Date(
    Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth(), new Date(t).getUTCDate()),
  );
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / DAY + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const endNames = /^(to|until|end|before|asOf|at)$/i;

/**
 * A valid value for one parameter: its default or example when the schema has one, else one
 * built from its type, format and name (time ranges end now and start a week earlier), else the
 * first of a few common shapes its pattern accepts.
 */
export function validValue(
  name: string,
  schema: JsonSchema = {},
  ctx: { tenant: string; region: string },
): string {
  if (name === 'tenant') return ctx.tenant;
  if (name === 'region') return ctx.region;
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt?.length) return validValue(name, alt.find((s) => s.type !== 'null') ?? alt[0], ctx);
  if (schema.default !== undefined) return String(schema.default);
  if (schema.examples?.length) return String(schema.examples[0]);
  if (schema.example !== undefined) return String(schema.example);
  if (schema.const !== undefined) return String(schema.const);
  if (schema.enum?.length) return String(schema.enum[0]);
  if (schema.type === 'array' && schema.items) return validValue(name, schema.items, ctx);
  const now = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;
  const at = endNames.test(name) ? now : now - 7 * DAY;
  if (schema.format === 'date-time') return new Date(at).toISOString();
  if (schema.format === 'date') return isoDate(at);
  if (schema.type === 'integer' || schema.type === 'number') {
    const min = typeof schema.minimum === 'number' ? schema.minimum : 1;
    const max = typeof schema.maximum === 'number' ? schema.maximum : Number.MAX_SAFE_INTEGER;
    return String(Math.min(Math.max(min, 1), max));
  }
  if (schema.type === 'boolean') return 'true';
  const candidates = [
    isoWeek(now - 7 * DAY),
    isoDate(at),
    new Date(at).toISOString(),
    ctx.tenant,
    ctx.region,
    'apac-l1',
    'P2',
    '1',
    'x',
  ];
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    const hit = candidates.find((c) => re.test(c));
    if (hit) return hit;
  }
  return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
}

/** A request path with every path parameter and required query parameter filled with a valid value. */
export function validRequest(
  op: OpenApiOperation,
  ctx: { tenant: string; region: string },
  extra: Record<string, string | undefined> = {},
): string {
  let path = op.path;
  const query = new URLSearchParams();
  for (const p of op.parameters) {
    if (p.in === 'path')
      path = path.replace(`{${p.name}}`, encodeURIComponent(validValue(p.name, p.schema, ctx)));
    if (p.in === 'query' && p.required && !(p.name in extra))
      query.set(p.name, validValue(p.name, p.schema, ctx));
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) query.set(k, v);
  const qs = query.toString();
  return qs ? `${path}?${qs}` : path;
}
