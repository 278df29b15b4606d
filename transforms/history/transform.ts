import type { ClickHouseClient } from '../../core/clickhouse.js';
import { chunkForUrlParameter, toClickHouseTime } from '../../core/clickhouse.js';
import { type DeadLetter, deadLetter, REDRIVE_HEADER, sendDeadLetters } from '../../core/dead-letter.js';
import type { EventProducer, IncomingMessage, PartitionBatch } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import type { Outcome } from '../../core/outcome.js';
import { readQuery } from '../../core/queries.js';
import { tables } from '../../core/tables.js';
import { deadLetterRow, type RecordPosition } from './dead-letter-rows.js';
import { HistoryCache, historyKey } from './history-cache.js';

// The shape every stateful transform here shares: an entity's (ticket's, job's, agent's) results
// are recomputed from its whole event history whenever an event of it arrives, and written as
// rows that replace the previous ones. That makes late and out-of-order events land where they
// happened, and makes redoing a batch after a crash harmless.

export interface EntityEvent {
  eventId: string;
  tenant: string;
}

/** How one family of canonical events is read from Kafka and stored. */
export interface EntityFamily<E extends EntityEvent> {
  name: string;
  parse(message: IncomingMessage): Outcome<E>;
  entityId(event: E): string;
  /** Stores raw events idempotently (collapsing on event id). */
  storeEvents(ch: ClickHouseClient, events: E[]): Promise<void>;
  /** Stored histories of some entities of one tenant, keyed by entity id. */
  loadHistories(ch: ClickHouseClient, tenant: string, ids: string[]): Promise<Map<string, E[]>>;
  /** A page of entities with an event in [from, to), in (tenant, id) order after `after`. */
  entitiesWithEventsBetween?(
    ch: ClickHouseClient,
    range: { from: Date; to: Date; tenant: string },
    after: { tenant: string; id: string },
    limit: number,
  ): Promise<{ tenant: string; id: string }[]>;
}

export interface ProjectionContext {
  /** When the batch is processed: for figures that depend on the passing of time (ages, SLA). */
  now: number;
}

/**
 * One derived table: a row per entity computed from its full history, in a ReplacingMergeTree
 * whose version grows with the history, so the newest row wins.
 */
export interface Projection<E> {
  table: string;
  /** The entity's row, or null when its history cannot be placed yet (e.g. creation not seen). */
  rowFor(history: readonly E[], ctx: ProjectionContext): Record<string, unknown> | null;
}

export interface HistoryTransformOptions<E extends EntityEvent> {
  family: EntityFamily<E>;
  projections: Projection<E>[];
  ch: ClickHouseClient;
  deadLetters: EventProducer;
  deadLetterTopic: string;
  logger: Logger;
  /**
   * Estimated bytes of entity histories kept in memory (default 64 MiB); a miss reloads the
   * history from ClickHouse. See history-cache.ts.
   */
  cacheMaxBytes?: number;
  /** At most this many entities' histories kept in memory, besides the byte bound. */
  cacheEntities?: number;
  now?: () => number;
  /**
   * Called with a batch's parsed events before anything of the batch is stored (e.g. to mark what
   * a periodic job must recompute); a failure fails the batch, which is then redone.
   */
  beforeStore?: (events: readonly E[]) => Promise<void>;
  /**
   * Called with the full histories of the entities the batch touched and the batch's events, after
   * every row of the batch was stored and before the batch counts as done (e.g. to write events
   * another family derives from these); a failure fails the batch, which is then redone, so what
   * it writes must be idempotent.
   */
  afterStore?: (histories: readonly (readonly E[])[], events: readonly E[]) => Promise<void>;
}

export interface BatchResult {
  events: number;
  deadLettered: number;
  entitiesUpdated: number;
  rowsWritten: Record<string, number>;
}

/**
 * `handleBatch` resolves only after ClickHouse acknowledged every row derived from the batch and
 * Kafka acknowledged its dead letters, so the caller may then commit the batch's offsets.
 */
export class HistoryTransform<E extends EntityEvent> {
  private readonly histories: HistoryCache<E>;

  constructor(private readonly opts: HistoryTransformOptions<E>) {
    this.histories = new HistoryCache<E>({
      maxBytes: opts.cacheMaxBytes ?? 64 * 1024 * 1024,
      ...(opts.cacheEntities === undefined ? {} : { maxEntities: opts.cacheEntities }),
    });
  }

  /** Entities whose histories are cached, and the cache's estimated bytes. */
  cacheUsage(): { entities: number; bytes: number } {
    return { entities: this.histories.size, bytes: this.histories.bytes };
  }

  /** Another instance may have written histories for partitions this one now owns. */
  forgetCachedHistories(): void {
    this.histories.clear();
  }

