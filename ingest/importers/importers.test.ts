import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../core/dead-letter.js';
import type { CanonicalEvent, TicketEvent } from '../../core/events/index.js';
import { type EventSink, KafkaUnavailableError } from '../sink.js';
import { loadPreset, PresetError, parsePreset, withTimestampOverrides } from './preset.js';
import { ImportInterruptedError, type ImportOptions, runImport } from './run.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const receivedAt = '2025-01-01T00:00:00.000Z';

function memorySink(failAfterBatches = Number.POSITIVE_INFINITY): EventSink & {
  events: CanonicalEvent[];
  letters: DeadLetter[];
} {
  let batches = 0;
  const sink = {
    events: [] as CanonicalEvent[],
    letters: [] as DeadLetter[],
    async emit(events: readonly CanonicalEvent[]) {
      if (batches++ >= failAfterBatches) throw new KafkaUnavailableError('broker went away');
      sink.events.push(...events);
    },
    async deadLetter(letters: readonly DeadLetter[]) {
      sink.letters.push(...letters);
    },
    async close() {},
  };
  return sink;
}

async function importFixture(name: string, format: string, extra: Partial<ImportOptions> = {}) {
  const sink = memorySink();
  const summary = await runImport({
    file: fixture(name),
    preset: loadPreset(format),
    tenant: 'acme',
    sink,
    receivedAt,
    ...extra,
  });
  return { summary, events: sink.events, letters: sink.letters };
}

const ofTicket = (events: CanonicalEvent[], id: string) =>
  events.filter((e): e is TicketEvent => 'ticketId' in e && e.ticketId === id);
const brief = (events: TicketEvent[]) =>
  events.map((e) => {
    const {
      eventId: _i,
      schemaVersion: _v,
      source: _s,
      tenant: _t,
      receivedAt: _r,
      ticketId: _k,
      ...rest
    } = e;
    return rest;
  });

