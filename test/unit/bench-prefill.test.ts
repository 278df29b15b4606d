import { describe, expect, it } from 'vitest';
import { BenchEventSource } from '../../bench/lib/events.js';
import { prefillChunks } from '../../bench/lib/soak.js';
import { MiB } from '../../bench/lib/stats.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import { entryBytes, historyKey } from '../../transforms/history/history-cache.js';

const count = (chunks: TicketEvent[][]) => chunks.reduce((n, c) => n + c.length, 0);

describe("the RSS soak's warm-up", () => {
  it('takes at least the events asked for, and stops at the chunk that reaches them', () => {
    const chunks = prefillChunks(new BenchEventSource('t'), 5_500);
    expect(count(chunks)).toBeGreaterThanOrEqual(5_500);
    expect(count(chunks) - chunks.at(-1)!.length).toBeLessThan(5_500);
  });

  it("goes on until a transform's history cache of the budget is full, and a quarter more", () => {
    const budget = 2 * MiB;
    const chunks = prefillChunks(new BenchEventSource('t'), 1_000, budget);
    // Tallied apart: until the cache evicts, it holds every ticket's whole history so far, each at
    // its estimate; the cache counts as full at the end of the chunk that takes that to 98 %.
    const histories = new Map<string, TicketEvent[]>();
    let taken = 0;
    let filledAt: number | undefined;
    const ends: number[] = [];
    for (const chunk of chunks) {
      for (const e of chunk) {
        const key = historyKey(e.tenant, e.ticketId);
        histories.set(key, [...(histories.get(key) ?? []), e]);
      }
      taken += chunk.length;
      ends.push(taken);
      const bytes = [...histories].reduce((sum, [key, h]) => sum + entryBytes(key, JSON.stringify(h)), 0);
      if (filledAt === undefined && bytes >= 0.98 * budget) filledAt = taken;
    }
    expect(filledAt).toBeGreaterThan(1_000);
    // The first chunk end at or past a quarter more than the fill, and nothing after it.
    expect(ends.at(-1)).toBeGreaterThanOrEqual(filledAt! * 1.25);
    expect(ends.at(-2)).toBeLessThan(filledAt! * 1.25);
  });
});
