import { describe, expect, it } from 'vitest';
import { chunkForUrlParameter, isoToClickHouseTime, toClickHouseTime } from './clickhouse.js';
import { isoUtc } from './events/common.js';

describe('chunkForUrlParameter', () => {
  it('keeps every value, in order, in groups under the encoded budget', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => `ticket-${String(i).padStart(8, '0')}`);
    const chunks = chunkForUrlParameter(ids, 16_000);
    expect(chunks.flat()).toEqual(ids);
    // Each id: 15 characters + 9 for quotes and comma = 24; 16 000 / 24 = 666 per group.
    expect(chunks[0]).toHaveLength(666);
    expect(chunks).toHaveLength(Math.ceil(5_000 / 666));
  });

  it('counts encoded characters, and gives an oversized value a group of its own', () => {
    const wide = 'é'.repeat(100); // 6 encoded characters each
    const chunks = chunkForUrlParameter(['a', wide, 'b'], 300);
    expect(chunks).toEqual([['a'], [wide], ['b']]);
    expect(chunkForUrlParameter([])).toEqual([]);
  });
});

describe('instants for ClickHouse', () => {
  it('writes DateTime64(3) text from epoch ms and from canonical ISO strings alike', () => {
    expect(toClickHouseTime(Date.UTC(2026, 2, 1, 8, 5, 9, 42))).toBe('2026-03-01 08:05:09.042');
    expect(toClickHouseTime(0)).toBe('1970-01-01 00:00:00.000');
    expect(isoToClickHouseTime('2026-03-01T08:05:09.042Z')).toBe('2026-03-01 08:05:09.042');
    // A year past 9999 is written by toISOString() with a sign and six digits: left whole.
    expect(toClickHouseTime(Date.UTC(10_000, 0, 1))).toBe('+010000-01-01 00:00:00.000');
  });

  it('normalises event instants to canonical UTC, and leaves canonical ones as they are', () => {
    expect(isoUtc.parse('2026-03-01T08:05:09.042Z')).toBe('2026-03-01T08:05:09.042Z');
    expect(isoUtc.parse('2026-03-01T09:05:09+01:00')).toBe('2026-03-01T08:05:09.000Z');
    expect(isoUtc.parse('2026-03-01T08:05:09.5Z')).toBe('2026-03-01T08:05:09.500Z');
    expect(isoUtc.parse('2026-03-01T08:05:09Z')).toBe('2026-03-01T08:05:09.000Z');
    expect(isoUtc.safeParse('2026-02-30T08:05:09.000Z').success).toBe(false);
    expect(isoUtc.safeParse('2100-01-01T00:00:00.000Z').success).toBe(false);
  });
});
