import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecuredApi, startSecuredApi } from '../helpers/api-fixture.js';
import { bearer } from '../helpers/api-keys.js';

// The API's short-lived answer cache (api/response-cache.ts) over the real API and a seeded
// database: identical concurrent questions share one computation, an answer is reused only for the
// same validated question within API_CACHE_SECONDS (and the same representation: the weekly
// review's JSON or page), a key restricted to a region never gets the unrestricted answer, and
// refusals are not kept.

const TTL_SECONDS = 2;
const HOUR = 3_600_000;

let api: SecuredApi<'reader' | 'apac'>;

beforeAll(async () => {
  api = await startSecuredApi(
    'api_cache',
    { reader: { scopes: ['read'] }, apac: { scopes: ['read'], regions: ['APAC'] } },
    { overrides: { API_CACHE_SECONDS: TTL_SECONDS, API_RATE_LIMIT_MAX: 1_000_000 } },
  );
}, 300_000);

afterAll(async () => {
  await api?.close();
});

const to = Math.floor(Date.now() / HOUR) * HOUR;
const range = `from=${new Date(to - 24 * HOUR).toISOString()}&to=${new Date(to).toISOString()}`;

async function get(path: string, key: 'reader' | 'apac' = 'reader', headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}${path}`, { headers: { ...bearer(api.keys[key]), ...headers } });
  return {
    status: res.status,
    cache: res.headers.get('x-baton-cache'),
    type: res.headers.get('content-type'),
    parts: res.headers.get('x-baton-source-parts'),
    body: await res.text(),
  };
}

describe('answer cache', () => {
  it('twenty identical concurrent requests are answered by one computation', async () => {
    const path = `/v1/metrics/handovers?${range}&tenant=acme`;
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(path)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.cache === 'miss')).toHaveLength(1);
    expect(answers.filter((a) => a.cache === 'hit')).toHaveLength(19);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    // Another question is its own computation.
    expect((await get(`/v1/metrics/handovers?${range}&tenant=globex`)).cache).toBe('miss');
  });

  it('an answer is reused within the time to live only', async () => {
    const path = `/v1/metrics/escalations?${range}&interval=hour`;
    expect((await get(path)).cache).toBe('miss');
    expect((await get(path)).cache).toBe('hit');
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 200));
    expect((await get(path)).cache).toBe('miss');
  });

  it('a region-restricted key gets its own answer, never the unrestricted one', async () => {
    const path = `/v1/metrics/backlog?${range}&interval=hour`;
    const all = await get(path);
    const apac = await get(path, 'apac');
    expect(apac.status).toBe(200);
    expect(apac.cache).toBe('miss');
    const regions = (b: string) =>
      (JSON.parse(b) as { series: { region: string }[] }).series.map((s) => s.region).sort();
    expect(regions(all.body)).toEqual(['AMER', 'APAC', 'EMEA']);
    expect(regions(apac.body)).toEqual(['APAC']);
    // The unrestricted caller asking for APAC asks the same question as the restricted key.
    expect((await get(`${path}&region=APAC`)).cache).toBe('hit');
  });

  it('the weekly review: its JSON and its page are two answers, each computed once', async () => {
    const path = '/v1/reviews/weekly?region=EMEA&tenant=acme';
    const json = await Promise.all(Array.from({ length: 5 }, () => get(path)));
    expect(json.map((a) => a.status)).toEqual(Array(5).fill(200));
    expect(json.filter((a) => a.cache === 'miss')).toHaveLength(1);
    expect(json[0]!.type).toMatch(/^application\/json/);
    expect(json[0]!.parts).toMatch(/=(rollup|live|roster)/);
    // Kept with the headers that say where it came from (asked at once: within the time to live).
    const jsonAgain = await get(path);
    expect([jsonAgain.cache, jsonAgain.type, jsonAgain.parts, jsonAgain.body]).toEqual([
      'hit',
      json[0]!.type,
      json[0]!.parts,
      json[0]!.body,
    ]);
    // The same URL asked for by a browser: the page, not the JSON kept a moment ago.
    const page = await get(path, 'reader', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(page.status).toBe(200);
    expect(page.cache).toBe('miss');
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toMatch(/^<!doctype html>/i);
    const again = await get(path, 'reader', { accept: 'text/html' });
    expect([again.cache, again.body]).toEqual(['hit', page.body]);
  });

  it('refusals are not kept', async () => {
    const bad = `/v1/metrics/handovers?from=nonsense&to=${new Date(to).toISOString()}`;
    const first = await get(bad);
    const second = await get(bad);
    expect([first.status, second.status]).toEqual([400, 400]);
    expect(second.cache).not.toBe('hit');
    const denied = await get(`/v1/metrics/handovers?${range}&region=EMEA`, 'apac');
    expect(denied.status).toBe(403);
    expect((await get(`/v1/metrics/handovers?${range}&region=EMEA`, 'apac')).status).toBe(403);
  });
});
