import { z } from 'zod';
import type { ClickHouseClient } from '../../core/clickhouse.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';

// Durable state of one connector for one tenant, as text values under keys: a poller's cursor,
// the last-seen snapshot of each record a diffing connector compares against. Stored in the
// `connector_state` table (ReplacingMergeTree keyed by connector, tenant, key; newest version wins).

export interface ConnectorStateStore {
  /** The stored values of these keys; missing keys are absent from the map. */
  get(keys: readonly string[]): Promise<Map<string, string>>;
  /** Durable when it resolves: the insert is synchronous (no async_insert). */
  put(entries: readonly { key: string; value: string }[]): Promise<void>;
}

const rowSchema = z.object({ key: z.string(), value: z.string() });

/** Versions grow with wall time (microseconds) and strictly within a process, so the newest write wins. */
function versionClock(): () => number {
  let last = 0;
  return () => {
    last = Math.max(Date.now() * 1000, last + 1);
    return last;
  };
}

export function clickHouseStateStore(
  client: ClickHouseClient,
  connector: string,
  tenant: string,
): ConnectorStateStore {
  const nextVersion = versionClock();
  const query = readQuery('connector-state');
  return {
    async get(keys) {
      const out = new Map<string, string>();
      // Bounded IN lists keep each query small however large the page.
      for (let i = 0; i < keys.length; i += 1_000) {
        const rs = await client.query({
          query,
          query_params: { connector, tenant, keys: keys.slice(i, i + 1_000) },
          format: 'JSONEachRow',
        });
        for (const row of z.array(rowSchema).parse(await rs.json())) out.set(row.key, row.value);
      }
      return out;
    },
    async put(entries) {
      if (entries.length === 0) return;
      const version = nextVersion();
      await client.insert({
        table: tables.connectorState,
        values: entries.map((e) => ({ connector, tenant, key: e.key, version, value: e.value })),
        format: 'JSONEachRow',
      });
    },
  };
}

/** The same contract in memory, for unit tests and dry runs. */
export function memoryStateStore(initial: Record<string, string> = {}): ConnectorStateStore & {
  readonly data: Map<string, string>;
} {
  const data = new Map(Object.entries(initial));
  return {
    data,
    async get(keys) {
      return new Map(keys.flatMap((k) => (data.has(k) ? [[k, data.get(k)!] as const] : [])));
    },
    async put(entries) {
      for (const e of entries) data.set(e.key, e.value);
    },
  };
}
