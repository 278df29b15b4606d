import { describe, expect, it } from 'vitest';
import { planRange } from './materialise.js';

const H = 3_600_000;
const t0 = Date.parse('2026-03-09T00:00:00Z');

describe('planRange', () => {
  it('starts a first run at the hour of the earliest ticket and stops at the current hour', () => {
    expect(
      planRange({ watermark: null, dirtyFrom: null, earliest: t0 + 90 * 60_000, now: t0 + 5.5 * H }),
    ).toEqual({
      from: t0 + H,
      to: t0 + 5 * H,
    });
  });
  it('continues from the watermark, or from an earlier dirty hour', () => {
    expect(planRange({ watermark: t0 + 4 * H, dirtyFrom: null, earliest: t0, now: t0 + 6 * H })).toEqual({
      from: t0 + 4 * H,
      to: t0 + 6 * H,
    });
    expect(planRange({ watermark: t0 + 4 * H, dirtyFrom: t0 + H, earliest: t0, now: t0 + 6 * H })).toEqual({
      from: t0 + H,
      to: t0 + 6 * H,
    });
    // A dirty hour at or after the watermark adds nothing.
    expect(
      planRange({ watermark: t0 + 4 * H, dirtyFrom: t0 + 5 * H, earliest: t0, now: t0 + 6 * H }),
    ).toEqual({
      from: t0 + 4 * H,
      to: t0 + 6 * H,
    });
  });
  it('does nothing when no closed hour can have changed', () => {
    expect(planRange({ watermark: t0 + 6 * H, dirtyFrom: null, earliest: t0, now: t0 + 6.9 * H })).toBeNull();
    expect(
      planRange({ watermark: t0 + 6 * H, dirtyFrom: t0 + 6 * H, earliest: t0, now: t0 + 6.9 * H }),
    ).toBeNull();
    expect(planRange({ watermark: null, dirtyFrom: null, earliest: null, now: t0 })).toBeNull();
    expect(
      planRange({ watermark: null, dirtyFrom: null, earliest: t0 + 30 * 60_000, now: t0 + 59 * 60_000 }),
    ).toBeNull();
  });
});
