import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOperation,
  operations,
  type SecuredApi,
  startSecuredApi,
  validRequest,
} from '../helpers/api-fixture.js';
import { bearer } from '../helpers/api-keys.js';

// Every query parameter of every documented route (read from the OpenAPI document, so routes
// added later are covered) gets hostile values. Whatever the value: never a 5xx, never SQL or
// ClickHouse error text in the body. A value its type cannot hold gets a 4xx naming the field;
// a free-text value that is merely odd may be accepted, but then it must be treated as plain
// data: the answer equals the answer for an ordinary value that matches nothing.

let api: SecuredApi<'reader'>;
let ops: OpenApiOperation[];

beforeAll(async () => {
  api = await startSecuredApi(
    'api_hostile',
    { reader: { scopes: ['read'] } },
    {
      overrides: { API_RATE_LIMIT_MAX: 1_000_000 },
    },
  );
  const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as OpenApiDocument;
  ops = operations(doc).filter((o) => o.method === 'GET');
});

afterAll(async () => {
  await api?.close();
});

const injections = [
  '"',
  "acme' OR 1=1 --",
  'acme /* comment */',
  "' OR '1'='1",
  "x'; DROP TABLE ticket_lifecycle; --",
  "' UNION SELECT name, name, name FROM system.tables --",
  '{tenant:String}',
  'acme\\',
  '<script>alert(1)</script>',
];
const hugeNumbers = [
  '1e309',
  '99999999999999999999999999',
  '-99999999999999999999999999',
  '9007199254740993',
];
const badDates = [
  '2026-02-30T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-01-01T25:00:00Z',
  'not-a-date',
  '0000-00-00',
];
const unknownEnum = 'no_such_value';
const veryLong = 'a'.repeat(5_000);

/** Text that must never reach a caller: SQL and ClickHouse's own error wording. */
const leak =
  /\b(SELECT\s+\S|UNION\s+(ALL\s+)?SELECT|FROM\s+system\.|WHERE\s+\w|DB::Exception|ClickHouse|Syntax error|Code:\s*\d+|UNKNOWN_(TABLE|IDENTIFIER|DATABASE)|query_params|\{[a-z_]+:[A-Za-z()0-9]+\})/i;

type Kind = 'enum' | 'datetime' | 'date' | 'number' | 'boolean' | 'text';

function kindOf(s: JsonSchema = {}): Kind {
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) return kindOf(alt.find((x) => x.type !== 'null') ?? alt[0]);
  if (s.type === 'array' && s.items) return kindOf(s.items);
  if (s.enum || s.const !== undefined) return 'enum';
  if (s.format === 'date-time') return 'datetime';
  if (s.format === 'date') return 'date';
  if (s.type === 'integer' || s.type === 'number') return 'number';
  if (s.type === 'boolean') return 'boolean';
  return 'text';
}

/** The hostile values for a parameter, each with whether its type must refuse it. */
function hostile(kind: Kind): { value: string; mustRefuse: boolean }[] {
  // Free text reaches the database when it is valid, so it gets the injection shapes; a typed
  // parameter refuses all of them in validation, so a few of each family are enough there.
  if (kind === 'text') {
    return [...injections, hugeNumbers[0]!, veryLong].map((value) => ({
      value,
      mustRefuse: value === veryLong,
    }));
  }
  const values = [
    injections[3]!,
    injections[5]!,
    injections[6]!,
    ...hugeNumbers,
    ...badDates,
    unknownEnum,
    veryLong,
  ];
  return values.map((value) => ({ value, mustRefuse: true }));
}

function namesField(body: string, field: string): boolean {
  try {
    const json = JSON.parse(body) as { message?: string; problems?: { path?: string; message?: string }[] };
    const paths = (json.problems ?? []).map((p) => p.path ?? '');
    return (
      paths.some((p) => p.split('.').includes(field)) || new RegExp(`\\b${field}\\b`).test(json.message ?? '')
    );
  } catch {
    return new RegExp(`\\b${field}\\b`).test(body);
  }
}

