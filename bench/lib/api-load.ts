import autocannon from 'autocannon';
import type { ClickHouseClient } from '../../core/clickhouse.js';
import type { BenchEnvironment } from './environment.js';
import { type BatonProcess, startBaton } from './process.js';
import { sleep } from './stats.js';

export interface EndpointLatency {
  name: string;
  path: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** What answered the first request (`x-baton-source`: rollup | live), when the route says. */
  source: string | null;
  /**
   * Seconds from the load's end until the engine ran no query: the load generator drops its
   * connections when the time is up, but the requests in flight are finished anyway (null when
   * not watched).
   */
  tailSeconds: number | null;
  /** Responses per HTTP status. */
  statusCodes: Record<string, number>;
}

export interface ApiEndpoint {
  name: string;
  /** One path, or several that the load generator cycles through (e.g. different tickets). */
  paths: string[];
}

/** Starts the API process on a free port of the bench's database and waits until it answers. */
export async function startApiProcess(
  env: BenchEnvironment,
  port: number,
  extraEnv: Record<string, string> = {},
): Promise<BatonProcess> {
  const api = startBaton('api', ['api'], env.config, { API_PORT: String(port), ...extraEnv });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return api;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await api.stop();
  throw new Error(`the API did not answer on port ${port} within 30 s`);
}

/**
 * Queries the engine is running on `database` besides the one asking (`system.processes` is
 * server-wide; other databases' work is not the load's): how a load can tell that the requests it
 * dropped are done.
 */
export async function enginesRunningQueries(ch: ClickHouseClient, database: string): Promise<number> {
  const rs = await ch.query({
    query: `SELECT count() AS n FROM system.processes
            WHERE query_id != queryID() AND current_database = {database:String}`,
    query_params: { database },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0);
}

/** Waits until `running` says 0 twice in a row (a request between two queries is not done), at most `maxMs`. */
async function untilIdle(running: () => Promise<number>, maxMs = 30_000): Promise<number> {
  const started = performance.now();
  let idleReads = 0;
  while (idleReads < 2 && performance.now() - started < maxMs) {
    idleReads = (await running()) === 0 ? idleReads + 1 : 0;
    if (idleReads < 2) await sleep(100);
  }
  return (performance.now() - started) / 1000;
}

/**
 * Each endpoint under `connections` concurrent clients for `seconds`, one endpoint at a time. With
 * `running`, each load is followed by a wait until the engine is idle, so that the requests the
 * load generator dropped at its end are not measured as part of the next endpoint.
 */
export async function loadEndpoints(
  baseUrl: string,
  endpoints: ApiEndpoint[],
  opts: {
    connections: number;
    seconds: number;
    headers?: Record<string, string>;
    running?: () => Promise<number>;
  },
): Promise<EndpointLatency[]> {
  const out: EndpointLatency[] = [];
  for (const endpoint of endpoints) {
    // A request the API refuses would measure the refusal: check it answers 2xx first.
    let source: string | null = null;
    for (const path of endpoint.paths.slice(0, 1)) {
      const res = await fetch(`${baseUrl}${path}`, { headers: opts.headers ?? {} });
      if (!res.ok)
        throw new Error(`${endpoint.name}: GET ${path} answered ${res.status}: ${await res.text()}`);
      source ??= res.headers.get('x-baton-source');
      await res.arrayBuffer();
    }
    const result = await autocannon({
      url: baseUrl,
      connections: opts.connections,
      duration: opts.seconds,
      headers: opts.headers ?? {},
      requests: endpoint.paths.map((path) => ({ method: 'GET', path })),
    });
    const tailSeconds = opts.running ? await untilIdle(opts.running) : null;
    out.push({
      name: endpoint.name,
      path: endpoint.paths[0]!,
      requestsPerSecond: result.requests.average,
      // No request finished within the load's seconds: there is no latency to quote (not 0 ms).
      p50Ms: result.requests.total > 0 ? result.latency.p50 : Number.NaN,
      p99Ms: result.requests.total > 0 ? result.latency.p99 : Number.NaN,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
      source,
      tailSeconds,
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats?.count ?? 0]),
      ),
    });
  }
  return out;
}
