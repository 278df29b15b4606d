import { describe, expect, it } from 'vitest';
import { lagOf } from './pipeline-stats.js';

describe('lagOf', () => {
  it('is the records between the committed offset and the log end', () => {
    expect(lagOf(10, 7)).toBe(3);
    expect(lagOf(10, 10)).toBe(0);
  });

  it('counts the whole partition when the group committed nothing', () => {
    expect(lagOf(10, -1)).toBe(10);
    expect(lagOf(0, -1)).toBe(0);
  });

  it('is never negative (a committed offset past a recreated topic end)', () => {
    expect(lagOf(2, 9)).toBe(0);
  });
});
