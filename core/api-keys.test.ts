import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiKeyFileError,
  apiKeyStore,
  createApiKey,
  createDemoKeyFile,
  hasScope,
  presentedApiKey,
  readApiKeyFile,
} from './api-keys.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-keys-test-'));
  dirs.push(dir);
  return join(dir, 'keys.json');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('API key file', () => {
  it('stores only the SHA-256 of a fresh random key, owner-readable', () => {
    const file = tempFile();
    const a = createApiKey(file, { id: 'ops', scopes: ['read', 'read'], regions: ['APAC'] });
    const b = createApiKey(file, { scopes: ['admin'] });
    expect(a.key).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
    expect(a.key).not.toBe(b.key);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(a.key);
    const entries = JSON.parse(text) as { id: string; sha256: string; scopes: string[] }[];
    expect(entries[0]).toMatchObject({
      id: 'ops',
      scopes: ['read'],
      regions: ['APAC'],
      sha256: createHash('sha256').update(a.key).digest('hex'),
    });
    expect(entries[1]!.id).toMatch(/^key-[0-9a-f]{8}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => createApiKey(file, { id: 'ops', scopes: ['read'] })).toThrow(/already exists/);
  });

  it('names the bad field of an invalid file; a missing file holds no keys', () => {
    const file = tempFile();
    expect(readApiKeyFile(file)).toEqual([]);
    writeFileSync(
      file,
      JSON.stringify([{ id: 'a', sha256: 'f'.repeat(64), scopes: ['read'], region: ['APAC'] }]),
    );
    expect(() => readApiKeyFile(file)).toThrow(ApiKeyFileError);
    expect(() => readApiKeyFile(file)).toThrow(/0: Unrecognized key: "region"/);
    writeFileSync(file, JSON.stringify([{ id: 'a', sha256: 'xyz', scopes: ['write'] }]));
    expect(() => readApiKeyFile(file)).toThrow(
      /0\.sha256: must be the 64 lowercase hex digits.*\n.*0\.scopes\.0/s,
    );
    const dup = { id: 'a', sha256: 'f'.repeat(64), scopes: ['read'] };
    writeFileSync(file, JSON.stringify([dup, dup]));
    expect(() => readApiKeyFile(file)).toThrow(/1\.id: duplicate id "a"/);
    writeFileSync(file, '{');
    expect(() => readApiKeyFile(file)).toThrow(/not valid JSON/);
  });

  it('admin holds every scope; the others only themselves', () => {
    expect(hasScope({ scopes: ['admin'] }, 'read')).toBe(true);
    expect(hasScope({ scopes: ['admin'] }, 'ingest')).toBe(true);
    expect(hasScope({ scopes: ['read'] }, 'ingest')).toBe(false);
    expect(hasScope({ scopes: ['ingest'] }, 'read')).toBe(false);
    expect(hasScope({ scopes: ['read', 'ingest'] }, 'ingest')).toBe(true);
  });

  it('reads a key from Bearer or X-API-Key, and nothing else', () => {
    expect(presentedApiKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedApiKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedApiKey({ authorization: 'Basic abc' })).toBe('');
    expect(presentedApiKey({ authorization: 'Bearer a b' })).toBe('');
    expect(presentedApiKey({ 'x-api-key': ' abc ' })).toBe('abc');
    expect(presentedApiKey({ 'x-api-key': ['a', 'b'] })).toBe('');
    expect(presentedApiKey({})).toBeUndefined();
  });
});

describe('API key store', () => {
  it('recognises keys, picks up new ones, keeps the last good keys when the file breaks', () => {
    const file = tempFile();
    const { key } = createApiKey(file, { id: 'one', scopes: ['read'], tenants: ['acme'] });
    const errors: Error[] = [];
    const store = apiKeyStore(file, { recheckMs: 0, onReloadError: (e) => errors.push(e) });
    expect(store.size()).toBe(1);
    expect(store.lookup(key)).toEqual({ id: 'one', scopes: ['read'], tenants: ['acme'] });
    expect(store.lookup(`${key}x`)).toBeNull();
    expect(store.lookup('')).toBeNull();

    const second = createApiKey(file, { id: 'two', scopes: ['ingest'] });
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    expect(store.lookup(second.key)?.id).toBe('two');

    writeFileSync(file, '[{"id": "broken"}]');
    const evenLater = new Date(Date.now() + 10_000);
    utimesSync(file, evenLater, evenLater);
    expect(store.lookup(key)?.id).toBe('one');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/0\.sha256/);
  });

  it('refuses an invalid file at start-up; no file configured means no keys', () => {
    const file = tempFile();
    writeFileSync(file, '[1]');
    expect(() => apiKeyStore(file)).toThrow(ApiKeyFileError);
    expect(apiKeyStore(undefined).size()).toBe(0);
    expect(apiKeyStore(undefined).lookup('anything')).toBeNull();
  });

  it('writes a demo file with exactly one key and returns it', () => {
    const file = tempFile();
    createApiKey(file, { id: 'old', scopes: ['admin'] });
    const demo = createDemoKeyFile(file, ['read']);
    const store = apiKeyStore(demo.file);
    expect(store.size()).toBe(1);
    expect(store.lookup(demo.key)).toEqual({ id: 'demo', scopes: ['read'] });
  });
});
