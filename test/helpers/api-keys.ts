import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, type NewKeyOptions } from '../../core/api-keys.js';
import type { Config } from '../../core/config.js';

/**
 * API keys for a test: a key file of its own holding the named keys, the configuration that
 * points at it, and the plain keys. The API refuses every /v1 request without a key.
 *
 *   const { config: apiConfig, keys } = testApiKeys(config, { reader: { scopes: ['read'] } });
 *   fetch(url, { headers: bearer(keys.reader) })
 */
export function testApiKeys<K extends string>(
  config: Config,
  wanted: Record<K, Omit<NewKeyOptions, 'id'>>,
): { config: Config; keys: Record<K, string>; file: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'baton-keys-'));
  const file = join(dir, 'api-keys.json');
  const keys = {} as Record<K, string>;
  for (const id of Object.keys(wanted) as K[]) keys[id] = createApiKey(file, { id, ...wanted[id] }).key;
  return {
    config: { ...config, API_KEYS_FILE: file },
    keys,
    file,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Request headers that present a key. */
export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** A read key for tests that are not about security: the configuration to start the API with and headers. */
export function readKey(config: Config): { config: Config; headers: Record<string, string> } {
  const k = testApiKeys(config, { reader: { scopes: ['read'] } });
  return { config: k.config, headers: bearer(k.keys.reader) };
}
