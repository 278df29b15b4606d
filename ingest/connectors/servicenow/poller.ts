import { type DeadLetter, deadLetter as makeDeadLetter } from '../../../core/dead-letter.js';
import type { TicketEvent } from '../../../core/events/index.js';
import type { Logger } from '../../../core/logger.js';
import type { SourceMapping } from '../../../core/mapping.js';
import type { EventSink } from '../../sink.js';
import type { ConnectorStateStore } from '../connector-state.js';
import { defaultRetryPolicy, getWithRetry, type RetryHooks, type RetryPolicy, sleep } from '../http-retry.js';
import { diffTicketSnapshot, type TicketSnapshot, ticketSnapshotSchema } from '../snapshot-diff.js';
import {
  advanceCursor,
  cursorFrom,
  cursorQuery,
  cursorSchema,
  EPOCH_CURSOR,
  isSeen,
  type RecordPosition,
  type TableCursor,
} from './cursor.js';
import { glideDateTime, INCIDENT_FIELDS, tableResponseSchema } from './poller-schema.js';
import { incidentToSnapshot, parseIncident } from './poller-snapshot.js';

// Incremental sync of ServiceNow incidents through the Table API (GET /api/now/table/incident).
// Per page: fetch (retrying 429/5xx) → parse → normalise → diff against the last-seen snapshot →
// emit the change events (acks=all) and dead-letter the unusable records → store the new snapshots
// → store the cursor. Nothing is stored before Kafka acknowledged what was derived from it, so a
// crash or a Kafka outage makes the next poll derive the same events again, with the same ids.

export const SOURCE = 'servicenow';

export type ServiceNowAuth = { user: string; password: string } | { token: string };

export interface ServiceNowPollerOptions {
  instanceUrl: string;
  tenant: string;
  auth: ServiceNowAuth;
  sink: EventSink;
  state: ConnectorStateStore;
  mapping: SourceMapping;
  logger: Logger;
  pageSize?: number;
  /** Where to start when no cursor is stored (ISO-8601); default: from the beginning. */
  since?: string;
  table?: string;
  retry?: Partial<RetryPolicy>;
  hooks?: Omit<RetryHooks, 'signal'>;
  now?: () => Date;
}

export interface PollResult {
  pages: number;
  records: number;
  events: number;
  deadLetters: number;
  cursor: TableCursor;
}

export interface ServiceNowPoller {
  /** Polls until the instance has nothing newer than the cursor. */
  pollOnce(signal?: AbortSignal): Promise<PollResult>;
  /** Polls, then waits `intervalMs`, until the signal aborts. Failed polls are logged and retried. */
  run(intervalMs: number, signal: AbortSignal): Promise<void>;
}

/** The connector name under which state is kept: one cursor per instance and table. */
export function connectorName(instanceUrl: string, table = 'incident'): string {
  return `servicenow-table:${new URL(instanceUrl).host}:${table}`;
}

export const CURSOR_KEY = 'cursor';
export const recordKey = (sysId: string) => `record:${sysId}`;