const isoInstant = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

async function get(path: string): Promise<{ status: number; body: string; html: boolean }> {
  const res = await fetch(`${api.url}${path}`, { headers: bearer(api.keys.reader) });
  const html = (res.headers.get('content-type') ?? '').includes('text/html');
  return { status: res.status, body: await res.text(), html };
}

const htmlEscape = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

describe('hostile query parameters', () => {
  it('are refused with the field named, or treated as plain data; never a 5xx, never SQL in the answer', async () => {
    const failures: string[] = [];
    let requests = 0;
    const ctx = { tenant: 'acme', region: 'APAC' };
    const checkOperation = async (op: OpenApiOperation) => {
      for (const param of op.parameters.filter((p) => p.in === 'query')) {
        let kind = kindOf(param.schema);
        const benign = kind === 'text' ? 'zz-nothing-matches' : undefined;
        let baseline = benign ? await get(validRequest(op, ctx, { [param.name]: benign })) : undefined;
        // Text with a shape of its own (a zone, an ISO week): an ordinary word is refused, and
        // so must every hostile value be.
        if (
          baseline &&
          baseline.status >= 400 &&
          baseline.status < 500 &&
          namesField(baseline.body, param.name)
        ) {
          kind = 'enum';
          baseline = undefined;
        }
        if (baseline && baseline.status >= 400) {
          failures.push(
            `${op.path} ${param.name}: an ordinary value got ${baseline.status} ${baseline.body.slice(0, 200)}`,
          );
          continue;
        }
        const cases =
          kind === 'text'
            ? hostile('text')
            : [...hostile('text'), ...hostile(kind)].map((c) => ({ ...c, mustRefuse: true }));
        const results = await Promise.all(
          cases.map(async ({ value, mustRefuse }) => ({
            value,
            mustRefuse,
            res: await get(validRequest(op, ctx, { [param.name]: value })),
          })),
        );
        requests += results.length;
        for (const { value, mustRefuse, res } of results) {
          const shown = `${op.path} ${param.name}=${JSON.stringify(value.slice(0, 60))}`;
          // An echo of the value itself (raw, JSON- or HTML-escaped) is not a leak.
          const scrubbed = [value, JSON.stringify(value).slice(1, -1), htmlEscape(value)].reduce(
            (body, v) => body.split(v).join(''),
            res.body,
          );
          if (res.html && /[<>]/.test(value) && res.body.includes(value)) {
            failures.push(`${shown}: the HTML answer carries the value unescaped`);
          }
          if (res.status >= 500) failures.push(`${shown}: ${res.status} ${res.body.slice(0, 200)}`);
          if (leak.test(scrubbed))
            failures.push(`${shown}: the body shows SQL or engine text: ${scrubbed.slice(0, 300)}`);
          if (res.status >= 400 && res.status < 500 && !namesField(res.body, param.name)) {
            failures.push(`${shown}: ${res.status} does not name the field: ${res.body.slice(0, 200)}`);
          }
          if (mustRefuse && (res.status < 400 || res.status >= 500)) {
            failures.push(`${shown}: expected a 4xx, got ${res.status} ${res.body.slice(0, 200)}`);
          }
          if (
            !mustRefuse &&
            res.status < 300 &&
            baseline &&
            (res.body.startsWith('{') || res.body.startsWith('['))
          ) {
            const norm = (s: string) => s.replace(isoInstant, 'T');
            const asBenign = norm(res.body.split(JSON.stringify(value).slice(1, -1)).join(benign));
            if (asBenign !== norm(baseline.body)) {
              failures.push(`${shown}: accepted, but answered differently from a value that matches nothing`);
            }
          }
        }
      }
    };
    // A few routes at a time: enough to keep the engine busy, not enough to starve it.
    const queue = [...ops];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let op = queue.shift(); op; op = queue.shift()) await checkOperation(op);
      }),
    );
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(100);
  }, 300_000);
});
