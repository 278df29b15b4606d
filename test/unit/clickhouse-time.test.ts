import { describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../core/clickhouse.js';

// toClickHouseTime formats without a Date per call; the reference here is the ISO text of a Date.
const reference = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

describe('toClickHouseTime', () => {
  it('equals the ISO text of the same instant at day, leap-day, year and range boundaries', () => {
    const edges = [
      0,
      1,
      999,
      86_399_999,
      86_400_000,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 1, 29, 12, 0, 0, 7),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    for (const ms of edges) {
      expect(toClickHouseTime(ms)).toBe(reference(ms));
      expect(toClickHouseTime(new Date(ms))).toBe(reference(ms));
    }
  });

  it('equals the ISO text for random instants, one after another on alternating days', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let i = 0; i < 50_000; i++) {
      const ms = Math.floor(random() * Date.UTC(9999, 0, 1));
      expect(toClickHouseTime(ms)).toBe(reference(ms));
      const near = Date.UTC(2026, 5, 1) + Math.floor(random() * 3 * 86_400_000);
      expect(toClickHouseTime(near)).toBe(reference(near));
    }
  });

  it('drops a fraction of a millisecond as Date does, and keeps instants outside 1970-9999 whole', () => {
    expect(toClickHouseTime(1_700_000_000_123.9)).toBe(reference(1_700_000_000_123));
    expect(toClickHouseTime(-1)).toBe('1969-12-31 23:59:59.999');
    expect(toClickHouseTime(Date.UTC(10_000, 0, 1))).toBe('+010000-01-01 00:00:00.000');
    expect(() => toClickHouseTime(Number.NaN)).toThrow(RangeError);
  });
});
