import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../core/dead-letter.js';
import { type CanonicalEvent, entityKey } from '../../../core/events/index.js';
import { createLogger } from '../../../core/logger.js';
import { buildMappings } from '../../../core/mapping.js';
import {
  type FakeServiceNow,
  incident,
  startFakeServiceNow,
} from '../../../test/fakes/servicenow-table-api.js';
import type { EventSink } from '../../sink.js';
import { memoryStateStore } from '../connector-state.js';
import { advanceCursor, cursorFrom, cursorQuery, EPOCH_CURSOR, isSeen } from './cursor.js';
import { CURSOR_KEY, createServiceNowPoller } from './poller.js';

// Cursor logic alone, then the poller against the Table API mock (test/fakes, a mock following
// the vendor's documented contract) with an in-memory sink and state store.

describe('Table API cursor', () => {
  const p = (sysId: string, updatedOn: string, modCount = '0') => ({ sysId, updatedOn, modCount });

  it('asks for sys_updated_on >= the cursor, oldest first, sys_id breaking ties', () => {
    expect(cursorQuery(cursorFrom('2026-03-02T09:15:00+01:00'))).toBe(
      'sys_updated_on>=2026-03-02 08:15:00^ORDERBYsys_updated_on^ORDERBYsys_id',
    );
  });

  it('keeps the ids handled at the last second, across pages sharing it', () => {
    const c1 = advanceCursor(EPOCH_CURSOR, [p('a', '2026-03-02 09:00:00'), p('b', '2026-03-02 09:00:05')]);
    expect(c1).toEqual({ updatedOn: '2026-03-02 09:00:05', seen: { b: '0' } });
    // The next page starts with b again (>=), then c at the same second, then d later.
    expect(isSeen(c1, p('b', '2026-03-02 09:00:05'))).toBe(true);
    expect(isSeen(c1, p('c', '2026-03-02 09:00:05'))).toBe(false);
    const c2 = advanceCursor(c1, [p('c', '2026-03-02 09:00:05')]);
    expect(c2).toEqual({ updatedOn: '2026-03-02 09:00:05', seen: { b: '0', c: '0' } });
    const c3 = advanceCursor(c2, [p('d', '2026-03-02 09:01:00')]);
    expect(c3).toEqual({ updatedOn: '2026-03-02 09:01:00', seen: { d: '0' } });
  });

  it('a record updated again within the same second is not skipped', () => {
    const c = advanceCursor(EPOCH_CURSOR, [p('a', '2026-03-02 09:00:00', '3')]);
    expect(isSeen(c, p('a', '2026-03-02 09:00:00', '3'))).toBe(true);
    expect(isSeen(c, p('a', '2026-03-02 09:00:00', '4'))).toBe(false);
  });
});

function memorySink() {
  const events: CanonicalEvent[] = [];
  const letters: DeadLetter[] = [];
  let failEmits = 0;
  const sink: EventSink = {
    async emit(batch) {
      if (failEmits > 0) {
        failEmits--;
        throw new Error('kafka down');
      }
      events.push(...batch);
    },
    async deadLetter(batch) {
      letters.push(...batch);
    },
    async close() {},
  };
  return { sink, events, letters, failNextEmit: () => failEmits++ };
}

