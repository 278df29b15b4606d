import type { CanonicalEvent } from '../../core/events/index.js';
import { type GeneratorOptions, generateOperation, HOUR } from '../../ingest/simulator/generate.js';

// The simulator works to the regions' local weekdays, business hours and holidays: a story
// generated for the days before now holds next to no resolutions, handovers or completed jobs when
// those days were a weekend, so a test's data (and what it can assert) would depend on the day and
// hour it runs at. A test whose data must end near now generates it instead for a fixed reference
// window and moves it, by whole hours, to end where it needs: the same tickets, handovers and jobs
// on every run. The transforms still apply the real calendars to the moved story, so figures
// measured in business time vary with the hour of the run; counts do not.

/** The events with every instant they carry moved by `ms`. */
export function shiftEvents<E extends CanonicalEvent>(events: E[], ms: number): E[] {
  const at = (iso: string) => new Date(Date.parse(iso) + ms).toISOString();
  return events.map((e) => {
    const moved = { ...e, occurredAt: at(e.occurredAt), receivedAt: at(e.receivedAt) };
    if (moved.type === 'roster.shift') Object.assign(moved, { start: at(moved.start), end: at(moved.end) });
    if ('plannedStart' in moved && moved.plannedStart !== undefined)
      Object.assign(moved, { plannedStart: at(moved.plannedStart) });
    if ('plannedEnd' in moved && moved.plannedEnd !== undefined)
      Object.assign(moved, { plannedEnd: at(moved.plannedEnd) });
    return moved;
  });
}

/**
 * The operation generated for the `span` ms before `referenceEnd` (the scenario anchored there),
 * moved to end at `end`. Both ends are whole hours, so the story keeps its place within the hour.
 */
export function fixedStory(
  opts: Omit<GeneratorOptions, 'anchor'>,
  referenceEnd: number,
  span: number,
  end: number,
): CanonicalEvent[] {
  if (referenceEnd % HOUR !== 0 || end % HOUR !== 0) throw new Error('a story moves by whole hours only');
  return shiftEvents(
    generateOperation({ ...opts, anchor: referenceEnd }, referenceEnd - span, referenceEnd),
    end - referenceEnd,
  );
}
