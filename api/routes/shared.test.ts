import { describe, expect, it } from 'vitest';
import { periodEdges } from './shared.js';

const iso = (edges: Date[] | null) => edges?.map((d) => d.toISOString()) ?? null;

describe('periodEdges', () => {
  it('London days around the switch to summer time: Sunday 29 March 2026 lasts 23 h', () => {
    const edges = periodEdges(
      new Date('2026-03-28T00:00:00Z'),
      new Date('2026-03-30T23:00:00Z'),
      'day',
      'Europe/London',
      100,
    );
    expect(iso(edges)).toEqual([
      '2026-03-28T00:00:00.000Z', // Sat 00:00 GMT
      '2026-03-29T00:00:00.000Z', // Sun 00:00 GMT
      '2026-03-29T23:00:00.000Z', // Mon 00:00 BST, 23 h later
      '2026-03-30T23:00:00.000Z',
    ]);
  });

  it('a range off the boundaries gets short first and last periods; weeks start on Monday', () => {
    // Wed 4 March 12:00 UTC → Wed 18 March 06:00: Mondays 9 and 16 March in between
    const edges = periodEdges(
      new Date('2026-03-04T12:00:00Z'),
      new Date('2026-03-18T06:00:00Z'),
      'week',
      'UTC',
      100,
    );
    expect(iso(edges)).toEqual([
      '2026-03-04T12:00:00.000Z',
      '2026-03-09T00:00:00.000Z',
      '2026-03-16T00:00:00.000Z',
      '2026-03-18T06:00:00.000Z',
    ]);
  });

  it('months in Singapore (UTC+8) start at 16:00 UTC the day before', () => {
    const edges = periodEdges(
      new Date('2026-01-31T16:00:00Z'),
      new Date('2026-03-31T16:00:00Z'),
      'month',
      'Asia/Singapore',
      100,
    );
    expect(iso(edges)).toEqual([
      '2026-01-31T16:00:00.000Z',
      '2026-02-28T16:00:00.000Z',
      '2026-03-31T16:00:00.000Z',
    ]);
  });

  it('null when the range holds more periods than allowed', () => {
    expect(
      periodEdges(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T00:00:00Z'), 'hour', 'UTC', 23),
    ).toBeNull();
    expect(
      periodEdges(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T00:00:00Z'), 'hour', 'UTC', 24),
    ).toHaveLength(25);
  });
});
