import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { Config } from './config.js';

export type { ClickHouseClient };

type ClickHouseConfig = Pick<
  Config,
  | 'CLICKHOUSE_URL'
  | 'CLICKHOUSE_USER'
  | 'CLICKHOUSE_PASSWORD'
  | 'CLICKHOUSE_DATABASE'
  | 'CLICKHOUSE_REQUEST_TIMEOUT_MS'
>;

/**
 * A client bound to Baton's database. `database: null` gives one bound to `default`, which the
 * migration runner needs to create the database itself.
 */
export function createClickHouse(
  config: ClickHouseConfig,
  opts: { database?: string | null; application?: string } = {},
): ClickHouseClient {
  const database = opts.database === undefined ? config.CLICKHOUSE_DATABASE : (opts.database ?? 'default');
  return createClient({
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    database,
    application: opts.application ?? 'baton',
    request_timeout: config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    // Every failure reaches the caller as an error that Baton logs or answers with itself; the
    // client's own log lines would say it twice, outside the JSON logs.
    log: { level: ClickHouseLogLevel.OFF },
    clickhouse_settings: {
      // Rows must be durable and visible when the insert returns: offsets are committed after it.
      async_insert: 0,
      date_time_input_format: 'best_effort',
      output_format_json_quote_64bit_integers: 0,
      // Reads of ReplacingMergeTree tables use FINAL, and with FINAL the engine leaves every
      // condition in WHERE unless told otherwise: it then reads every column of each selected
      // granule before filtering (a rollup's arrays of instants included). Told to, it moves only
      // conditions on sorting-key columns, which keep or drop all of a key's rows together, so
      // FINAL's answer is the same.
      optimize_move_to_prewhere_if_final: 1,
    },
  });
}

const DAY_MS = 86_400_000;
/** The last day formatted: rows written together mostly fall on few days. */
let cachedDay = Number.NaN;
let cachedDayText = '';
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * ClickHouse DateTime64(3) text in UTC, the form its parsers and query parameters accept.
 * Every derived row holds several instants, so the transforms call this millions of times; instead
 * of a Date and its ISO text each time, the day's text is kept and the time of day is computed.
 */
export function toClickHouseTime(ms: number | Date): string {
  const t = typeof ms === 'number' ? Math.trunc(ms) : ms.getTime();
  // Years 1970-9999 take the fast path; others (and NaN, which throws) go through Date as before.
  if (!(t >= 0 && t < 253_402_300_800_000)) return isoToClickHouseTime(new Date(t).toISOString());
  const day = Math.floor(t / DAY_MS);
  if (day !== cachedDay) {
    cachedDayText = new Date(day * DAY_MS).toISOString().slice(0, 11).replace('T', ' ');
    cachedDay = day;
  }
  let rest = t - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${cachedDayText}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(rest - seconds * 1000)}`;
}

/**
 * The same for an instant already in canonical UTC form (`2026-03-01T08:00:00.000Z`, as every
 * parsed event holds it): a cut instead of a parse and a format, on the transforms' hottest path.
 */
export function isoToClickHouseTime(iso: string): string {
  // Years outside 0000-9999 come out of toISOString() longer (e.g. +010000-...): left whole.
  return iso.length === 24 && iso[23] === 'Z'
    ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}`
    : iso.replace('T', ' ').replace('Z', '');
}

/**
 * Splits values bound for one array query parameter into groups whose URL-encoded size stays small.
 * @clickhouse/client sends query parameters in the URL, and servers cap its length (ClickHouse's
 * `http_max_uri_size`, the dev engine's HTTP adapter at 64 KiB): a batch of thousands of ids in
 * one parameter is refused with HTTP 414, and a batch that always fails is redone for ever.
 */
export function chunkForUrlParameter(values: readonly string[], maxEncodedChars = 16_000): string[][] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let size = 0;
  for (const v of values) {
    // Quotes and the comma encode to three characters each; other characters up to nine (UTF-8).
    const cost = encodeURIComponent(v).length + 9;
    if (chunk.length > 0 && size + cost > maxEncodedChars) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(v);
    size += cost;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
