// The development ClickHouse engine (chDB behind infra/clickhouse/server.py), exercised with the
// official @clickhouse/client exactly as Baton uses it. Needs the engine at CLICKHOUSE_URL
// (`npm run stack:up`); fails when it is not reachable.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type ClickHouseClient, ClickHouseError, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { seededRandom } from '../../core/random.js';

const config = loadConfig();
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const venvPython = join(repoRoot, '.cache', 'chdb-venv', 'bin', 'python');
const adapterScript = join(repoRoot, 'infra', 'clickhouse', 'server.py');

const uniqueDb = (): string => `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

function connect(
  url: string,
  database?: string,
  extra: Parameters<typeof createClient>[0] = {},
): ClickHouseClient {
  return createClient({
    url,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    request_timeout: config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    // The error cases below are expected; the client would log each of them.
    log: { level: ClickHouseLogLevel.OFF },
    ...(database === undefined ? {} : { database }),
    ...extra,
  });
}

// Deterministic pseudo-random numbers, so the expected values are reproducible.
const rng = seededRandom;

interface TicketRow {
  id: number;
  region: string;
  amount: number;
  created: string;
  tags: string[];
}

const REGIONS = ['APAC', 'EMEA', 'AMER', 'LATAM'] as const;

function makeRows(n: number, seed: number): TicketRow[] {
  const next = rng(seed);
  const base = Date.UTC(2024, 0, 1);
  const rows: TicketRow[] = [];
  for (let i = 0; i < n; i++) {
    const region = REGIONS[Math.floor(next() * REGIONS.length)] ?? 'APAC';
    rows.push({
      id: i + 1,
      region,
      amount: Math.floor(next() * 10_000),
      created: new Date(base + Math.floor(next() * 86_400_000 * 30))
        .toISOString()
        .replace('T', ' ')
        .replace('Z', ''),
      tags: i % 3 === 0 ? ['vip', `t${i % 7}`] : [],
    });
  }
  return rows;
}

const CREATE_TICKETS = `
  CREATE TABLE tickets (
    id UInt64,
    region LowCardinality(String),
    amount UInt32,
    created DateTime64(3, 'UTC'),
    tags Array(String)
  ) ENGINE = MergeTree ORDER BY (region, id)`;

describe('ClickHouse development engine over HTTP (official client)', () => {
  const admin = connect(config.CLICKHOUSE_URL);
  const created: string[] = [];
  let db = '';
  let client: ClickHouseClient;

  beforeAll(async () => {
    const ping = await admin.ping();
    if (!ping.success) {
      throw new Error(
        `ClickHouse is not reachable at ${config.CLICKHOUSE_URL} (start it with \`npm run stack:up\`): ${String(ping.error)}`,
      );
    }
  });

  async function freshDb(): Promise<void> {
    db = uniqueDb();
    created.push(db);
    await admin.command({ query: `CREATE DATABASE ${db}` });
    client = connect(config.CLICKHOUSE_URL, db);
  }

  afterEach(async () => {
    await client?.close();
    for (const name of created.splice(0)) {
      await admin.command({ query: `DROP DATABASE IF EXISTS ${name}` });
    }
  });

  afterAll(async () => {
    await admin.close();
  });

  it('answers /ping and / with "Ok.\\n"', async () => {
    await freshDb();
    expect((await admin.ping()).success).toBe(true);
    for (const path of ['/ping', '/']) {
      const res = await fetch(new URL(path, config.CLICKHOUSE_URL));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('Ok.\n');
    }
  });

  it('runs DDL commands (CREATE, ALTER) and reports them in system tables', async () => {
    await freshDb();
    await client.command({ query: CREATE_TICKETS });
    await client.command({ query: "ALTER TABLE tickets ADD COLUMN note String DEFAULT ''" });
    const cols = await client.query({
      query:
        'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
      query_params: { db, t: 'tickets' },
      format: 'JSONEachRow',
    });
    expect(await cols.json<{ name: string; type: string }>()).toEqual([
      { name: 'id', type: 'UInt64' },
      { name: 'region', type: 'LowCardinality(String)' },
      { name: 'amount', type: 'UInt32' },
      { name: 'created', type: "DateTime64(3, 'UTC')" },
      { name: 'tags', type: 'Array(String)' },
      { name: 'note', type: 'String' },
    ]);
  });

  it('inserts many JSONEachRow rows and aggregates them to the values computed in JS', async () => {
    await freshDb();
    await client.command({ query: CREATE_TICKETS });
    const rows = makeRows(5_000, 42);
    const ins = await client.insert({ table: 'tickets', values: rows, format: 'JSONEachRow' });
    expect(ins.executed).toBe(true);
    expect(ins.summary?.written_rows).toBe('5000');

    const expected = new Map<string, { n: number; total: number; tagged: number }>();
    for (const r of rows) {
      const e = expected.get(r.region) ?? { n: 0, total: 0, tagged: 0 };
      e.n += 1;
      e.total += r.amount;
      e.tagged += r.tags.length;
      expected.set(r.region, e);
    }
    const rs = await client.query({
      query:
        'SELECT region, count() AS n, sum(amount) AS total, sum(length(tags)) AS tagged FROM tickets GROUP BY region ORDER BY region',
      format: 'JSONEachRow',
    });
    const got = await rs.json<{
      region: string;
      n: string | number;
      total: string | number;
      tagged: string | number;
    }>();
    expect(
      got.map((g) => ({
        region: g.region,
        n: Number(g.n),
        total: Number(g.total),
        tagged: Number(g.tagged),
      })),
    ).toEqual(
      [...expected.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([region, e]) => ({ region, n: e.n, total: e.total, tagged: e.tagged })),
    );

    const maxCreated = rows
      .map((r) => r.created)
      .sort()
      .at(-1);
    const last = await client.query({
      query: 'SELECT max(created) AS m FROM tickets',
      format: 'JSONEachRow',
    });
    expect(await last.json<{ m: string }>()).toEqual([{ m: maxCreated }]);
  });

  it('returns JSON, JSONEachRow, JSONCompactEachRow, TabSeparated and CSV', async () => {
    await freshDb();
    const query = "SELECT number AS n, concat('v', toString(number)) AS s FROM system.numbers LIMIT 3";

    const json = await client.query({ query, format: 'JSON' });
    const body = await json.json<{ n: number | string; s: string }>();
    expect(body.meta).toEqual([
      { name: 'n', type: 'UInt64' },
      { name: 's', type: 'String' },
    ]);
    expect(body.rows).toBe(3);
    expect(body.data.map((r) => [Number(r.n), r.s])).toEqual([
      [0, 'v0'],
      [1, 'v1'],
      [2, 'v2'],
    ]);
    expect(json.response_headers['x-clickhouse-format']).toBe('JSON');
    expect(json.response_headers['content-type']).toMatch(/^application\/json/);

    const each = await client.query({ query, format: 'JSONEachRow' });
    expect((await each.json<{ n: number | string; s: string }>()).map((r) => r.s)).toEqual([
      'v0',
      'v1',
      'v2',
    ]);

    const compact = await client.query({ query, format: 'JSONCompactEachRow' });
    expect((await compact.json<[number | string, string]>()).map(([n, s]) => [Number(n), s])).toEqual([
      [0, 'v0'],
      [1, 'v1'],
      [2, 'v2'],
    ]);

    const tsv = await client.query({ query, format: 'TabSeparated' });
    expect(await tsv.text()).toBe('0\tv0\n1\tv1\n2\tv2\n');
    expect(tsv.response_headers['content-type']).toMatch(/^text\/tab-separated-values/);

    const csv = await client.query({ query, format: 'CSVWithNames' });
    expect(await csv.text()).toBe('"n","s"\n0,"v0"\n1,"v1"\n2,"v2"\n');
    const csvPlain = await client.query({ query, format: 'CSV' });
    expect(await csvPlain.text()).toBe('0,"v0"\n1,"v1"\n2,"v2"\n');
  });

  it('binds query parameters of type String, UInt32, DateTime64(3) and Array(String)', async () => {
    await freshDb();
    const tricky = "it's a \\ back\tslash\nand 'quotes' — ünïcødé";
    const when = new Date(Date.UTC(2024, 2, 5, 6, 7, 8, 123));
    const rs = await client.query({
      query: `SELECT {s:String} AS s, {u:UInt32} + 1 AS u, {d:DateTime64(3)} AS d, toUnixTimestamp64Milli({d:DateTime64(3)}) AS ms,
        {ds:DateTime64(3)} AS ds, {a:Array(String)} AS a, length({a:Array(String)}) AS al`,
      query_params: {
        s: tricky,
        u: 4_294_967_294,
        d: when,
        ds: '2024-03-05 06:07:08.123',
        a: ['x', "y'z", 'w\\v', ''],
      },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{
      s: string;
      u: number | string;
      d: string;
      ms: number | string;
      ds: string;
      a: string[];
      al: number | string;
    }>();
    expect(row?.s).toBe(tricky);
    expect(Number(row?.u)).toBe(4_294_967_295);
    expect(row?.d).toBe('2024-03-05 06:07:08.123');
    expect(Number(row?.ms)).toBe(when.getTime());
    expect(row?.ds).toBe('2024-03-05 06:07:08.123');
    expect(row?.a).toEqual(['x', "y'z", 'w\\v', '']);
    expect(Number(row?.al)).toBe(4);
  });

  it('applies clickhouse_settings to that query only', async () => {
    await freshDb();
    const big = 1_234_567_890_123;
    const q = (settings?: Record<string, 0 | 1>) =>
      client
        .query({
          query: `SELECT toUInt64(${big}) AS v`,
          format: 'JSONEachRow',
          clickhouse_settings: settings ?? {},
        })
        .then((r) => r.json<{ v: number | string }>());

    const before = await q();
    expect(await q({ output_format_json_quote_64bit_integers: 1 })).toEqual([{ v: String(big) }]);
    expect(await q({ output_format_json_quote_64bit_integers: 0 })).toEqual([{ v: big }]);
    expect(await q()).toEqual(before);

    const setting = (s: Record<string, number>) =>
      client
        .query({
          query: "SELECT getSetting('max_execution_time') AS t",
          format: 'JSONEachRow',
          clickhouse_settings: s,
        })
        .then((r) => r.json<{ t: number | string }>())
        .then((rows) => Number(rows[0]?.t));
    expect(await setting({ max_execution_time: 7 })).toBe(7);
    expect(await setting({})).toBe(0);

    // Settings the client sends for inserts are accepted.
    await client.command({ query: 'CREATE TABLE s (t DateTime) ENGINE = MergeTree ORDER BY t' });
    await client.insert({
      table: 's',
      values: [{ t: '2024-05-06T07:08:09Z' }],
      format: 'JSONEachRow',
      clickhouse_settings: {
        async_insert: 1,
        wait_for_async_insert: 1,
        date_time_input_format: 'best_effort',
      },
    });
    const s = await client.query({ query: 'SELECT toString(t) AS t FROM s', format: 'JSONEachRow' });
    expect(await s.json()).toEqual([{ t: '2024-05-06 07:08:09' }]);

    // An unknown setting fails as in ClickHouse.
    const err = await client
      .query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting_xyz: 1 } as Record<string, number> })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe('115');
  });

  it('selects the database given to the client', async () => {
    await freshDb();
    await client.command({ query: 'CREATE TABLE here (x UInt8) ENGINE = Memory' });
    await client.insert({ table: 'here', values: [{ x: 7 }], format: 'JSONEachRow' });
    const rs = await client.query({
      query: 'SELECT currentDatabase() AS d, sum(x) AS s FROM here',
      format: 'JSONEachRow',
    });
    expect(await rs.json<{ d: string; s: number | string }>()).toEqual([{ d: db, s: expect.anything() }]);
    const other = await admin.query({ query: 'SELECT currentDatabase() AS d', format: 'JSONEachRow' });
    expect(await other.json()).toEqual([{ d: 'default' }]);
    const missing = await connect(config.CLICKHOUSE_URL, `${db}_missing`)
      .query({ query: 'SELECT 1' })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ClickHouseError);
    expect((missing as ClickHouseError).code).toBe('81');
  });

  it('echoes the query_id and sends a summary', async () => {
    await freshDb();
    const id = `baton-test-${randomUUID()}`;
    const rs = await client.query({
      query: 'SELECT number FROM numbers(10)',
      query_id: id,
      format: 'JSONEachRow',
    });
    expect(rs.query_id).toBe(id);
    expect(rs.response_headers['x-clickhouse-query-id']).toBe(id);
    expect(rs.response_headers['x-clickhouse-timezone']).toBe('UTC');
    expect(await rs.json()).toHaveLength(10);
    const cmd = await client.command({
      query: 'CREATE TABLE q (x UInt8) ENGINE = Memory',
      query_id: `${id}-c`,
    });
    expect(cmd.query_id).toBe(`${id}-c`);
    const summary = JSON.parse(String(rs.response_headers['x-clickhouse-summary'])) as Record<
      string,
      unknown
    >;
    expect(Object.keys(summary).sort()).toEqual(
      [
        'elapsed_ns',
        'read_bytes',
        'read_rows',
        'result_bytes',
        'result_rows',
        'total_rows_to_read',
        'written_bytes',
        'written_rows',
      ].sort(),
    );
    expect(Object.values(summary).every((v) => typeof v === 'string')).toBe(true);
    expect(summary.result_rows).toBe('10');
  });

  it('turns server errors into ClickHouseError with the right code', async () => {
    await freshDb();
    const syntax = await client.query({ query: 'SELEC 1' }).catch((e: unknown) => e);
    expect(syntax).toBeInstanceOf(ClickHouseError);
    expect((syntax as ClickHouseError).code).toBe('62');
    expect((syntax as ClickHouseError).type).toBe('SYNTAX_ERROR');
    expect((syntax as ClickHouseError).message).toContain('Syntax error');

    const table = await client.query({ query: 'SELECT * FROM no_such_table' }).catch((e: unknown) => e);
    expect(table).toBeInstanceOf(ClickHouseError);
    expect((table as ClickHouseError).code).toBe('60');
    expect((table as ClickHouseError).type).toBe('UNKNOWN_TABLE');
    expect((table as ClickHouseError).message).toContain('no_such_table');

    await client.command({ query: 'CREATE TABLE n (x UInt32) ENGINE = MergeTree ORDER BY x' });
    const parse = await client
      .insert({ table: 'n', values: [{ x: 1 }, { x: 'not a number' }], format: 'JSONEachRow' })
      .catch((e: unknown) => e);
    expect(parse).toBeInstanceOf(ClickHouseError);
    expect(Number((parse as ClickHouseError).code)).toBeGreaterThan(0);

    const multi = await client.command({ query: 'SELECT 1; SELECT 2' }).catch((e: unknown) => e);
    expect((multi as ClickHouseError).code).toBe('62');

    // The connection stays usable after errors.
    const ok = await client.query({ query: 'SELECT 41 + 1 AS x', format: 'JSONEachRow' });
    expect(await ok.json()).toEqual([{ x: 42 }]);
  });

  it('streams exec bodies in both directions', async () => {
    await freshDb();
    await client.command({ query: 'CREATE TABLE e (n UInt64, s String) ENGINE = MergeTree ORDER BY n' });
    const n = 20_000;
    function* lines(): Generator<string> {
      for (let i = 0; i < n; i++) yield `${JSON.stringify({ n: i, s: `row-${i}` })}\n`;
    }
    const ins = await client.exec({
      query: 'INSERT INTO e FORMAT JSONEachRow',
      values: Readable.from(lines()),
    });
    ins.stream.resume();
    await new Promise((resolve) => ins.stream.on('end', resolve));

    const out = await client.exec({ query: 'SELECT n, s FROM e ORDER BY n FORMAT TabSeparated' });
    let text = '';
    for await (const chunk of out.stream) text += String(chunk);
    const parsed = text
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(parsed).toHaveLength(n);
    expect(parsed.reduce((acc, [num]) => acc + Number(num), 0)).toBe((n * (n - 1)) / 2);
    expect(parsed[n - 1]).toEqual([String(n - 1), `row-${n - 1}`]);
  });

  it('serves 20 concurrent queries correctly', async () => {
    await freshDb();
    await client.command({ query: 'CREATE TABLE c (k UInt32, v UInt64) ENGINE = MergeTree ORDER BY k' });
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const size = 1_000 + i * 137;
        if (i % 4 === 0) {
          await client.insert({
            table: 'c',
            values: Array.from({ length: 100 }, (_, j) => ({ k: i, v: j })),
            format: 'JSONEachRow',
          });
        }
        const rs = await client.query({
          query: 'SELECT sum(number) AS s, {i:UInt32} AS i FROM numbers({n:UInt32})',
          query_params: { n: size, i },
          query_id: `conc-${i}-${randomUUID()}`,
          clickhouse_settings: { output_format_json_quote_64bit_integers: i % 2 === 0 ? 1 : 0 },
          format: 'JSONEachRow',
        });
        const [row] = await rs.json<{ s: string | number; i: number }>();
        return { i, size, row, quoted: typeof row?.s === 'string' };
      }),
    );
    for (const { i, size, row, quoted } of results) {
      expect(row?.i).toBe(i);
      expect(Number(row?.s)).toBe((size * (size - 1)) / 2);
      expect(quoted).toBe(i % 2 === 0);
    }
    const total = await client.query({
      query: 'SELECT count() AS n, sum(v) AS s FROM c',
      format: 'JSONEachRow',
    });
    expect(
      (await total.json<{ n: number | string; s: number | string }>()).map((r) => [Number(r.n), Number(r.s)]),
    ).toEqual([[500, 5 * ((99 * 100) / 2)]]);
  });

  it('handles gzip request and response compression', async () => {
    await freshDb();
    const gz = connect(config.CLICKHOUSE_URL, db, { compression: { request: true, response: true } });
    try {
      await gz.command({ query: 'CREATE TABLE z (x UInt32) ENGINE = MergeTree ORDER BY x' });
      const values = Array.from({ length: 3_000 }, (_, i) => ({ x: i * 3 }));
      await gz.insert({ table: 'z', values, format: 'JSONEachRow' });
      const rs = await gz.query({ query: 'SELECT x FROM z ORDER BY x', format: 'JSONCompactEachRow' });
      const got = await rs.json<[number]>();
      expect(got.map(([x]) => x)).toEqual(values.map((v) => v.x));
    } finally {
      await gz.close();
    }
  });

  it('inserts 100k rows quickly', async () => {
    await freshDb();
    await client.command({ query: CREATE_TICKETS });
    const rows = makeRows(100_000, 7);
    const t0 = performance.now();
    await client.insert({ table: 'tickets', values: rows, format: 'JSONEachRow' });
    const ms = performance.now() - t0;
    console.info(`[clickhouse-engine] inserted 100k JSONEachRow rows in ${ms.toFixed(0)} ms`);
    const rs = await client.query({
      query: 'SELECT count() AS n, sum(amount) AS s FROM tickets',
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: number | string; s: number | string }>();
    expect(Number(row?.n)).toBe(100_000);
    expect(Number(row?.s)).toBe(rows.reduce((a, r) => a + r.amount, 0));
    expect(ms).toBeLessThan(30_000);
  });
});

