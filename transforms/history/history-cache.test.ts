import { describe, expect, it } from 'vitest';
import { HistoryCache, stringBytes } from './history-cache.js';

interface Ev {
  eventId: string;
  note: string;
}

const ev = (id: string, note = 'x'.repeat(100)): Ev => ({ eventId: id, note });
// What one entry of a one-event history with a two-character key is estimated at, worked out by
// hand: the JSON text `[{"eventId":"a1","note":"xxx…"}]` is `[{` 2, `"eventId":` 10, `"a1",` 5,
// `"note":` 7, the quoted note 102, `}]` 2 = 128 characters; the key 2; the per-entry overhead 200.
const oneEntry = 128 + 2 + 200;

describe('HistoryCache', () => {
  it('estimates an entry from its JSON text, its key and a fixed overhead', () => {
    expect(JSON.stringify([ev('a1')]).length).toBe(128);
    const cache = new HistoryCache<Ev>({ maxBytes: 10_000 });
    cache.set('k1', [ev('a1')]);
    expect(cache.bytes).toBe(oneEntry);
    cache.set('k1', [ev('a1')]);
    expect(cache.bytes).toBe(oneEntry);
  });

  it('evicts the least recently used entries once over its bytes', () => {
    const cache = new HistoryCache<Ev>({ maxBytes: 2 * oneEntry });
    cache.set('k1', [ev('a1')]);
    cache.set('k2', [ev('b1')]);
    cache.set('k1', [ev('a1')]); // used again: k2 is now the oldest
    cache.set('k3', [ev('c1')]);
    expect(cache.get('k2')).toBeUndefined();
    expect(cache.get('k1')).toEqual([ev('a1')]);
    expect(cache.get('k3')).toEqual([ev('c1')]);
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBe(2 * oneEntry);
  });

  it('also honours a count, and never keeps a history larger than the whole budget', () => {
    const counted = new HistoryCache<Ev>({ maxBytes: 1_000_000, maxEntities: 1 });
    counted.set('k1', [ev('a1')]);
    counted.set('k2', [ev('b1')]);
    expect([counted.get('k1'), counted.size]).toEqual([undefined, 1]);

    const small = new HistoryCache<Ev>({ maxBytes: oneEntry });
    small.set('k1', [ev('a1')]);
    small.set('k2', [ev('b1'), ev('b2')]);
    expect(small.get('k2')).toBeUndefined();
    expect(small.get('k1')).toEqual([ev('a1')]);
    expect(small.bytes).toBe(oneEntry);
  });

  it('hands out copies, so a caller growing a history does not change the cached one', () => {
    const cache = new HistoryCache<Ev>({ maxBytes: 10_000 });
    cache.set('k1', [ev('a1')]);
    cache.get('k1')!.push(ev('a2'));
    expect(cache.get('k1')).toEqual([ev('a1')]);
  });

  it('counts characters beyond Latin-1 twice', () => {
    expect(stringBytes('abc')).toBe(3);
    expect(stringBytes('é')).toBe(1);
    expect(stringBytes('a€')).toBe(4);
  });
});
