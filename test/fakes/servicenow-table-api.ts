import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A MOCK of the ServiceNow Table API (GET /api/now/table/{tableName}), following the vendor's
// documented contract — ServiceNow cannot be run locally. See README.md beside this file for the
// documentation it follows. A real node:http server on port 0; what it implements:
//   - Basic auth (or a bearer token, when one is configured); 401 otherwise
//   - sysparm_query: `field>=v`, `field>v`, `field=v`, `field<=v`, `field<v` joined by `^`, and
//     `ORDERBYfield` / `ORDERBYDESCfield` clauses (string comparison, which is how the stored
//     `yyyy-MM-dd HH:mm:ss` date-times sort)
//   - sysparm_limit (default 10000) / sysparm_offset, sysparm_fields,
//     sysparm_display_value (false | true | all), sysparm_exclude_reference_link (accepted)
//   - `{ "result": [...] }` bodies, X-Total-Count, and a Link header with first/prev/next/last
//   - failure injection: the next N requests answer 429 with Retry-After, or a 5xx

export interface FieldPair {
  value: string;
  display_value: string;
}
export type TableRecord = Record<string, FieldPair>;

export interface FakeRequest {
  path: string;
  params: Record<string, string>;
  status: number;
}

type Failure = { status: 429; retryAfterSeconds: number } | { status: 500 | 502 | 503 };

export interface FakeServiceNow {
  url: string;
  requests: FakeRequest[];
  /** Inserts or replaces a record (as stored; `sys_id` identifies it). */
  put(table: string, record: TableRecord): void;
  records(table: string): TableRecord[];
  /** The next `count` requests fail this way (after authentication). */
  failNext(count: number, failure: Failure): void;
  close(): Promise<void>;
}

export const pair = (value: string, display_value = value): FieldPair => ({ value, display_value });

interface Condition {
  field: string;
  op: '>=' | '>' | '=' | '<=' | '<' | '!=';
  value: string;
}
interface Order {
  field: string;
  desc: boolean;
}

export function parseEncodedQuery(q: string): { conditions: Condition[]; order: Order[] } {
  const conditions: Condition[] = [];
  const order: Order[] = [];
  for (const part of q.split('^')) {
    if (part === '') continue;
    if (part.startsWith('ORDERBYDESC')) order.push({ field: part.slice(11), desc: true });
    else if (part.startsWith('ORDERBY')) order.push({ field: part.slice(7), desc: false });
    else {
      const m = /^([A-Za-z0-9_.]+)(>=|<=|!=|>|<|=)(.*)$/.exec(part);
      if (!m) throw new Error(`unsupported query part ${part}`);
      conditions.push({ field: m[1]!, op: m[2] as Condition['op'], value: m[3]! });
    }
  }
  return { conditions, order };
}

function matches(record: TableRecord, c: Condition): boolean {
  const v = record[c.field]?.value ?? '';
  switch (c.op) {
    case '>=':
      return v >= c.value;
    case '>':
      return v > c.value;
    case '=':
      return v === c.value;
    case '<=':
      return v <= c.value;
    case '<':
      return v < c.value;
    case '!=':
      return v !== c.value;
  }
}

