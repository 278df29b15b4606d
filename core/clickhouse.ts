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
    },
  });
}

/** ClickHouse DateTime64(3) text in UTC, the form its parsers and query parameters accept. */
export function toClickHouseTime(ms: number | Date): string {
  const d = typeof ms === 'number' ? new Date(ms) : ms;
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