/** A private adapter on `dataDir`; `log()` is what it wrote to stderr so far (a line per request). */
async function spawnAdapter(
  dataDir: string,
  extraArgs: string[] = [],
): Promise<{ proc: ChildProcess; url: string; log: () => string }> {
  if (!existsSync(venvPython)) {
    throw new Error(`${venvPython} is missing: run \`npm run setup\` (creates the chDB venv)`);
  }
  const proc = spawn(
    venvPython,
    [adapterScript, '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`adapter did not start:\n${log}`)), 60_000);
    proc.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`adapter exited with ${code}:\n${log}`));
    });
  });
  return { proc, url, log: () => log };
}

describe('ClickHouse development engine persistence', () => {
  let child: ChildProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-chdb-'));

  async function startAdapter(): Promise<{ proc: ChildProcess; url: string }> {
    const started = await spawnAdapter(dataDir);
    child = started.proc;
    return started;
  }

  async function stopAdapter(proc: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    const code = await exited;
    child = undefined;
    return code;
  }

  afterAll(async () => {
    if (child && child.exitCode === null) await stopAdapter(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps data written before a restart', async () => {
    const db = uniqueDb();
    const rows = makeRows(2_000, 99);
    const first = await startAdapter();
    const c1 = connect(first.url);
    await c1.command({ query: `CREATE DATABASE ${db}` });
    await c1.command({ query: CREATE_TICKETS.replace('TABLE tickets', `TABLE ${db}.tickets`) });
    await c1.insert({ table: `${db}.tickets`, values: rows, format: 'JSONEachRow' });
    await c1.close();

    // A second adapter on the same data directory is refused while the first runs.
    const second = spawn(venvPython, [adapterScript, '--port', '0', '--data-dir', dataDir], {
      stdio: 'ignore',
    });
    expect(await new Promise((resolve) => second.once('exit', resolve))).not.toBe(0);

    expect(await stopAdapter(first.proc)).toBe(0);

    const again = await startAdapter();
    const c2 = connect(again.url, db);
    const rs = await c2.query({
      query: 'SELECT count() AS n, sum(amount) AS s FROM tickets',
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: number | string; s: number | string }>();
    expect(Number(row?.n)).toBe(rows.length);
    expect(Number(row?.s)).toBe(rows.reduce((a, r) => a + r.amount, 0));
    await c2.command({ query: `DROP DATABASE ${db}` });
    await c2.close();
    expect(await stopAdapter(again.proc)).toBe(0);
  });
});

describe('ClickHouse development engine: reads whose client hung up', () => {
  // One query slot, so that a read can be made to wait for it while its client goes away; the
  // adapter's log lines (one per request, with its status and query id) say what ran.
  let proc: ChildProcess | undefined;
  let log: () => string = () => '';
  let url = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-chdb-cancel-'));

  beforeAll(async () => {
    const started = await spawnAdapter(dataDir, ['--max-concurrent', '1']);
    proc = started.proc;
    url = started.url;
    log = started.log;
  }, 90_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const statusOf = (queryId: string): string | undefined =>
    new RegExp(`^\\S+ (?:GET|POST) (\\d+) \\S+ query_id=${queryId} `, 'm').exec(log())?.[1];

  it('a read waiting for a slot is not run once its client left, when it asked for that', async () => {
    const ch = connect(url);
    const busy = `busy_${randomUUID()}`;
    const asked = `asked_${randomUUID()}`;
    const unasked = `unasked_${randomUUID()}`;
    // Holds the only slot for about 2 s.
    const holding = ch.command({
      query: 'SELECT sleepEachRow(0.25) FROM numbers(8) FORMAT Null',
      query_id: busy,
      clickhouse_settings: { max_block_size: '1' },
    });
    await new Promise((r) => setTimeout(r, 300));
    const abandoned = (queryId: string, settings: Record<string, number>) => {
      const controller = new AbortController();
      const done = ch
        .query({
          query: `SELECT '${queryId}' AS marker`,
          query_id: queryId,
          format: 'JSONEachRow',
          abort_signal: controller.signal,
          clickhouse_settings: settings,
        })
        .then(
          () => 'answered',
          (err: Error) => err.message,
        );
      setTimeout(() => controller.abort(), 300);
      return done;
    };
    const [askedOutcome, unaskedOutcome] = await Promise.all([
      abandoned(asked, { cancel_http_readonly_queries_on_client_close: 1 }),
      abandoned(unasked, {}),
    ]);
    await holding;
    expect(askedOutcome).toMatch(/abort/i);
    expect(unaskedOutcome).toMatch(/abort/i);
    // Both waited for the slot; the adapter writes a request's line when it is done with it.
    const deadline = Date.now() + 15_000;
    while ((statusOf(asked) === undefined || statusOf(unasked) === undefined) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(statusOf(busy)).toBe('200');
    // Not run (logged as 499, client closed request), as ClickHouse cancels it with the setting.
    expect(statusOf(asked)).toBe('499');
    // Without the setting, ClickHouse runs a read to the end even when nobody waits: so does the
    // adapter (its answer then has nowhere to go: an error status, but not 499).
    expect(statusOf(unasked)).toBeDefined();
    expect(statusOf(unasked)).not.toBe('499');
    // And the slot is free for the next one.
    const rs = await ch.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ one: 1 }]);
    await ch.close();
  }, 60_000);
});
