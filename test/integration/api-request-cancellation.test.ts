import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancellableClient } from '../../api/request-cancellation.js';
import { type SecuredApi, startSecuredApi } from '../helpers/api-fixture.js';
import { bearer } from '../helpers/api-keys.js';

// A request whose caller closes the connection has its ClickHouse queries cancelled
// (api/request-cancellation.ts), over the real API and the real engine: a read of about 3 s made
// for a caller who leaves after 0.3 s ends as soon as the caller left, and a caller who stays
// gets the whole answer. A
// route added here reads through the same wrapper the API's routes get.

let api: SecuredApi<'reader'>;
const outcomes: { path: string; ms: number; error: string | null }[] = [];

const slowRead = 'SELECT count() AS n FROM numbers(12) WHERE sleepEachRow(0.25) = 0';

beforeAll(async () => {
  api = await startSecuredApi(
    'api_cancel',
    { reader: { scopes: ['read'] } },
    {
      seed: false,
      overrides: { API_RATE_LIMIT_MAX: 1_000_000 },
      prepare: (app, pipeline) => {
        const ch = cancellableClient(pipeline.ch);
        app.get('/v1/metrics/test-slow-read', async (req) => {
          const started = performance.now();
          try {
            const rs = await ch.query({
              query: slowRead,
              format: 'JSONEachRow',
              clickhouse_settings: { max_block_size: '1' },
            });
            const rows = await rs.json<{ n: number }>();
            outcomes.push({ path: req.url, ms: performance.now() - started, error: null });
            return rows[0];
          } catch (err) {
            outcomes.push({ path: req.url, ms: performance.now() - started, error: (err as Error).message });
            throw err;
          }
        });
      },
    },
  );
}, 300_000);

afterAll(async () => {
  await api?.close();
});

describe('abandoned requests', () => {
  it("a caller who leaves: the request's query is cancelled at once", async () => {
    const controller = new AbortController();
    const path = '/v1/metrics/test-slow-read?caller=leaves';
    const request = fetch(`${api.url}${path}`, {
      headers: bearer(api.keys.reader),
      signal: controller.signal,
    }).catch((err: Error) => err.name);
    setTimeout(() => controller.abort(), 300);
    expect(await request).toBe('AbortError');
    const deadline = Date.now() + 10_000;
    while (!outcomes.some((o) => o.path === path) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const outcome = outcomes.find((o) => o.path === path);
    expect(outcome?.error).toMatch(/abort|closed the connection/i);
    // The read takes 3 s when it runs to the end (the next case): it ended soon after 0.3 s.
    expect(outcome!.ms).toBeLessThan(2_000);
  });

  it('a caller who stays gets the whole answer', async () => {
    const path = '/v1/metrics/test-slow-read?caller=stays';
    const res = await fetch(`${api.url}${path}`, { headers: bearer(api.keys.reader) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ n: 12 });
    const outcome = outcomes.find((o) => o.path === path);
    expect(outcome?.error).toBeNull();
    expect(outcome!.ms).toBeGreaterThanOrEqual(2_500);
  });
});
