import { type ClickHouseClient, createClickHouse, toClickHouseTime } from '../../core/clickhouse.js';
import { loadMigrations, migrate } from '../../sql/migrate.js';
import { isolatedConfig, testLogger } from './services.js';

/**
 * A database of a test's own migrated up to (not including) `version`, for checking what that
 * migration does to rows of the shape before it: fill it, then `migrateRest()`.
 */
export interface MigrationDatabase {
  ch: ClickHouseClient;
  /** Applies every migration from `version` on: the versions applied and those that were pending. */
  migrateRest(): Promise<{ applied: number[]; pending: number[] }>;
  /** Rows stored in a table (every version, not FINAL) and its newest version. */
  writes(table: string): Promise<{ n: number; version: number }>;
  /** Rows of a JSONCompactEachRow query, numbers given as text turned into numbers. */
  compactRows(query: string, params?: Record<string, unknown>): Promise<unknown[][]>;
  drop(): Promise<void>;
}

export async function migrationDatabase(label: string, version: number): Promise<MigrationDatabase> {
  const config = isolatedConfig(label);
  const logger = testLogger(config, label);
  const admin = createClickHouse(config, { database: null });
  const ch = createClickHouse(config);
  const files = await loadMigrations();
  await migrate(
    admin,
    ch,
    config.CLICKHOUSE_DATABASE,
    logger,
    files.filter((m) => m.version < version),
  );
  return {
    ch,
    async migrateRest() {
      const rest = files.filter((m) => m.version >= version);
      const result = await migrate(admin, ch, config.CLICKHOUSE_DATABASE, logger, rest);
      return { applied: result.applied, pending: rest.map((m) => m.version) };
    },
    async writes(table) {
      const rs = await ch.query({
        query: `SELECT count() AS n, max(version) AS version FROM ${table}`,
        format: 'JSONEachRow',
      });
      const [r] = await rs.json<{ n: string; version: string }>();
      return { n: Number(r!.n), version: Number(r!.version) };
    },
    async compactRows(query, params = {}) {
      const rs = await ch.query({ query, query_params: params, format: 'JSONCompactEachRow' });
      return (await rs.json<unknown[]>()).map((r) =>
        r.map((v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v)),
      );
    },
    async drop() {
      await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
      await Promise.all([admin.close(), ch.close()]);
    },
  };
}

/** An instant as ClickHouse DateTime text, whole seconds (an hour parameter). */
export const hourParam = (ms: number) => toClickHouseTime(ms).slice(0, 19);
