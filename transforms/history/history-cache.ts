// The histories a transform keeps between batches, so that an entity's next event does not cost a
// ClickHouse read. Parsed event objects cost about three times their JSON text on the V8 heap
// (an object, a property array and a string per field), and the heap's garbage grows with what is
// live, so a history is kept as the JSON text of its event list and parsed again when used.
// Bounded by an estimate of its bytes (and optionally by a count); least recently used goes first.
// A history that is not here is read back from ClickHouse, so eviction costs time, never results.

/**
 * Per entry beyond its two strings' characters: string headers (JSON.stringify's text is built in
 * parts), the entry object and the Map slot. From a heap snapshot of 200,000 cached single-event
 * ticket histories: about 450 bytes each for 245 characters of JSON and key.
 */
const ENTRY_OVERHEAD_BYTES = 200;

interface CachedHistory {
  json: string;
  bytes: number;
}

export interface HistoryCacheLimits {
  maxBytes: number;
  maxEntities?: number;
}

/** Bytes a string's characters take on the heap: one per character, two when any is beyond Latin-1. */
export function stringBytes(s: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point
  return /[^\u0000-\u00ff]/.test(s) ? 2 * s.length : s.length;
}

/** The cache key of one entity's history: the same id in two tenants is two entities. */
export const historyKey = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

/** The estimated bytes of one cached history under its key. */
export const entryBytes = (key: string, json: string): number =>
  stringBytes(json) + stringBytes(key) + ENTRY_OVERHEAD_BYTES;

export class HistoryCache<E> {
  // Map order doubles as least-recently-used order: an entry is re-inserted whenever it is used.
  private readonly entries = new Map<string, CachedHistory>();
  private totalBytes = 0;

  constructor(private readonly limits: HistoryCacheLimits) {}

  get size(): number {
    return this.entries.size;
  }

  /** The estimated bytes held (keys, JSON texts and per-entry overhead). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** A fresh copy of the history (the caller may change it), or undefined when not cached. */
  get(key: string): E[] | undefined {
    const entry = this.entries.get(key);
    return entry ? (JSON.parse(entry.json) as E[]) : undefined;
  }

  set(key: string, history: readonly E[]): void {
    this.delete(key);
    const json = JSON.stringify(history);
    const bytes = entryBytes(key, json);
    // A single history larger than the whole budget would only evict everything else.
    if (bytes > this.limits.maxBytes) return;
    this.entries.set(key, { json, bytes });
    this.totalBytes += bytes;
    const maxEntities = this.limits.maxEntities ?? Number.POSITIVE_INFINITY;
    while (this.totalBytes > this.limits.maxBytes || this.entries.size > maxEntities) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}