describe('ServiceNow poller (Table API mock)', () => {
  let fake: FakeServiceNow;
  const logger = createLogger({ LOG_LEVEL: 'silent' }, 'test');
  const mapping = buildMappings().get('servicenow')!;
  beforeEach(async () => {
    fake = await startFakeServiceNow();
  });
  afterEach(async () => {
    await fake.close();
  });

  const poller = (state: ReturnType<typeof memoryStateStore>, sink: EventSink, pageSize = 2) =>
    createServiceNowPoller({
      instanceUrl: fake.url,
      tenant: 'acme',
      auth: { user: 'baton', password: 'secret' },
      sink,
      state,
      mapping,
      logger,
      pageSize,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });

  it('walks pages with equal sys_updated_on across the boundary: each record once', async () => {
    for (const [id, at] of [
      ['s1', '2026-03-02 09:00:00'],
      ['s2', '2026-03-02 09:00:10'],
      ['s3', '2026-03-02 09:00:10'],
      ['s4', '2026-03-02 09:00:10'],
      ['s5', '2026-03-02 09:00:20'],
    ] as const) {
      fake.put('incident', incident({ sysId: id, updatedOn: at, company: 'Contoso', location: 'Japan' }));
    }
    const state = memoryStateStore();
    const { sink, events } = memorySink();
    const r = await poller(state, sink).pollOnce();
    expect(events.map((e) => e.eventId)).toEqual(
      ['s1', 's2', 's3', 's4', 's5'].map((id) => `servicenow:ticket:${id}:created`),
    );
    expect(r).toMatchObject({ records: 5, events: 5, deadLetters: 0 });
    expect(JSON.parse(state.data.get(CURSOR_KEY)!)).toEqual({
      updatedOn: '2026-03-02 09:00:20',
      seen: { s5: '0' },
    });
    // Every page was asked for from the cursor, with the documented parameters.
    expect(fake.requests[0]!.params).toMatchObject({
      sysparm_query: 'sys_updated_on>=1970-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id',
      sysparm_limit: '2',
      sysparm_offset: '0',
      sysparm_display_value: 'all',
      sysparm_exclude_reference_link: 'true',
    });
    expect(fake.requests[0]!.params.sysparm_fields!.split(',')).toEqual(
      expect.arrayContaining(['sys_id', 'number', 'sys_mod_count']),
    );
    expect(events[0]).toMatchObject({ ticketId: 'INC0000001', eventId: 'servicenow:ticket:s1:created' });
    // A second poll finds nothing new.
    const again = await poller(state, sink).pollOnce();
    expect(again).toMatchObject({ records: 0, events: 0 });
    expect(events).toHaveLength(5);
  });

  it('steps over a same-second run longer than a page', async () => {
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) {
      fake.put('incident', incident({ sysId: id, updatedOn: '2026-03-02 10:00:00', location: 'Japan' }));
    }
    const state = memoryStateStore();
    const { sink, events } = memorySink();
    await poller(state, sink).pollOnce();
    // ticketId is the incident number (the mock numbers r1 as INC0000001).
    const numbers = (n: number) => Array.from({ length: n }, (_, i) => `INC000000${i + 1}`);
    expect(events.map((e) => entityKey(e))).toEqual(numbers(5));
    fake.put('incident', incident({ sysId: 'r6', updatedOn: '2026-03-02 10:00:00', location: 'Japan' }));
    await poller(state, sink).pollOnce();
    expect(events.map((e) => entityKey(e))).toEqual(numbers(6));
  });

  it('a failed emit leaves cursor and snapshots untouched; the retry derives the same ids', async () => {
    fake.put('incident', incident({ sysId: 'k1', updatedOn: '2026-03-02 09:00:00', location: 'Japan' }));
    fake.put('incident', incident({ sysId: 'k2', updatedOn: '2026-03-02 09:00:01', location: 'Japan' }));
    fake.put('incident', incident({ sysId: 'k3', updatedOn: '2026-03-02 09:00:02', location: 'Japan' }));
    const state = memoryStateStore();
    const { sink, events, failNextEmit } = memorySink();
    const p = poller(state, sink);
    await p.pollOnce();
    fake.put(
      'incident',
      incident({ sysId: 'k3', updatedOn: '2026-03-02 09:05:00', modCount: 1, state: '2', location: 'Japan' }),
    );
    const cursorBefore = state.data.get(CURSOR_KEY);
    failNextEmit();
    await expect(p.pollOnce()).rejects.toThrow('kafka down');
    expect(state.data.get(CURSOR_KEY)).toBe(cursorBefore);
    await p.pollOnce();
    expect(events.map((e) => e.eventId).slice(3)).toEqual(['servicenow:ticket:k3:1.status']);
  });

  it('unmappable records are dead-lettered with the raw record; the poll goes on', async () => {
    fake.put('incident', incident({ sysId: 'd1', updatedOn: '2026-03-02 09:00:00', location: 'Atlantis' }));
    fake.put(
      'incident',
      incident({ sysId: 'd2', updatedOn: '2026-03-02 09:00:01', location: 'Japan', state: '42' }),
    );
    fake.put('incident', incident({ sysId: 'd3', updatedOn: '2026-03-02 09:00:02', location: 'Japan' }));
    const state = memoryStateStore();
    const { sink, events, letters } = memorySink();
    const r = await poller(state, sink).pollOnce();
    expect(events.map((e) => entityKey(e))).toEqual(['INC0000003']);
    expect(letters.map((l) => [l.origin.ref, l.reason])).toEqual([
      [
        'incident:d1@2026-03-02 09:00:00#0',
        'unknown region "Atlantis" for source "servicenow": add it to the "region" section of that source\'s mapping',
      ],
      [
        'incident:d2@2026-03-02 09:00:01#0',
        'unknown status "42" for source "servicenow": add it to the "status" section of that source\'s mapping',
      ],
    ]);
    expect(JSON.parse(letters[0]!.raw).sys_id).toEqual({ value: 'd1', display_value: 'd1' });
    expect(r.cursor.updatedOn).toBe('2026-03-02 09:00:02');
  });

  it('waits out 429 Retry-After and 5xx, and refuses without valid credentials', async () => {
    fake.put('incident', incident({ sysId: 'w1', updatedOn: '2026-03-02 09:00:00', location: 'Japan' }));
    fake.failNext(1, { status: 429, retryAfterSeconds: 1 });
    fake.failNext(1, { status: 503 });
    const { sink, events } = memorySink();
    const started = Date.now();
    await poller(memoryStateStore(), sink).pollOnce();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 503, 200]);
    expect(events).toHaveLength(1);

    const wrong = createServiceNowPoller({
      instanceUrl: fake.url,
      tenant: 'acme',
      auth: { user: 'baton', password: 'nope' },
      sink,
      state: memoryStateStore(),
      mapping,
      logger,
    });
    await expect(wrong.pollOnce()).rejects.toThrow(/HTTP 401/);
  });
});
