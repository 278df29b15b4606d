import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ClickHouseClient, createClickHouse } from '../core/clickhouse.js';
import type { Logger } from '../core/logger.js';
import { sqlDir } from '../core/paths.js';
import { tables } from '../core/tables.js';

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const fileNamePattern = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Splits a migration into statements at semicolons that end a line; comments stay with their statement. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.replace(/--.*$/gm, '').trim().length > 0);
}

export async function loadMigrations(dir = join(sqlDir, 'migrations')): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const m = fileNamePattern.exec(file);
    if (!m) throw new MigrationError(`${file}: migration files are named NNNN_snake_case.sql`);
    const text = await readFile(join(dir, file), 'utf8');
    const version = Number(m[1]);
    if (migrations.some((x) => x.version === version)) {
      throw new MigrationError(`${file}: version ${version} is used twice`);
    }
    migrations.push({
      version,
      name: m[2]!,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    });
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Creates the database if needed and applies pending migrations in order. Idempotent; refuses to
 * run when an applied migration's file has changed since, because the database no longer matches it.
 */
export async function migrate(
  admin: ClickHouseClient,
  db: ClickHouseClient,
  database: string,
  logger: Logger,
  migrations?: Migration[],
): Promise<{ applied: number[]; skipped: number[] }> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new MigrationError(`bad database name ${database}`);
  const all = migrations ?? (await loadMigrations());
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await db.command({
    query: `CREATE TABLE IF NOT EXISTS ${tables.schemaMigrations} (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`,
  });
  const rs = await db.query({
    query: `SELECT version, name, checksum FROM ${tables.schemaMigrations} ORDER BY version`,
    format: 'JSONEachRow',
  });
  const applied = new Map((await rs.json<AppliedRow>()).map((r) => [Number(r.version), r]));

  const result = { applied: [] as number[], skipped: [] as number[] };
  for (const m of all) {
    const done = applied.get(m.version);
    if (done) {
      if (done.checksum !== m.checksum) {
        throw new MigrationError(
          `migration ${m.version}_${m.name} was changed after it was applied (checksum ${done.checksum.slice(0, 12)} in the database, ${m.checksum.slice(0, 12)} on disk); add a new migration instead`,
        );
      }
      result.skipped.push(m.version);
      continue;
    }
    for (const statement of m.statements) await db.command({ query: statement });
    await db.insert({
      table: tables.schemaMigrations,
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    logger.info({ migration: `${m.version}_${m.name}` }, 'applied migration');
    result.applied.push(m.version);
  }
  return result;
}

/**
 * A migration's statement may copy a whole table (0030 rebuilds ticket_events): it is given hours,
 * not the request timeout of the services' reads and writes. A statement the client gave up on
 * would go on running in ClickHouse while the migration, run again, started over beside it.
 */
const MIGRATION_REQUEST_TIMEOUT_MS = 12 * 3_600_000;

/** Migrates the configured database, creating it first; used by `baton migrate` and the tests. */
export async function migrateDatabase(
  config: Parameters<typeof createClickHouse>[0],
  logger: Logger,
): Promise<{ applied: number[]; skipped: number[] }> {
  const migrationConfig = {
    ...config,
    CLICKHOUSE_REQUEST_TIMEOUT_MS: Math.max(
      config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
      MIGRATION_REQUEST_TIMEOUT_MS,
    ),
  };
  const admin = createClickHouse(migrationConfig, { database: null, application: 'baton-migrate' });
  const db = createClickHouse(migrationConfig, { application: 'baton-migrate' });
  try {
    return await migrate(admin, db, config.CLICKHOUSE_DATABASE, logger);
  } finally {
    await Promise.all([admin.close(), db.close()]);
  }
}
