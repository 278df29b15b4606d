import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../core/config.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import { createMessageBus, type MessageBus } from '../../core/kafka.js';
import { allTopics } from '../../core/topics.js';
import { fixtureMappings } from '../../ingest/connectors/shared/fixture-mappings.js';
import { buildGateway, type Gateway } from '../../ingest/gateway/app.js';
import { ticketsCreatedBetween } from '../../ingest/simulator/tickets.js';
import { createEventSink, type EventSink } from '../../ingest/sink.js';
import { bearer, testApiKeys } from '../helpers/api-keys.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

// The ingest gateway takes the keys of INGEST_API_KEYS and the `ingest`-scoped keys of the API
// key file, over real HTTP into the real Kafka; a tenant-restricted key writes only its tenants.

let config: Config;
let bus: MessageBus;
let sink: EventSink;
let gateway: Gateway;
let url: string;
let keys: Record<'feed' | 'acmeFeed' | 'apacFeed' | 'reader' | 'admin', string>;
let removeKeys: () => void;

beforeAll(async () => {
  const base = isolatedConfig('gateway_keys', { INGEST_API_KEYS: ['legacy-env-key'] });
  const k = testApiKeys(base, {
    feed: { scopes: ['ingest'] },
    acmeFeed: { scopes: ['ingest'], tenants: ['acme'] },
    apacFeed: { scopes: ['ingest'], regions: ['APAC'] },
    reader: { scopes: ['read'] },
    admin: { scopes: ['admin'] },
  });
  ({ config, keys } = k);
  removeKeys = k.remove;
  const logger = testLogger(config, 'gateway-keys');
  bus = createMessageBus(config, logger, { retries: 2 });
  await bus.ensureTopics(allTopics(config));
  sink = createEventSink(config, bus, logger);
  gateway = await buildGateway({ config, sink, mappings: fixtureMappings(), logger });
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  const address = gateway.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await gateway?.close();
  await sink?.close();
  await bus?.deleteTopics(allTopics(config).map((t) => t.name));
  await bus?.close();
  removeKeys?.();
});

const hour = 3_600_000;
function events(tenant: string, n: number, seed: number): TicketEvent[] {
  const to = Date.UTC(2026, 2, 2, 12);
  return ticketsCreatedBetween({ seed, tenant, source: `keys${seed}` }, to - 3 * hour, to)
    .filter((e) => e.type === 'ticket.created')
    .slice(0, n);
}

async function post(headers: Record<string, string>, body: unknown) {
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('ingest gateway keys', () => {
  it('accepts INGEST_API_KEYS and ingest/admin keys of the key file; refuses the rest', async () => {
    const batch = (seed: number) => events('acme', 2, seed);
    expect((await post({}, batch(1))).status).toBe(401);
    expect((await post(bearer('not-a-key'), batch(1))).status).toBe(401);
    expect((await post(bearer('legacy-env-key'), batch(1))).status).toBe(200);
    expect((await post({ 'x-api-key': keys.feed }, batch(2))).status).toBe(200);
    expect((await post(bearer(keys.admin), batch(3))).status).toBe(200);
    const reader = await post(bearer(keys.reader), batch(4));
    expect(reader).toEqual({
      status: 403,
      body: { error: 'forbidden', message: 'this API key lacks the "ingest" scope' },
    });
  });

  it('lets a tenant-restricted key write only its tenants, naming each refused event', async () => {
    const acme = events('acme', 2, 11);
    const globex = events('globex', 1, 12);
    expect(acme).toHaveLength(2);
    expect(globex).toHaveLength(1);
    expect(await post(bearer(keys.acmeFeed), acme)).toMatchObject({ status: 200, body: { accepted: 2 } });

    const mixed = await post(bearer(keys.acmeFeed), { events: [...events('acme', 1, 13), ...globex] });
    expect(mixed.status).toBe(207);
    expect(mixed.body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [
        {
          index: 1,
          eventId: globex[0]!.eventId,
          problems: [{ path: 'events[1].tenant', message: 'this API key may only write tenants "acme"' }],
        },
      ],
    });
    expect((await post(bearer(keys.acmeFeed), globex)).status).toBe(400);
    // The unrestricted key writes any tenant.
    expect((await post(bearer(keys.feed), globex)).status).toBe(200);
    // A region cannot be enforced at ingest, so a region-restricted key writes nothing.
    expect(await post(bearer(keys.apacFeed), events('acme', 1, 14))).toEqual({
      status: 403,
      body: {
        error: 'forbidden',
        message: 'a region-restricted API key cannot ingest; restrict it by tenant',
      },
    });
  });
});
