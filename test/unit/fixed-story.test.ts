import { describe, expect, it } from 'vitest';
import { DAY, generateOperation, HOUR } from '../../ingest/simulator/generate.js';
import { fixedStory, shiftEvents } from '../helpers/fixed-story.js';

const isInstant = (v: unknown): v is string =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v);

describe('a story moved in time (test helper)', () => {
  const end = Date.parse('2026-01-07T06:00:00Z');
  const events = generateOperation(
    { seed: 2, tenant: 't', anchor: end, ticketScale: 0.1 },
    end - 3 * DAY,
    end,
  );

  it('moves every instant an event carries, and nothing else', () => {
    const by = 29 * HOUR;
    const moved = shiftEvents(events, by);
    // Every kind of instant is in the sample: the envelope's, a shift's and a job's plan.
    const types = new Set(events.map((e) => e.type));
    for (const t of ['ticket.created', 'roster.shift', 'job.created']) expect(types).toContain(t);
    expect(moved).toHaveLength(events.length);
    let instants = 0;
    for (const [i, e] of events.entries()) {
      const m = moved[i] as Record<string, unknown>;
      expect(Object.keys(m).sort()).toEqual(Object.keys(e).sort());
      for (const [k, v] of Object.entries(e)) {
        if (isInstant(v)) {
          instants++;
          expect(Date.parse(m[k] as string) - Date.parse(v), `${e.type}.${k}`).toBe(by);
        } else expect(m[k], `${e.type}.${k}`).toEqual(v);
      }
    }
    expect(instants).toBeGreaterThan(2 * events.length);
  });

  it('a fixed story is the reference window moved to end where asked, whole hours only', () => {
    const to = Date.parse('2026-12-02T03:00:00Z');
    const story = fixedStory({ seed: 2, tenant: 't', ticketScale: 0.1 }, end, 3 * DAY, to);
    expect(story).toEqual(shiftEvents(events, to - end));
    expect(Math.max(...story.map((e) => Date.parse(e.occurredAt)))).toBeLessThan(to);
    expect(Math.max(...story.map((e) => Date.parse(e.occurredAt)))).toBeGreaterThanOrEqual(to - HOUR);
    expect(() => fixedStory({ seed: 2, tenant: 't' }, end, DAY, to + 1)).toThrow(/whole hours/);
  });
});
