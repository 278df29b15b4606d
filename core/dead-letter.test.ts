import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_MAX_BYTES, deadLetter, deadLetterSchema, sendDeadLetters } from './dead-letter.js';
import type { OutgoingMessage } from './kafka.js';

const origin = { kind: 'kafka' as const, ref: 't:0:7', source: 'ticket' };

describe('deadLetter', () => {
  it('keeps a text record as text and anything else as base64', () => {
    expect(deadLetter(origin, 'r', '{"a":1}')).toMatchObject({ raw: '{"a":1}', rawEncoding: 'utf8' });
    const binary = Buffer.from([0xff, 0x00, 0x41]);
    const letter = deadLetter(origin, 'r', binary);
    expect(letter.rawEncoding).toBe('base64');
    expect(Buffer.from(letter.raw, 'base64').equals(binary)).toBe(true);
    expect(deadLetterSchema.parse(JSON.parse(JSON.stringify(letter)))).toEqual(letter);
  });

  it('cuts a record too big for the broker: its start, size and digest stay', () => {
    // Quotes double in JSON: 600 KB of them would serialise to 1.2 MB.
    const raw = Buffer.from('"'.repeat(600_000));
    const letter = deadLetter(origin, 'too long', raw);
    expect(letter.truncated).toEqual({
      bytes: 600_000,
      sha256: createHash('sha256').update(raw).digest('hex'),
    });
    expect(Buffer.from(letter.raw, 'base64').equals(raw.subarray(0, 64 * 1024))).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThan(DEAD_LETTER_MAX_BYTES);
    expect(deadLetter(origin, 'fits', Buffer.from('x'.repeat(800_000))).truncated).toBeUndefined();
  });
});

describe('sendDeadLetters', () => {
  it('groups letters below the size limit, in order', async () => {
    const sent: OutgoingMessage[][] = [];
    const producer = { send: async (_t: string, m: OutgoingMessage[]) => void sent.push(m) };
    const letters = [1, 2, 3, 4, 5].map((i) =>
      deadLetter({ ...origin, ref: `t:0:${i}` }, 'r', 'y'.repeat(400_000)),
    );
    await sendDeadLetters(producer, 'dlq', letters);
    expect(sent.map((g) => g.map((m) => m.key))).toEqual([['t:0:1', 't:0:2'], ['t:0:3', 't:0:4'], ['t:0:5']]);
    for (const g of sent) {
      expect(g.reduce((n, m) => n + Buffer.byteLength(m.value), 0)).toBeLessThan(DEAD_LETTER_MAX_BYTES);
    }
    sent.length = 0;
    await sendDeadLetters(producer, 'dlq', []);
    expect(sent).toEqual([]);
  });
});
