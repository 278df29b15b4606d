import { parseArgs } from 'node:util';
import {
  ApiKeyFileError,
  type ApiKeyScope,
  apiKeyScopes,
  createApiKey,
  readApiKeyFile,
} from '../core/api-keys.js';
import type { Config } from '../core/config.js';

export class KeysUsageError extends Error {
  override readonly name = 'KeysUsageError';
}

export const keysUsage =
  'baton keys create --scope read|ingest|admin [--scope ...] [--tenant T ...] [--region R ...]\n' +
  '                  [--id NAME] [--file PATH]\n' +
  'baton keys list [--file PATH]\n' +
  '  create   makes a random key, appends its SHA-256 digest to the key file and prints the key\n' +
  '           once on stdout (it is stored nowhere else); the API picks the new key up by itself\n' +
  '  list     shows the ids, scopes and restrictions in the key file (never the keys)\n' +
  '  --scope  read (GET routes), ingest (the ingest gateway), admin (everything); repeatable\n' +
  '  --tenant, --region  restrict the key to these tenants / regions; repeatable\n' +
  '  --id     a name for the key (default key-<random>)\n' +
  '  --file   the key file (default API_KEYS_FILE)';

function scopeOf(s: string): ApiKeyScope {
  const scope = apiKeyScopes.find((x) => x === s);
  if (!scope) throw new KeysUsageError(`--scope must be one of ${apiKeyScopes.join(', ')}, got "${s}"`);
  return scope;
}

/** Runs `baton keys ...`; a bad key file or a taken id is reported like a usage error, without a stack. */
export async function keysCommand(
  args: string[],
  config: Config,
  out?: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<void> {
  try {
    await run(args, config, out);
  } catch (err) {
    if (err instanceof ApiKeyFileError) throw new KeysUsageError(err.message);
    throw err;
  }
}

async function run(
  args: string[],
  config: Config,
  out: { stdout: (s: string) => void; stderr: (s: string) => void } = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  },
): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      scope: { type: 'string', multiple: true },
      tenant: { type: 'string', multiple: true },
      region: { type: 'string', multiple: true },
      id: { type: 'string' },
      file: { type: 'string' },
    },
  });
  const action = positionals[0];
  if (positionals.length !== 1 || (action !== 'create' && action !== 'list')) {
    throw new KeysUsageError(`expected "create" or "list", got "${positionals.join(' ')}"`);
  }
  const file = values.file ?? config.API_KEYS_FILE;
  if (!file) throw new KeysUsageError('name the key file with --file or set API_KEYS_FILE');

  if (action === 'list') {
    for (const k of readApiKeyFile(file)) {
      const limits = [
        k.tenants ? `tenants ${k.tenants.join(',')}` : '',
        k.regions ? `regions ${k.regions.join(',')}` : '',
      ].filter(Boolean);
      out.stdout(`${k.id}\t${k.scopes.join(',')}\t${limits.join('; ') || 'all tenants and regions'}\n`);
    }
    return;
  }

  if (!values.scope?.length) throw new KeysUsageError('give at least one --scope (read, ingest or admin)');
  const { key, entry } = createApiKey(file, {
    scopes: values.scope.map(scopeOf),
    ...(values.tenant ? { tenants: values.tenant } : {}),
    ...(values.region ? { regions: values.region } : {}),
    ...(values.id ? { id: values.id } : {}),
  });
  // The key alone on stdout, so `KEY=$(baton keys create ...)` works; the rest on stderr.
  out.stdout(`${key}\n`);
  out.stderr(
    `created key "${entry.id}" (scopes ${entry.scopes.join(', ')}` +
      `${entry.tenants ? `; tenants ${entry.tenants.join(', ')}` : ''}` +
      `${entry.regions ? `; regions ${entry.regions.join(', ')}` : ''}) in ${file}\n` +
      'it is shown only this once; send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"\n',
  );
}
