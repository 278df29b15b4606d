import { expect } from 'vitest';
import { type Api, buildApi } from '../../api/app.js';
import type { ClickHouseClient } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { readKey } from './api-keys.js';

// Two APIs over one database, served over HTTP: one reading the rollups, one answering every
// request live (API_READ_ROLLUPS=false). The live queries are checked against independent folds
// elsewhere, so the live answer is the rollup answer's reference.

export type Which = 'rollup' | 'live';

export interface Answer {
  /** `x-baton-source` of the response ('' when the route does not say). */
  source: string;
  /** Every `x-baton-*` header, for the routes that say more (e.g. the parts of a review). */
  headers: Record<string, string>;
  body: unknown;
}

export interface Comparison {
  /** What is compared of a body (default: the body with its floats rounded). */
  comparable?: (body: unknown) => unknown;
  /**
   * Asks both again when they differ, up to this many times in all (default 1): for answers
   * about "now", where something may fall due between the two requests.
   */
  attempts?: number;
}

export interface RollupAndLiveApis {
  /** GET a path of one of the two; anything but 200 throws with the body. */
  get(which: Which, path: string, query?: Record<string, string>): Promise<Answer>;
  /** The rollup API's answer, checked to come from the rollups and to equal the live API's. */
  same(path: string, query?: Record<string, string>, opts?: Comparison): Promise<unknown>;
  close(): Promise<void>;
}

async function listen(api: Api): Promise<string> {
  await api.listen({ host: '127.0.0.1', port: 0 });
  const addr = api.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('the API has no port');
  return `http://127.0.0.1:${addr.port}`;
}

/** Both APIs over a test pipeline's database, with a read key of its own. */
export async function startRollupAndLiveApis(
  pipeline: { config: Config; ch: ClickHouseClient; logger: Logger },
  opts: {
    /** Settings of both APIs besides the pipeline's (e.g. a calendars file). */
    config?: Partial<Config>;
    /** The rollup API's clock (its watermark lag check), when the test moves time. */
    rollupNow?: () => number;
  } = {},
): Promise<RollupAndLiveApis> {
  const key = readKey({ ...pipeline.config, ...opts.config });
  const { ch, logger } = pipeline;
  const apis: Record<Which, Api> = {
    rollup: await buildApi({
      config: { ...key.config, API_READ_ROLLUPS: true },
      ch,
      logger,
      ...(opts.rollupNow ? { now: opts.rollupNow } : {}),
    }),
    live: await buildApi({ config: { ...key.config, API_READ_ROLLUPS: false }, ch, logger }),
  };
  const bases: Record<Which, string> = { rollup: await listen(apis.rollup), live: await listen(apis.live) };
  const compare = async (path: string, query: Record<string, string>, expected: string, opts: Comparison) => {
    const comparable = opts.comparable ?? ((body: unknown) => roundedFloats(body));
    for (let attempt = 1; ; attempt++) {
      const [r, l] = [await pair.get('rollup', path, query), await pair.get('live', path, query)];
      expect([path, query, r.source, l.source]).toEqual([path, query, expected, 'live']);
      const [a, b] = [comparable(r.body), comparable(l.body)];
      if (attempt < (opts.attempts ?? 1) && JSON.stringify(a) !== JSON.stringify(b)) continue;
      expect(a, `${path} ${JSON.stringify(query)}`).toEqual(b);
      return r.body;
    }
  };
  const pair: RollupAndLiveApis = {
    same: (path, query = {}, opts = {}) => compare(path, query, 'rollup', opts),
    async get(which, path, query = {}) {
      const search = new URLSearchParams(query).toString();
      const url = `${bases[which]}${path}${search ? `${path.includes('?') ? '&' : '?'}${search}` : ''}`;
      const res = await fetch(url, { headers: key.headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${which} ${path} ${search}: ${res.status} ${text}`);
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        if (k.startsWith('x-baton-')) headers[k] = v;
      });
      return { source: res.headers.get('x-baton-source') ?? '', headers, body: JSON.parse(text) };
    },
    async close() {
      await apis.rollup.close();
      await apis.live.close();
    },
  };
  return pair;
}

/**
 * A body with its non-integer numbers rounded (sums in another order differ in the last bits);
 * `replace` may rewrite any other key first (e.g. an instant that differs between two requests).
 */
export function roundedFloats(
  body: unknown,
  opts: { places?: number; replace?: (key: string, value: unknown) => unknown } = {},
): unknown {
  const scale = 10 ** (opts.places ?? 6);
  return JSON.parse(JSON.stringify(body), (key, value) => {
    const v = opts.replace ? opts.replace(key, value) : value;
    return typeof v !== 'number' || Number.isInteger(v) ? v : Math.round(v * scale) / scale;
  });
}