describe('BPIC 2013 preset', () => {
  it('converts the sample (real rows of five requests) as in the snapshot', async () => {
    const { summary, events } = await importFixture('bpic2013-sample.csv', 'bpic2013');
    expect(summary.rowsRead).toBe(58);
    expect(summary.rowsRejected).toBe(0);
    expect(summary.entities).toBe(5);
    expect(events).toMatchSnapshot();
  });

  it('maps team, tier, region, priority and status, escalations and reopens', async () => {
    const { events } = await importFixture('bpic2013-sample.csv', 'bpic2013');
    const first = ofTicket(events, '1-364285768');
    expect(brief(first.slice(0, 3))).toEqual([
      {
        type: 'ticket.created',
        occurredAt: '2010-03-31T14:59:42.000Z',
        customer: 'volvo-it',
        region: 'EMEA',
        priority: 'medium',
        originalPriority: 'Medium',
        originalRegion: 'France',
        team: 'V30',
        tier: 'L1',
        category: 'PROD582',
      },
      {
        type: 'ticket.assigned',
        occurredAt: '2010-03-31T14:59:42.000Z',
        team: 'V30',
        region: 'EMEA',
        tier: 'L1',
        agent: 'fr-Frederic',
        originalTeam: 'V30',
        originalRegion: 'France',
        originalTier: 'L1',
      },
      {
        type: 'ticket.status_changed',
        occurredAt: '2010-03-31T14:59:42.000Z',
        status: 'in_progress',
        originalStatus: 'Accepted/In Progress',
      },
    ]);
    expect(first[0]!.eventId).toBe('bpic2013:ticket:1-364285768:20100331T145942.000Z.0:created');
    // line 4: V30 (L1) -> V5 3rd (L3) is a handover and a tier escalation.
    const escalation = first.find((e) => e.type === 'ticket.escalated');
    expect(escalation).toMatchObject({ kind: 'tier', toTier: 'L3', occurredAt: '2010-03-31T15:45:48.000Z' });
    // L2/L3 is read as L2 and keeps the original value.
    expect(first.find((e) => e.type === 'ticket.assigned' && e.originalTier === 'L2/L3')).toMatchObject({
      team: 'V13 2nd 3rd',
      tier: 'L2',
    });
    // Owner Country 0 (unknown) keeps the region the ticket had with that team.
    const last = first.at(-1)!;
    expect(last.type).toBe('ticket.closed');
    expect(first.filter((e) => e.type === 'ticket.assigned').every((e) => e.region === 'EMEA')).toBe(true);
    // Completed/Resolved followed by activity is a reopen; several resolves of one request.
    expect(first.filter((e) => e.type === 'ticket.reopened').length).toBeGreaterThan(0);
    // Unmatched after Completed/Resolved: a reopen.
    const unmatched = ofTicket(events, '1-722103633').find(
      (e) => e.occurredAt === '2012-04-24T13:11:24.000Z',
    );
    expect(unmatched?.type).toBe('ticket.reopened');
    // Completed/Cancelled.
    expect(ofTicket(events, '1-737379684').map((e) => e.type)).toContain('ticket.cancelled');
    // Wait - User is on hold for the customer.
    expect(
      ofTicket(events, '1-605313141').find(
        (e) => e.type === 'ticket.status_changed' && e.status === 'on_hold',
      ),
    ).toMatchObject({ holdReason: 'customer', originalStatus: 'Accepted/Wait - User' });
  });

  it('gives the same event ids on every import of the same file', async () => {
    const a = await importFixture('bpic2013-sample.csv', 'bpic2013');
    const b = await importFixture('bpic2013-sample.csv', 'bpic2013', {
      receivedAt: '2030-01-01T00:00:00.000Z',
    });
    expect(b.events.map((e) => e.eventId)).toEqual(a.events.map((e) => e.eventId));
    expect(new Set(a.events.map((e) => e.eventId)).size).toBe(a.events.length);
  });

  it('reads gzipped files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-import-'));
    const gz = join(dir, 'sample.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(fixture('bpic2013-sample.csv'))));
    const sink = memorySink();
    const summary = await runImport({
      file: gz,
      preset: loadPreset('bpic2013'),
      tenant: 'acme',
      sink,
      receivedAt,
    });
    const plain = await importFixture('bpic2013-sample.csv', 'bpic2013');
    expect(summary.rowsRead).toBe(58);
    expect(sink.events).toEqual(plain.events);
  });

  it('rejects bad rows with the line, the column and the reason, and keeps the good ones', async () => {
    const { summary, events, letters } = await importFixture('bpic2013-broken.csv', 'bpic2013');
    expect(summary.rowsRead).toBe(12);
    expect(summary.rowsRejected).toBe(7);
    expect(summary.rowsWithEvents).toBe(5);
    const byLine = Object.fromEntries(letters.map((l) => [Number(l.origin.ref.split(':').at(-1)), l]));
    expect(Object.keys(byLine).map(Number)).toEqual([4, 5, 6, 7, 8, 9, 11]);
    expect(byLine[4]!.reason).toBe(
      'column "Change Date+Time" (change time): "not a date" is not a timestamp in ISO-8601 (zone Europe/Stockholm when no offset)',
    );
    expect(byLine[5]!.reason).toContain('unknown status "Accepted/Teleported"');
    expect(byLine[5]!.problems?.[0]?.path).toBe('Status');
    expect(byLine[6]!.reason).toContain('column "Owner Country": unknown region "Atlantis"');
    expect(byLine[7]!.reason).toBe('expected 10 columns as in the header, got 6');
    expect(byLine[8]!.reason).toBe('column "SR Number": no ticket id');
    expect(byLine[9]!.reason).toContain('earlier than the previous row of ticket 1-100 (line 2');
    expect(byLine[11]!.reason).toContain('column "ST Level": unknown tier "L4"');
    expect(byLine[4]).toMatchObject({
      origin: { kind: 'file', source: 'bpic2013' },
      raw: '1-100,not a date,Accepted,In Progress,G1,L1,Low,Sweden,se-Anna,PROD1',
      rawEncoding: 'utf8',
    });
    expect(summary.rejections.map((r) => [r.reason, r.count, r.lines])).toContainEqual([
      'column "Owner Country": unknown region',
      1,
      [6],
    ]);
    // Good rows around the bad ones: 1-100 goes G1 -> G2 2nd (L2; Owner Country 0: region kept) ->
    // resolved by a POLAND owner (EMEA too: no new assignment).
    const t100 = ofTicket(events, '1-100');
    expect(t100.map((e) => e.type)).toEqual([
      'ticket.created',
      'ticket.assigned',
      'ticket.status_changed',
      'ticket.assigned',
      'ticket.escalated',
      'ticket.status_changed',
      'ticket.status_changed',
      'ticket.resolved',
    ]);
    expect(t100[3]).toMatchObject({ team: 'G2 2nd', region: 'EMEA', tier: 'L2' });
    expect(t100[3]).not.toHaveProperty('originalRegion');
  });
});

