import { describe, expect, it } from 'vitest';
import { deadLetter } from '../../core/dead-letter.js';
import { deadLetterId, deadLetterRow, RAW_PREVIEW_CHARS, reasonKind } from './dead-letter-rows.js';

describe('dead-letter rows', () => {
  it('group reasons without the record-specific part', () => {
    expect(reasonKind('invalid JSON: Unexpected token n in JSON at position 1')).toBe('invalid JSON');
    expect(reasonKind('record key "T9" is not the ticketId "T1"')).toBe('record key');
    expect(reasonKind('not a canonical ticket event v1')).toBe('not a canonical ticket event v1');
    expect(reasonKind('empty record')).toBe('empty record');
    expect(reasonKind(': odd')).toBe(': odd');
  });

  it('are identified by the record position', () => {
    expect(deadLetterId({ topic: 'baton.ticket-events.v1', partition: 3, offset: '42' })).toBe(
      'baton.ticket-events.v1/3/42',
    );
  });

  it('keep the start of the record and the field problems as JSON', () => {
    const letter = {
      ...deadLetter(
        { kind: 'kafka', ref: 't:0:7', source: 'ticket' },
        'not a canonical ticket event v1',
        'x'.repeat(2_000),
        [{ path: 'ticketId', message: 'Required' }],
      ),
      at: '2026-11-30T10:00:00.000Z',
    };
    expect(deadLetterRow(letter, { topic: 't', partition: 0, offset: '7' })).toEqual({
      id: 't/0/7',
      topic: 't',
      partition: 0,
      offset: '7',
      family: 'ticket',
      reason_kind: 'not a canonical ticket event v1',
      reason: 'not a canonical ticket event v1',
      problems: '[{"path":"ticketId","message":"Required"}]',
      raw_preview: 'x'.repeat(RAW_PREVIEW_CHARS),
      raw_encoding: 'utf8',
      dead_lettered_at: '2026-11-30 10:00:00.000',
    });
  });
});
