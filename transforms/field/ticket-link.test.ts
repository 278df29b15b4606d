import { describe, expect, it } from 'vitest';
import type { FieldJobEvent } from '../../core/events/field-job.js';
import { ticketEventSchema } from '../../core/events/ticket.js';
import type { EventProducer } from '../../core/kafka.js';
import { linkDispatchesToTickets, ticketDispatchEvents } from './ticket-link.js';

let n = 0;
function ev(type: FieldJobEvent['type'], iso: string, body: Record<string, unknown> = {}, id = `e${++n}`) {
  return {
    eventId: `fsm:job:J1:${id}`,
    schemaVersion: 1,
    source: 'fsm',
    tenant: 'acme-msp',
    jobId: 'J1',
    occurredAt: iso,
    receivedAt: iso,
    type,
    ...body,
  } as FieldJobEvent;
}
const created = (ticketId?: string) =>
  ev(
    'job.created',
    '2026-03-03T09:00:00.000Z',
    { site: 'LON-1', region: 'EMEA', ...(ticketId ? { ticketId } : {}) },
    'c',
  );
const dispatched = (iso: string, engineer: string, id: string, team?: string) =>
  ev('job.dispatched', iso, { engineer, ...(team ? { team } : {}) }, id);

describe('ticketDispatchEvents', () => {
  it('one ticket event per dispatch of a linked job, the same whenever it is derived', () => {
    const d1 = dispatched('2026-03-03T09:40:00.000Z', 'eng-1', 'd1');
    const d2 = dispatched('2026-03-03T11:00:00.000Z', 'eng-2', 'd2', 'emea-field');
    const out = ticketDispatchEvents([d2, created('T1'), d1, d1]);
    expect(out.map((e) => ticketEventSchema.parse(e))).toEqual(out); // valid canonical ticket events
    expect(
      out.map((e) => [e.ticketId, e.occurredAt, e.type === 'ticket.field_dispatched' && e.engineer]),
    ).toEqual([
      ['T1', '2026-03-03T11:00:00.000Z', 'eng-2'],
      ['T1', '2026-03-03T09:40:00.000Z', 'eng-1'],
    ]);
    expect(out[0]).toMatchObject({ team: 'emea-field', source: 'baton-field', jobId: 'J1' });
    expect(out[1]).not.toHaveProperty('team');
    // Derived again from another arrival order: identical ids and content.
    const again = ticketDispatchEvents([created('T1'), d1, d2]);
    expect(new Map(again.map((e) => [e.eventId, e]))).toEqual(new Map(out.map((e) => [e.eventId, e])));
    expect(new Set(out.map((e) => e.eventId)).size).toBe(2);
  });

  it('nothing before the creation arrived or when the job has no ticket; long ids stay within 200', () => {
    const d = dispatched('2026-03-03T09:40:00.000Z', 'eng-1', 'd1');
    expect(ticketDispatchEvents([d])).toEqual([]);
    expect(ticketDispatchEvents([created(), d])).toEqual([]);
    const long = ticketDispatchEvents([created('T'.repeat(190)), d]);
    expect(long[0]!.eventId.length).toBeLessThanOrEqual(200);
  });
});

describe('linkDispatchesToTickets', () => {
  it('writes, keyed by ticket, only for jobs the batch linked or dispatched', async () => {
    const sent: { topic: string; messages: { key: string; value: string }[] }[] = [];
    const producer = {
      send: async (topic: string, messages: { key: string; value: string }[]) => {
        sent.push({ topic, messages });
      },
    } as unknown as EventProducer;
    const link = linkDispatchesToTickets(producer, 'tickets');
    const d = dispatched('2026-03-03T09:40:00.000Z', 'eng-1', 'd1');
    const onSite = ev('job.on_site', '2026-03-03T10:30:00.000Z');
    const history = [created('T1'), d, onSite];
    await link([history], [onSite]); // an arrival changes no ticket event
    expect(sent).toEqual([]);
    await link([history], [d]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.topic).toBe('tickets');
    expect(sent[0]!.messages.map((m) => [m.key, JSON.parse(m.value).type])).toEqual([
      ['T1', 'ticket.field_dispatched'],
    ]);
  });
});