describe('ServiceNow export preset', () => {
  it('converts the fixture as in the snapshot', async () => {
    const { summary, events } = await importFixture('servicenow-export.csv', 'servicenow-export');
    expect(summary).toMatchObject({ rowsRead: 14, rowsRejected: 0, entities: 3 });
    expect(events).toMatchSnapshot();
  });

  it('reads display values, hold reasons, opened/resolved times, reopens and unknown markers', async () => {
    const { events } = await importFixture('servicenow-export.csv', 'servicenow-export');
    const inc1 = ofTicket(events, 'INC0010001');
    expect(inc1[0]).toMatchObject({
      type: 'ticket.created',
      eventId: 'servicenow:ticket:INC0010001:20240506T085812.000Z.0:created',
      priority: 'medium',
      originalPriority: '3 - Moderate',
      region: 'APAC',
      customer: 'Acme Retail',
      site: 'Sydney - George St',
      category: 'network',
    });
    // the first row is New: no status change beside the creation
    expect(inc1.slice(0, 2).map((e) => e.type)).toEqual(['ticket.created', 'ticket.assigned']);
    const handover = inc1.find((e) => e.type === 'ticket.assigned' && e.team === 'EMEA Network');
    expect(handover).toMatchObject({ region: 'EMEA', tier: 'L2', occurredAt: '2024-05-06T16:45:00.000Z' });
    expect(handover).not.toHaveProperty('agent');
    expect(inc1.find((e) => e.type === 'ticket.escalated')).toMatchObject({ toTier: 'L2' });
    expect(inc1.find((e) => e.type === 'ticket.priority_changed')).toMatchObject({
      priority: 'high',
      originalPriority: '2 - High',
    });
    expect(inc1.find((e) => e.type === 'ticket.status_changed' && e.status === 'on_hold')).toMatchObject({
      holdReason: 'vendor',
      originalStatus: 'On Hold/Awaiting Vendor',
    });
    expect(inc1.find((e) => e.type === 'ticket.resolved')?.occurredAt).toBe('2024-05-08T14:29:10.000Z');
    expect(inc1.at(-1)).toMatchObject({ type: 'ticket.closed', occurredAt: '2024-05-11T14:30:02.000Z' });
    const inc2 = ofTicket(events, 'INC0010002').map((e) => e.type);
    expect(inc2.filter((t) => t === 'ticket.resolved')).toHaveLength(2);
    expect(inc2).toContain('ticket.reopened');
    // INC0010003: no u_region: the region its team had; priority "?" keeps the previous one.
    const inc3 = ofTicket(events, 'INC0010003');
    expect(inc3[0]).toMatchObject({ type: 'ticket.created', region: 'EMEA', priority: 'low' });
    expect(inc3.map((e) => e.type)).toEqual([
      'ticket.created',
      'ticket.assigned',
      'ticket.status_changed',
      'ticket.cancelled',
    ]);
  });

  it('takes the instance date format and zone from the flags', async () => {
    const preset = withTimestampOverrides(loadPreset('servicenow-export'), {
      dateFormat: 'dd-MM-yyyy HH:mm',
      timeZone: 'Europe/Berlin',
    });
    const sink = memorySink();
    const summary = await runImport({
      file: fixture('servicenow-dmy.csv'),
      preset,
      tenant: 'acme',
      sink,
      receivedAt,
    });
    expect(summary.rowsRejected).toBe(0);
    expect(sink.events[0]).toMatchObject({ type: 'ticket.created', occurredAt: '2024-05-06T08:58:00.000Z' });
    expect(sink.events.at(-1)).toMatchObject({
      type: 'ticket.resolved',
      occurredAt: '2024-05-06T11:30:00.000Z',
    });

    const wrong = await importFixture('servicenow-dmy.csv', 'servicenow-export');
    expect(wrong.summary.rowsRejected).toBe(3);
    expect(wrong.letters[0]!.reason).toContain(
      'column "sys_updated_at" (change time): "06-05-2024 10:58" is not a timestamp in "yyyy-MM-dd HH:mm:ss" in UTC',
    );
    expect(() => withTimestampOverrides(loadPreset('servicenow-export'), { timeZone: 'Mars/Base' })).toThrow(
      PresetError,
    );
  });
});