  async handleBatch(batch: PartitionBatch): Promise<BatchResult> {
    const { family } = this.opts;
    const events: E[] = [];
    const deadLetters: DeadLetter[] = [];
    const positions: RecordPosition[] = [];
    for (const message of batch.messages) {
      const outcome = family.parse(message);
      if (outcome.kind === 'ok') events.push(outcome.value);
      else if (outcome.kind === 'dlq') {
        const redriveOf = message.headers[REDRIVE_HEADER];
        deadLetters.push(
          deadLetter(
            {
              kind: 'kafka',
              ref: `${batch.topic}:${batch.partition}:${message.offset}`,
              source: family.name,
              ...(redriveOf ? { redriveOf } : {}),
            },
            outcome.reason,
            message.value ?? '',
            outcome.problems,
          ),
        );
        positions.push({ topic: batch.topic, partition: batch.partition, offset: message.offset });
      }
    }

    if (deadLetters.length > 0) {
      await sendDeadLetters(this.opts.deadLetters, this.opts.deadLetterTopic, deadLetters);
      // Before the offsets are committed, like every row of the batch; keyed by the record's
      // position, so a redone batch does not count its dead letters twice.
      await this.opts.ch.insert({
        table: tables.deadLetters,
        format: 'JSONEachRow',
        values: deadLetters.map((d, i) => deadLetterRow(d, positions[i]!)),
      });
      this.opts.logger.warn(
        { count: deadLetters.length, first: deadLetters[0]?.reason },
        'dead-lettered records',
      );
    }

    if (events.length > 0 && this.opts.beforeStore) await this.opts.beforeStore(events);
    const touched = await this.historiesOf(events);
    const ctx: ProjectionContext = { now: (this.opts.now ?? Date.now)() };
    const rowsWritten: Record<string, number> = {};
    const inserts: Promise<unknown>[] = [family.storeEvents(this.opts.ch, events)];
    for (const projection of this.opts.projections) {
      const rows: Record<string, unknown>[] = [];
      for (const history of touched.values()) {
        const row = projection.rowFor(history, ctx);
        if (row) rows.push(row);
      }
      if (rows.length > 0) {
        inserts.push(this.opts.ch.insert({ table: projection.table, format: 'JSONEachRow', values: rows }));
      }
      rowsWritten[projection.table] = rows.length;
    }
    // The tables are independent and the batch counts as done only when every insert is
    // acknowledged, so they go out together: one round trip of latency instead of one per table.
    await Promise.all(inserts);
    if (events.length > 0 && this.opts.afterStore) await this.opts.afterStore([...touched.values()], events);
    return {
      events: events.length,
      deadLettered: deadLetters.length,
      entitiesUpdated: touched.size,
      rowsWritten,
    };
  }

  /** Full histories (stored + new) of the entities the events belong to. */
  private async historiesOf(events: E[]): Promise<Map<string, E[]>> {
    const { family } = this.opts;
    const touched = new Map<string, E[]>();
    const missing = new Map<string, Set<string>>();
    for (const e of events) {
      const id = family.entityId(e);
      const key = historyKey(e.tenant, id);
      if (touched.has(key)) continue;
      const cached = this.histories.get(key);
      if (cached) touched.set(key, cached);
      else {
        touched.set(key, []);
        const ids = missing.get(e.tenant) ?? new Set<string>();
        ids.add(id);
        missing.set(e.tenant, ids);
      }
    }
    for (const [tenant, ids] of missing) {
      const stored = await loadHistoriesInGroups(family.loadHistories, this.opts.ch, tenant, [...ids]);
      for (const [id, history] of stored) touched.set(historyKey(tenant, id), history);
    }
    for (const e of events) {
      const history = touched.get(historyKey(e.tenant, family.entityId(e)))!;
      if (!history.some((h) => h.eventId === e.eventId)) history.push(e);
    }
    for (const [key, history] of touched) this.histories.set(key, history);
    return touched;
  }
}

/**
 * Histories of many entities of one tenant. The ids travel as a query parameter in the URL, whose
 * length servers cap, so they are looked up in URL-sized groups (see chunkForUrlParameter).
 */
export async function loadHistoriesInGroups<E>(
  load: (ch: ClickHouseClient, tenant: string, ids: string[]) => Promise<Map<string, E[]>>,
  ch: ClickHouseClient,
  tenant: string,
  ids: readonly string[],
): Promise<Map<string, E[]>> {
  const out = new Map<string, E[]>();
  for (const group of chunkForUrlParameter(ids)) {
    for (const [id, history] of await load(ch, tenant, group)) out.set(id, history);
  }
  return out;
}

/** Pages through the entities of an events table that had an event in a range (for replays). */
export function entitiesWithEventsIn(
  eventsTable: string,
  idColumn: string,
): NonNullable<EntityFamily<EntityEvent>['entitiesWithEventsBetween']> {
  return async (ch, range, after, limit) => {
    const rs = await ch.query({
      query: readQuery('entities-with-events-between'),
      query_params: {
        events_table: eventsTable,
        id_column: idColumn,
        from: toClickHouseTime(range.from),
        to: toClickHouseTime(range.to),
        tenant: range.tenant,
        after_tenant: after.tenant,
        after_id: after.id,
        limit,
      },
      format: 'JSONEachRow',
    });
    return rs.json<{ tenant: string; id: string }>();
  };
}
