import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../core/kafka.js';
import { parseTicketMessage } from '../lifecycle/parse.js';

const message = (key: string | null, value: string | null): IncomingMessage => ({
  key,
  value: value === null ? null : Buffer.from(value),
  offset: '0',
  timestamp: '0',
  headers: {},
});
const event = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventId: 'x:ticket:T1:0',
    schemaVersion: 1,
    source: 'x',
    tenant: 't',
    ticketId: 'T1',
    occurredAt: '2026-03-02T08:00:00Z',
    receivedAt: '2026-03-02T08:00:00Z',
    type: 'ticket.resolved',
    ...extra,
  });

describe('eventMessageParser', () => {
  it('accepts a record keyed by its entity', () => {
    expect(parseTicketMessage(message('T1', event())).kind).toBe('ok');
  });

  it('dead-letters a record without a key, an empty one, and impossible instants', () => {
    expect(parseTicketMessage(message(null, event()))).toEqual({
      kind: 'dlq',
      reason: 'record has no key; it must be the ticketId "T1"',
    });
    expect(parseTicketMessage(message('T1', null))).toEqual({ kind: 'dlq', reason: 'empty record' });
    for (const occurredAt of ['3000-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '2100-01-01T00:00:00Z']) {
      expect(parseTicketMessage(message('T1', event({ occurredAt }))), occurredAt).toMatchObject({
        kind: 'dlq',
        problems: [
          {
            path: 'occurredAt',
            message: 'must be on or after 1970-01-01T00:00:00.000Z and before 2100-01-01T00:00:00.000Z',
          },
        ],
      });
    }
    expect(parseTicketMessage(message('T1', event({ occurredAt: '1970-01-01T00:00:00Z' }))).kind).toBe('ok');
  });
});