function authHeader(auth: ServiceNowAuth): string {
  return 'token' in auth
    ? `Bearer ${auth.token}`
    : `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
}

/** A record's place in the sync order, when it has one (sys_id and a valid sys_updated_on). */
function positionOf(raw: Record<string, unknown>): RecordPosition | null {
  const text = (v: unknown): string => {
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'object' && v !== null && 'value' in v)
      return String((v as { value: unknown }).value ?? '').trim();
    return '';
  };
  const sysId = text(raw.sys_id);
  const updatedOn = text(raw.sys_updated_on);
  if (sysId === '' || !glideDateTime.test(updatedOn)) return null;
  return { sysId, updatedOn, modCount: text(raw.sys_mod_count) };
}

export function createServiceNowPoller(opts: ServiceNowPollerOptions): ServiceNowPoller {
  const table = opts.table ?? 'incident';
  const pageSize = opts.pageSize ?? 500;
  const base = opts.instanceUrl.replace(/\/+$/, '');
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...opts.retry };
  const now = opts.now ?? (() => new Date());
  const log = opts.logger.child({ component: 'servicenow-poller', table, tenant: opts.tenant });
  const headers = { accept: 'application/json', authorization: authHeader(opts.auth) };

  const loadCursor = async (): Promise<TableCursor> => {
    const stored = (await opts.state.get([CURSOR_KEY])).get(CURSOR_KEY);
    if (stored !== undefined) return cursorSchema.parse(JSON.parse(stored));
    return opts.since ? cursorFrom(opts.since) : EPOCH_CURSOR;
  };

  const loadSnapshots = async (ids: string[]): Promise<Map<string, TicketSnapshot>> => {
    const stored = await opts.state.get(ids.map(recordKey));
    const out = new Map<string, TicketSnapshot>();
    for (const id of ids) {
      const text = stored.get(recordKey(id));
      if (text === undefined) continue;
      const parsed = ticketSnapshotSchema.safeParse(JSON.parse(text));
      if (parsed.success) out.set(id, parsed.data);
      else log.warn({ sysId: id }, 'stored snapshot is unreadable; the record is treated as new');
    }
    return out;
  };

  const pageUrl = (cursor: TableCursor, offset: number) => {
    const params = new URLSearchParams({
      sysparm_query: cursorQuery(cursor),
      sysparm_limit: String(pageSize),
      sysparm_offset: String(offset),
      sysparm_fields: INCIDENT_FIELDS.join(','),
      sysparm_display_value: 'all',
      sysparm_exclude_reference_link: 'true',
    });
    return `${base}/api/now/table/${encodeURIComponent(table)}?${params}`;
  };

  async function pollOnce(signal?: AbortSignal): Promise<PollResult> {
    let cursor = await loadCursor();
    const result: PollResult = { pages: 0, records: 0, events: 0, deadLetters: 0, cursor };
    // Offset only steps over a run of already-handled records sharing the cursor's second that
    // fills whole pages; after progress the next page is asked from the new cursor at offset 0.
    let offset = 0;
    for (;;) {
      signal?.throwIfAborted();
      const url = pageUrl(cursor, offset);
      const res = await getWithRetry(url, headers, policy, {
        ...opts.hooks,
        ...(signal ? { signal } : {}),
        onRetry: (info) => {
          log.warn(info, 'ServiceNow asked to wait or failed; retrying');
          opts.hooks?.onRetry?.(info);
        },
      });
      const body = tableResponseSchema.parse(await res.json());
      result.pages++;
      const total = res.headers.get('x-total-count');
      const page = body.result;
      const positioned = page.map((raw) => ({ raw, pos: positionOf(raw) }));
      const fresh = positioned.filter(
        (r): r is { raw: Record<string, unknown>; pos: RecordPosition } =>
          r.pos !== null && !isSeen(cursor, r.pos),
      );
      const letters: DeadLetter[] = [];
      const origin = (ref: string) => ({ kind: 'poller' as const, ref, source: SOURCE });
      for (const r of positioned) {
        if (r.pos === null) {
          letters.push(
            makeDeadLetter(
              origin(`${url}`),
              'record without sys_id or a valid sys_updated_on',
              JSON.stringify(r.raw),
            ),
          );
        }
      }
      if (fresh.length === 0) {
        await opts.sink.deadLetter(letters);
        result.deadLetters += letters.length;
        if (page.length < pageSize) break;
        offset += page.length;
        continue;
      }

      const previous = await loadSnapshots(fresh.map((r) => r.pos.sysId));
      const receivedAt = now().toISOString();
      const events: TicketEvent[] = [];
      const snapshots: { key: string; value: string }[] = [];
      for (const { raw, pos } of fresh) {
        const ref = `${table}:${pos.sysId}@${pos.updatedOn}#${pos.modCount}`;
        const record = parseIncident(raw);
        const snapshot =
          record.kind === 'ok' ? incidentToSnapshot(record.value, opts.mapping, opts.tenant) : record;
        const diff =
          snapshot.kind === 'ok'
            ? diffTicketSnapshot(previous.get(pos.sysId), snapshot.value, {
                source: SOURCE,
                tenant: opts.tenant,
                receivedAt,
              })
            : snapshot;
        if (diff.kind === 'ok' && snapshot.kind === 'ok') {
          events.push(...diff.value);
          const prev = previous.get(pos.sysId);
          if (!prev || snapshot.value.version > prev.version) {
            snapshots.push({ key: recordKey(pos.sysId), value: JSON.stringify(snapshot.value) });
          }
        } else if (diff.kind === 'dlq') {
          letters.push(makeDeadLetter(origin(ref), diff.reason, JSON.stringify(raw), diff.problems));
        }
      }
      // Order matters: events, dead letters, snapshots, cursor. A failure anywhere leaves the
      // cursor where it was, and the snapshots unwritten, so the page is redone identically.
      await opts.sink.emit(events);
      await opts.sink.deadLetter(letters);
      await opts.state.put(snapshots);
      cursor = advanceCursor(
        cursor,
        fresh.map((r) => r.pos),
      );
      await opts.state.put([{ key: CURSOR_KEY, value: JSON.stringify(cursor) }]);

      result.records += fresh.length;
      result.events += events.length;
      result.deadLetters += letters.length;
      result.cursor = cursor;
      log.info(
        {
          page: result.pages,
          records: fresh.length,
          events: events.length,
          deadLetters: letters.length,
          total: total === null ? undefined : Number(total),
          cursor: cursor.updatedOn,
        },
        'page done',
      );
      if (page.length < pageSize) break;
      offset = 0;
    }
    return result;
  }

  return {
    pollOnce,
    async run(intervalMs, signal) {
      while (!signal.aborted) {
        try {
          const r = await pollOnce(signal);
          log.info(
            {
              pages: r.pages,
              records: r.records,
              events: r.events,
              deadLetters: r.deadLetters,
              cursor: r.cursor.updatedOn,
            },
            'poll done',
          );
        } catch (err) {
          if (signal.aborted) break;
          log.error({ err }, 'poll failed; the cursor stays where the last acknowledged page left it');
        }
        await sleep(intervalMs, signal).catch(() => undefined);
      }
    },
  };
}