export async function startFakeServiceNow(
  auth: { user: string; password: string; token?: string } = { user: 'baton', password: 'secret' },
): Promise<FakeServiceNow> {
  const tables = new Map<string, Map<string, TableRecord>>();
  const requests: FakeRequest[] = [];
  const failures: Failure[] = [];
  let url = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', url);
    const params = Object.fromEntries(u.searchParams);
    const record = (status: number) => requests.push({ path: u.pathname, params, status });
    const basic = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    const authz = req.headers.authorization;
    if (authz !== basic && !(auth.token && authz === `Bearer ${auth.token}`)) {
      record(401);
      return send(
        res,
        401,
        {
          error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
          status: 'failure',
        },
        { 'www-authenticate': 'Basic realm="Service-now"' },
      );
    }
    const failure = failures.shift();
    if (failure) {
      record(failure.status);
      if (failure.status === 429) {
        return send(
          res,
          429,
          { error: { message: 'Rate limit exceeded', detail: 'Too many requests' }, status: 'failure' },
          { 'retry-after': String(failure.retryAfterSeconds) },
        );
      }
      return send(res, failure.status, { error: { message: 'Internal server error' }, status: 'failure' });
    }
    const m = /^\/api\/now\/table\/([A-Za-z0-9_]+)$/.exec(u.pathname);
    if (req.method !== 'GET' || !m) {
      record(400);
      return send(res, 400, { error: { message: 'Invalid request' }, status: 'failure' });
    }
    const rows = [...(tables.get(m[1]!)?.values() ?? [])];
    let query: ReturnType<typeof parseEncodedQuery>;
    try {
      query = parseEncodedQuery(params.sysparm_query ?? '');
    } catch (err) {
      record(400);
      return send(res, 400, { error: { message: (err as Error).message }, status: 'failure' });
    }
    const selected = rows.filter((r) => query.conditions.every((c) => matches(r, c)));
    selected.sort((a, b) => {
      for (const o of query.order) {
        const x = a[o.field]?.value ?? '';
        const y = b[o.field]?.value ?? '';
        if (x !== y) return (x < y ? -1 : 1) * (o.desc ? -1 : 1);
      }
      return 0;
    });
    const limit = Number(params.sysparm_limit ?? 10_000);
    const offset = Number(params.sysparm_offset ?? 0);
    const pageRows = selected.slice(offset, offset + limit);
    const fields = params.sysparm_fields ? params.sysparm_fields.split(',') : undefined;
    const mode = params.sysparm_display_value ?? 'false';
    const result = pageRows.map((r) =>
      Object.fromEntries(
        (fields ?? Object.keys(r)).map((f) => {
          const p = r[f] ?? pair('');
          return [f, mode === 'all' ? p : mode === 'true' ? p.display_value : p.value];
        }),
      ),
    );
    const link = (rel: string, off: number) => {
      const l = new URL(u.toString());
      l.searchParams.set('sysparm_offset', String(off));
      l.searchParams.set('sysparm_limit', String(limit));
      return `<${l.toString()}>;rel="${rel}"`;
    };
    const links = [link('first', 0)];
    if (offset > 0) links.push(link('prev', Math.max(0, offset - limit)));
    if (offset + limit < selected.length) links.push(link('next', offset + limit));
    links.push(link('last', Math.max(0, Math.floor((selected.length - 1) / limit) * limit)));
    record(200);
    send(res, 200, { result }, { 'x-total-count': String(selected.length), link: links.join(',') });
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      send(res, 500, { error: { message: (err as Error).message }, status: 'failure' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    put(table, record) {
      const id = record.sys_id?.value;
      if (!id) throw new Error('a record needs a sys_id');
      if (!tables.has(table)) tables.set(table, new Map());
      tables.get(table)!.set(id, record);
    },
    records(table) {
      return [...(tables.get(table)?.values() ?? [])];
    },
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    close() {
      return new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
}

const stateLabels: Record<string, string> = {
  '1': 'New',
  '2': 'In Progress',
  '3': 'On Hold',
  '6': 'Resolved',
  '7': 'Closed',
  '8': 'Canceled',
};
const priorityLabels: Record<string, string> = {
  '1': '1 - Critical',
  '2': '2 - High',
  '3': '3 - Moderate',
  '4': '4 - Low',
  '5': '5 - Planning',
};

export interface IncidentSpec {
  sysId: string;
  number?: string;
  updatedOn: string;
  modCount?: number;
  openedAt?: string;
  state?: string;
  holdReason?: [string, string];
  priority?: string;
  /** [sys_id, name] of the assignment group. */
  group?: [string, string];
  assignedTo?: [string, string];
  company?: string;
  location?: string;
  category?: string;
  contactType?: string;
  resolvedAt?: string;
}

/** An incident as the Table API stores it (each field a value / display-value pair). */
export function incident(s: IncidentSpec): TableRecord {
  const state = s.state ?? '1';
  const priority = s.priority ?? '3';
  return {
    sys_id: pair(s.sysId),
    number: pair(s.number ?? `INC${s.sysId.replace(/\D/g, '').padStart(7, '0')}`),
    sys_updated_on: pair(s.updatedOn),
    sys_created_on: pair(s.openedAt ?? s.updatedOn),
    sys_mod_count: pair(String(s.modCount ?? 0)),
    opened_at: pair(s.openedAt ?? s.updatedOn),
    resolved_at: pair(s.resolvedAt ?? ''),
    closed_at: pair(''),
    state: pair(state, stateLabels[state] ?? state),
    incident_state: pair(state, stateLabels[state] ?? state),
    hold_reason: s.holdReason ? pair(s.holdReason[0], s.holdReason[1]) : pair(''),
    priority: pair(priority, priorityLabels[priority] ?? priority),
    assignment_group: s.group ? pair(s.group[0], s.group[1]) : pair(''),
    assigned_to: s.assignedTo ? pair(s.assignedTo[0], s.assignedTo[1]) : pair(''),
    company: pair(s.company ? `co-${s.company.toLowerCase()}` : '', s.company ?? ''),
    location: pair(s.location ? `loc-${s.location.toLowerCase()}` : '', s.location ?? ''),
    category: pair(s.category ?? 'inquiry', s.category ? s.category : 'Inquiry / Help'),
    contact_type: pair(s.contactType ?? 'phone', s.contactType ?? 'Phone'),
  };
}
