import { describe, expect, it } from 'vitest';
import { slaVersion } from './row.js';

// ReplacingMergeTree keeps the row with the greatest version: these tests play that choice out
// on versions as ClickHouse compares them (unsigned 64-bit integers).

const newest = (rows: { label: string; version: string }[]) =>
  rows.reduce((a, b) => (BigInt(b.version) >= BigInt(a.version) ? b : a)).label;

describe('SLA row version', () => {
  it('is event count * 2^32 + as-of seconds, exactly, beyond 2^53', () => {
    // 3 * 4 294 967 296 = 12 884 901 888; + 1 000 000 000 s = 13 884 901 888
    expect(slaVersion(3, 1_000_000_000_000)).toBe('13884901888');
    // 2^21 events * 2^32 = 2^53; + 1 s = 9 007 199 254 740 993, not representable as a JS number
    expect(slaVersion(2 ** 21, 1_000)).toBe('9007199254740993');
  });

  it('lets a longer history win over any evaluation of a shorter one', () => {
    const t = Date.parse('2026-03-09T12:30:00Z');
    const rows = [
      { label: 'new history, early', version: slaVersion(5, t) },
      // a sweep that read the 4-event history and wrote a day later: stale, must lose
      { label: 'stale history, late', version: slaVersion(4, t + 86_400_000) },
    ];
    expect(newest(rows)).toBe('new history, early');
    expect(newest([...rows].reverse())).toBe('new history, early');
  });

  it('lets the later evaluation of the same history win (the sweep replaces the row)', () => {
    const t = Date.parse('2026-03-09T12:30:00Z');
    const rows = [
      { label: 'later', version: slaVersion(5, t + 60_000) },
      { label: 'earlier', version: slaVersion(5, t) },
    ];
    expect(newest(rows)).toBe('later');
    // same second: equal versions; ClickHouse keeps the last inserted, both are of the same history
    expect(slaVersion(5, t)).toBe(slaVersion(5, t + 999));
  });

  it('refuses values that would overflow their 32-bit halves', () => {
    expect(() => slaVersion(2 ** 32, 0)).toThrow(RangeError);
    expect(() => slaVersion(1, 2 ** 32 * 1000)).toThrow(RangeError);
  });
});
