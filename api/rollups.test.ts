import { describe, expect, it } from 'vitest';
import { zoneOffsetInWholeHours } from './rollups.js';

const d = (iso: string) => new Date(iso);

describe('zoneOffsetInWholeHours', () => {
  it('holds for zones a whole number of hours off UTC, across their DST changes', () => {
    expect(zoneOffsetInWholeHours('UTC', d('2026-01-01T00:00:00Z'), d('2026-12-31T00:00:00Z'))).toBe(true);
    // London: GMT, then BST from 29 March, then GMT from 25 October.
    expect(
      zoneOffsetInWholeHours('Europe/London', d('2026-03-01T00:00:00Z'), d('2026-11-01T00:00:00Z')),
    ).toBe(true);
    expect(
      zoneOffsetInWholeHours('America/New_York', d('2025-12-01T00:00:00Z'), d('2026-12-01T00:00:00Z')),
    ).toBe(true);
  });

  it('fails for zones 30 or 45 minutes off UTC, and for unknown zones', () => {
    const from = d('2026-06-01T00:00:00Z');
    const to = d('2026-06-08T00:00:00Z');
    expect(zoneOffsetInWholeHours('Asia/Kolkata', from, to)).toBe(false); // +5:30
    expect(zoneOffsetInWholeHours('Asia/Kathmandu', from, to)).toBe(false); // +5:45
    expect(zoneOffsetInWholeHours('America/St_Johns', from, to)).toBe(false); // -2:30 in summer
    expect(zoneOffsetInWholeHours('Mars/Olympus', from, to)).toBe(false);
  });

  it('fails when the zone is off by a fraction of an hour for part of the range only', () => {
    // Lord Howe Island: +10:30 in winter, +11 in summer (from 4 October 2026).
    expect(
      zoneOffsetInWholeHours('Australia/Lord_Howe', d('2026-11-01T00:00:00Z'), d('2027-02-01T00:00:00Z')),
    ).toBe(true);
    expect(
      zoneOffsetInWholeHours('Australia/Lord_Howe', d('2026-09-20T00:00:00Z'), d('2027-02-01T00:00:00Z')),
    ).toBe(false);
    // Caracas moved from -4:30 to -4 on 1 May 2016 at 02:30 local.
    expect(
      zoneOffsetInWholeHours('America/Caracas', d('2016-04-25T00:00:00Z'), d('2016-06-01T00:00:00Z')),
    ).toBe(false);
    expect(
      zoneOffsetInWholeHours('America/Caracas', d('2016-05-02T00:00:00Z'), d('2016-06-01T00:00:00Z')),
    ).toBe(true);
  });
});
