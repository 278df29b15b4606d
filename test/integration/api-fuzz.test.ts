import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../core/paths.js';
import { type SecuredApi, startSecuredApi } from '../helpers/api-fixture.js';

// Property-based fuzzing of every documented route with Schemathesis (installed by
// infra/setup.sh into its own venv), against the live API over seeded data, with a read key.
// Fails on any 5xx and on any response that does not match the route's declared schema.

const schemathesis = join(projectRoot, '.cache', 'schemathesis-venv', 'bin', 'schemathesis');

let api: SecuredApi<'reader'>;

beforeAll(async () => {
  api = await startSecuredApi(
    'api_fuzz',
    { reader: { scopes: ['read'] } },
    {
      overrides: { API_RATE_LIMIT_MAX: 1_000_000 },
    },
  );
});

afterAll(async () => {
  await api?.close();
});

function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('Schemathesis fuzzing', () => {
  it('finds no server error and no response outside its schema on any route', async () => {
    expect(existsSync(schemathesis), `${schemathesis} is missing: run bash infra/setup.sh`).toBe(true);
    const { code, output } = await run(
      schemathesis,
      [
        'run',
        `${api.url}/openapi.json`,
        '--header',
        `Authorization: Bearer ${api.keys.reader}`,
        '--checks',
        'not_a_server_error,response_schema_conformance',
        '--phases',
        'examples,coverage,fuzzing',
        '--max-examples',
        '12',
        '--seed',
        '20261130',
        '--workers',
        '2',
        '--request-timeout',
        '30',
        '--no-shrink',
        '--suppress-health-check',
        'all',
      ],
      150_000,
    );
    // The whole report on failure: it names the route, the request and the mismatch.
    expect(code, output.slice(-12_000)).toBe(0);
  }, 180_000);
});
