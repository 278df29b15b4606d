import { afterAll, describe, expect, it } from 'vitest';
import { createClickHouse } from '../../core/clickhouse.js';
import { tables } from '../../core/tables.js';
import { loadMigrations, MigrationError, migrate, migrateDatabase } from '../../sql/migrate.js';
import { isolatedConfig, testLogger } from '../helpers/services.js';

const config = isolatedConfig('migrations');
const logger = testLogger(config, 'migrations');
const admin = createClickHouse(config, { database: null });
const db = createClickHouse(config);

afterAll(async () => {
  await admin.command({ query: `DROP DATABASE IF EXISTS ${config.CLICKHOUSE_DATABASE}` });
  await Promise.all([admin.close(), db.close()]);
});

describe('migration runner', () => {
  it('applies every migration once, then nothing, and leaves every registered table', async () => {
    const files = await loadMigrations();
    expect(files.map((m) => m.version)).toEqual(files.map((_, i) => i + 1));

    const first = await migrateDatabase(config, logger);
    expect(first).toEqual({ applied: files.map((m) => m.version), skipped: [] });
    const second = await migrateDatabase(config, logger);
    expect(second).toEqual({ applied: [], skipped: files.map((m) => m.version) });

    const rs = await db.query({
      query: 'SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name',
      query_params: { db: config.CLICKHOUSE_DATABASE },
      format: 'JSONEachRow',
    });
    const found = await rs.json<{ name: string; engine: string }>();
    const names = found.filter((r) => r.engine !== 'MaterializedView').map((r) => r.name);
    expect(names).toEqual(Object.values(tables).sort());
    // The views that fill the recent and open copies of the per-ticket tables (0012_api_rollups.sql,
    // 0013_more_rollups.sql).
    const views = found.filter((r) => r.engine === 'MaterializedView').map((r) => r.name);
    expect(views).toEqual([
      'field_job_facts_recent_mv',
      'ticket_facts_open_mv',
      'ticket_facts_recent_mv',
      'ticket_lifecycle_recent_mv',
      'ticket_sla_open_mv',
      'ticket_sla_recent_mv',
    ]);

    const applied = await db.query({
      query: `SELECT version, checksum FROM ${tables.schemaMigrations} ORDER BY version`,
      format: 'JSONEachRow',
    });
    expect(await applied.json()).toEqual(files.map((m) => ({ version: m.version, checksum: m.checksum })));
  });

  it('refuses to run when an applied migration was edited, and names it', async () => {
    const files = await loadMigrations();
    const edited = files.map((m, i) => (i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m));
    const run = migrate(admin, db, config.CLICKHOUSE_DATABASE, logger, edited);
    await expect(run).rejects.toThrow(MigrationError);
    await expect(migrate(admin, db, config.CLICKHOUSE_DATABASE, logger, edited)).rejects.toThrow(
      /migration 1_ticket_events was changed after it was applied/,
    );
  });

  it('stops at a failing statement and records nothing for that migration', async () => {
    const files = await loadMigrations();
    const broken = [
      ...files,
      {
        version: 99,
        name: 'broken',
        checksum: 'x',
        statements: ['CREATE TABLE nope (a UInt8) ENGINE = NoSuchEngine'],
      },
    ];
    await expect(migrate(admin, db, config.CLICKHOUSE_DATABASE, logger, broken)).rejects.toThrow(
      /NoSuchEngine|engine/i,
    );
    const rs = await db.query({
      query: `SELECT count() AS n FROM ${tables.schemaMigrations} WHERE version = 99`,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ n: 0 }]);
  });
});
