import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * API keys: the key file holds only SHA-256 digests of high-entropy random keys, so reading the
 * file does not let anyone in. A key carries scopes and, optionally, the tenants and regions it
 * may see. Shared by the API (read/admin) and the ingest gateway (ingest).
 */
export const apiKeyScopes = ['read', 'ingest', 'admin'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

const restriction = z.array(z.string().min(1).max(100)).min(1);

export const apiKeyEntrySchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 lowercase hex digits of a SHA-256 digest'),
    scopes: z.array(z.enum(apiKeyScopes)).min(1),
    tenants: restriction.optional(),
    regions: restriction.optional(),
    createdAt: z.iso.datetime({ offset: true }).optional(),
  })
  // A misspelt "region" must not silently become an unrestricted key.
  .strict();

export type ApiKeyEntry = z.infer<typeof apiKeyEntrySchema>;

export const apiKeyFileSchema = z.array(apiKeyEntrySchema).superRefine((keys, ctx) => {
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate id "${k.id}"` });
    seen.add(k.id);
  });
});

export class ApiKeyFileError extends Error {
  override readonly name = 'ApiKeyFileError';
}

/** The identity a request acts as once its key was recognised. */
export interface ApiKeyIdentity {
  id: string;
  scopes: readonly ApiKeyScope[];
  tenants?: readonly string[];
  regions?: readonly string[];
}

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

export const hashApiKey = (key: string): string => digest(key).toString('hex');

/** A new random key: 32 bytes (256 bits) of entropy, with a prefix that secret scanners can spot. */
export const generateApiKey = (): string => `baton_${randomBytes(32).toString('base64url')}`;

/** `admin` holds every scope; the others only themselves. */
export function hasScope(identity: Pick<ApiKeyIdentity, 'scopes'>, scope: ApiKeyScope): boolean {
  return identity.scopes.includes(scope) || identity.scopes.includes('admin');
}

/** Reads and validates a key file; a missing file is an empty one (nobody gets in). */
export function readApiKeyFile(path: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ApiKeyFileError(`cannot read the API key file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ApiKeyFileError(`the API key file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = apiKeyFileSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ApiKeyFileError(`invalid API key file ${path}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Writes the whole file at once (temporary file + rename), readable by its owner only. */
export function writeApiKeyFile(path: string, entries: ApiKeyEntry[]): void {
  const valid = apiKeyFileSchema.parse(entries);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export interface NewKeyOptions {
  id?: string;
  scopes: ApiKeyScope[];
  tenants?: string[];
  regions?: string[];
}

/**
 * Creates a key, appends its hashed entry to the file (created if missing) and returns the plain
 * key, which exists nowhere else: the caller shows it once.
 */
export function createApiKey(path: string, opts: NewKeyOptions): { key: string; entry: ApiKeyEntry } {
  const existing = readApiKeyFile(path);
  const key = generateApiKey();
  const entry = apiKeyEntrySchema.parse({
    id: opts.id ?? `key-${randomBytes(4).toString('hex')}`,
    sha256: hashApiKey(key),
    scopes: [...new Set(opts.scopes)],
    ...(opts.tenants?.length ? { tenants: [...new Set(opts.tenants)] } : {}),
    ...(opts.regions?.length ? { regions: [...new Set(opts.regions)] } : {}),
    createdAt: new Date().toISOString(),
  });
  if (existing.some((k) => k.id === entry.id)) {
    throw new ApiKeyFileError(`a key with id "${entry.id}" already exists in ${path}`);
  }
  writeApiKeyFile(path, [...existing, entry]);
  return { key, entry };
}

/**
 * For the demo and local trials: a fresh key file holding one key with the given scopes, and the
 * plain key to print. Replaces the file, so run it only on a file of its own.
 */
export function createDemoKeyFile(
  path: string,
  scopes: ApiKeyScope[] = ['read', 'ingest'],
): { key: string; file: string } {
  writeApiKeyFile(path, []);
  const { key } = createApiKey(path, { id: 'demo', scopes });
  return { key, file: path };
}

export interface ApiKeyStore {
  /** The identity of a presented key, or null. Compares digests in constant time, against every entry. */
  lookup(key: string): ApiKeyIdentity | null;
  /** How many keys are configured (0 = nobody gets in). */
  size(): number;
}

export interface KeyStoreOptions {
  /** Called when a changed file could not be read; the previous keys stay in force. */
  onReloadError?: (err: Error) => void;
  /** How often, at most, the file's modification time is checked. */
  recheckMs?: number;
}

/**
 * Keys from a file, re-read when the file changes so that `baton keys create` takes effect
 * without a restart. A file that is invalid at start-up is an error; one that becomes invalid
 * later keeps the last good keys (a half-edited file must not lock everyone out or let anyone in).
 */
export function apiKeyStore(path: string | undefined, opts: KeyStoreOptions = {}): ApiKeyStore {
  const recheckMs = opts.recheckMs ?? 2_000;
  let entries: { identity: ApiKeyIdentity; hash: Buffer }[] = [];
  let mtimeMs = -1;
  let checkedAt = 0;

  const load = (initial: boolean) => {
    if (!path) return;
    let m: number;
    try {
      m = statSync(path).mtimeMs;
    } catch {
      m = 0;
    }
    if (m === mtimeMs) return;
    try {
      entries = readApiKeyFile(path).map((e) => ({
        hash: Buffer.from(e.sha256, 'hex'),
        identity: {
          id: e.id,
          scopes: e.scopes,
          ...(e.tenants ? { tenants: e.tenants } : {}),
          ...(e.regions ? { regions: e.regions } : {}),
        },
      }));
      mtimeMs = m;
    } catch (err) {
      if (initial) throw err;
      mtimeMs = m;
      opts.onReloadError?.(err as Error);
    }
  };
  load(true);

  const refresh = () => {
    const now = Date.now();
    if (now - checkedAt < recheckMs) return;
    checkedAt = now;
    load(false);
  };

  return {
    lookup(key) {
      refresh();
      const d = digest(key);
      let found: ApiKeyIdentity | null = null;
      // No early exit: the time taken does not tell which entry, if any, matched.
      for (const e of entries) {
        if (timingSafeEqual(e.hash, d) && found === null) found = e.identity;
      }
      return found;
    },
    size() {
      refresh();
      return entries.length;
    },
  };
}

/**
 * The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Undefined when
 * neither is there; an empty string when a header is there but holds no key.
 */
export function presentedApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ ]+(\S*)\s*$/i.exec(auth);
    return m?.[1] ?? '';
  }
  const x = headers['x-api-key'];
  if (typeof x === 'string') return x.trim();
  if (Array.isArray(x)) return '';
  return undefined;
}
