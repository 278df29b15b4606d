import { describe, expect, it } from 'vitest';
import { backoffMs, defaultRetryPolicy, retryAfterMs } from './http-retry.js';

describe('retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('7')).toBe(7_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 09:00:30 GMT', Date.parse('2026-03-02T09:00:00Z'))).toBe(30_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('backs off exponentially with jitter, bounded', () => {
    const p = { ...defaultRetryPolicy, baseDelayMs: 500, maxDelayMs: 30_000 };
    expect(backoffMs(1, p, () => 0)).toBe(250);
    expect(backoffMs(1, p, () => 1)).toBe(500);
    expect(backoffMs(4, p, () => 1)).toBe(4_000);
    expect(backoffMs(20, p, () => 1)).toBe(30_000);
    expect(backoffMs(20, p, () => 0)).toBe(15_000);
  });
});
