import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../../core/config.js';
import { createLogger, type Logger } from '../../core/logger.js';

/** A configuration with its own topics, consumer group and database, so tests never share state. */
export function isolatedConfig(label: string, overrides: Partial<Config> = {}): Config {
  const id = `${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  return loadConfig(process.env, {
    KAFKA_TOPIC_PREFIX: `test.${id}.`,
    CLICKHOUSE_DATABASE: `test_${id}`,
    TRANSFORM_GROUP_ID: `test.${id}`,
    API_HOST: '127.0.0.1',
    API_PORT: 0,
    // Tests read an answer right after changing the data; the cache has a test of its own.
    API_CACHE_SECONDS: 0,
    ...(process.env.LOG_LEVEL ? {} : { LOG_LEVEL: 'warn' as const }),
    ...overrides,
  });
}

export function testLogger(config: Config, name: string): Logger {
  return createLogger(config, name);
}

/**
 * Polls until `read` returns a value that satisfies `done`, and returns the last value read either
 * way, so the caller's assertion shows what was there when time ran out.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    value = await read();
  }
  return value;
}
