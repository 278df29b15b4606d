import { describe, expect, it } from 'vitest';
import { chunkForUrlParameter } from './clickhouse.js';

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
