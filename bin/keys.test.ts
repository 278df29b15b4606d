import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiKeyStore } from '../core/api-keys.js';
import { loadConfig } from '../core/config.js';
import { KeysUsageError, keysCommand } from './keys.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    sinks: {
      stdout: (s: string) => {
        out.stdout += s;
      },
      stderr: (s: string) => {
        out.stderr += s;
      },
    },
  };
}

describe('baton keys', () => {
  it('creates a key, prints it alone on stdout, and lists entries without keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-keys-cli-'));
    dirs.push(dir);
    const file = join(dir, 'keys.json');
    const config = loadConfig({ API_KEYS_FILE: file });
    const created = capture();
    await keysCommand(
      [
        'create',
        '--scope',
        'read',
        '--region',
        'APAC',
        '--region',
        'EMEA',
        '--tenant',
        'acme',
        '--id',
        'lead',
      ],
      config,
      created.sinks,
    );
    const key = created.out.stdout.trim();
    expect(key).toMatch(/^baton_\S{43}$/);
    expect(created.out.stderr).toMatch(
      /created key "lead" \(scopes read; tenants acme; regions APAC, EMEA\)/,
    );
    expect(apiKeyStore(file).lookup(key)).toEqual({
      id: 'lead',
      scopes: ['read'],
      tenants: ['acme'],
      regions: ['APAC', 'EMEA'],
    });

    const listed = capture();
    await keysCommand(['list'], config, listed.sinks);
    expect(listed.out.stdout).toBe('lead\tread\ttenants acme; regions APAC,EMEA\n');
    expect(listed.out.stdout).not.toContain(key);
  });

  it('explains what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-keys-cli-'));
    dirs.push(dir);
    const file = join(dir, 'keys.json');
    const config = loadConfig({});
    const { sinks } = capture();
    await expect(keysCommand(['create', '--scope', 'read'], config, sinks)).rejects.toThrow(
      /--file or set API_KEYS_FILE/,
    );
    await expect(keysCommand(['create', '--file', file], config, sinks)).rejects.toThrow(
      /at least one --scope/,
    );
    await expect(keysCommand(['create', '--scope', 'write', '--file', file], config, sinks)).rejects.toThrow(
      /--scope must be one of read, ingest, admin, got "write"/,
    );
    await expect(keysCommand(['delete', '--file', file], config, sinks)).rejects.toThrow(KeysUsageError);
    await keysCommand(['create', '--scope', 'admin', '--id', 'ops', '--file', file], config, sinks);
    await expect(
      keysCommand(['create', '--scope', 'admin', '--id', 'ops', '--file', file], config, sinks),
    ).rejects.toThrow(/a key with id "ops" already exists/);
  });
});