describe('generic preset file (JSONL)', () => {
  it('follows a custom preset: columns, formats, team fallbacks', async () => {
    const { summary, events, letters } = await importFixture('generic.jsonl', fixture('generic.preset.json'));
    expect(summary).toMatchObject({ rowsRead: 7, rowsRejected: 1, entities: 2 });
    expect(letters[0]!.origin.ref).toMatch(/generic\.jsonl:4$/);
    expect(letters[0]!.reason).toMatch(/^not JSON/);
    // T-2 has no country: its team's region from the mapping's `teams`.
    expect(ofTicket(events, 'T-2')[0]).toMatchObject({
      region: 'EMEA',
      tier: 'L1',
      occurredAt: '2024-07-01T07:05:00.000Z',
    });
    const t1 = ofTicket(events, 'T-1');
    expect(t1.find((e) => e.type === 'ticket.assigned' && e.team === 'Tokyo L2')).toMatchObject({
      region: 'APAC',
      tier: 'L2',
      originalTier: '2',
    });
    expect(t1.map((e) => e.type)).toContain('ticket.escalated');
    expect(events.every((e) => e.source === 'helpdesk-log')).toBe(true);
  });

  it('explains what is wrong with an invalid preset', () => {
    expect(() => parsePreset({ kind: 'tickets', name: 'x', source: 's', columns: {} }, 'my.json')).toThrow(
      /my\.json is not a valid preset:\n {2}timestamp: .*\n {2}columns\.ticketId/,
    );
    expect(() => loadPreset('nonsense')).toThrow(/unknown format "nonsense"/);
  });

  it('refuses a file whose header lacks a column the preset needs', async () => {
    await expect(
      runImport({ file: fixture('roster.csv'), preset: loadPreset('bpic2013'), tenant: 'acme', receivedAt }),
    ).rejects.toThrow(/the header has no column "SR Number", "Change Date\+Time"/);
  });
});

describe('roster preset', () => {
  it('turns rows into joined and left events', async () => {
    const { summary, events } = await importFixture('roster.csv', 'roster');
    expect(summary).toMatchObject({ rowsRead: 5, rowsRejected: 0, entities: 4, eventsProduced: 6 });
    expect(events).toMatchSnapshot();
    expect(
      events.find((e) => 'agentId' in e && e.agentId === 'marcus.lee' && e.type === 'roster.member_left'),
    ).toMatchObject({
      occurredAt: '2024-06-30T00:00:00.000Z',
      eventId: 'roster-file:agent:marcus.lee:20240630T000000.000Z:left',
    });
    expect(events.find((e) => 'agentId' in e && e.agentId === 'ana.costa')).toMatchObject({
      type: 'roster.member_joined',
      region: 'EMEA',
      fte: 0.5,
      occurredAt: '2024-02-15T08:00:00.000Z',
    });
  });

  it('rejects bad roster rows with reasons', async () => {
    const { summary, letters } = await importFixture('roster-broken.csv', 'roster');
    expect(summary).toMatchObject({ rowsRead: 7, rowsRejected: 5, eventsProduced: 3 });
    expect(letters.map((l) => [l.origin.ref.split(':').at(-1), l.reason])).toEqual([
      ['3', 'column "fte": "1.5" is not an FTE between 0 (excluded) and 1'],
      [
        '4',
        'column "region": unknown region "Atlantis": add it to the "region" section of the preset\'s mapping',
      ],
      ['5', 'column "start" (start): "08/01/2024" is not a date in ISO-8601 (zone UTC when no offset)'],
      ['6', 'column "agent": no agent'],
      ['7', 'column "end": end 2024-01-01T00:00:00.000Z is before start 2024-06-01T00:00:00.000Z'],
    ]);
  });
});

describe('when Kafka stops acknowledging', () => {
  it('stops with the last acknowledged line and what was acknowledged stays', async () => {
    const sink = memorySink(1);
    const err = await runImport({
      file: fixture('bpic2013-sample.csv'),
      preset: loadPreset('bpic2013'),
      tenant: 'acme',
      sink,
      receivedAt,
      batchEvents: 20,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportInterruptedError);
    const { summary, message } = err as ImportInterruptedError;
    expect(summary.lastAcknowledgedLine).toBeGreaterThan(1);
    expect(message).toContain(`Lines up to ${summary.lastAcknowledgedLine} of`);
    expect(message).toContain('Re-running the same command is safe');
    expect(sink.events.length).toBeGreaterThanOrEqual(20);
  });
});
