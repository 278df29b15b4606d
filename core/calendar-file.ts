import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { calendarSetSchema, defaultCalendars, defaultRegionCalendars } from './calendar.js';
import { fieldProblems } from './events/common.js';

// The calendars file (CALENDARS_FILE): which calendars exist and which region works by which.
// Shared by the transforms (SLA clocks, pickup latency) and the API (a region's time zone).

/**
 * `{ "calendars": [...], "regions": { "APAC": "apac-sgp" }, "fallbackCalendar": "24x7" }`.
 * `regions` maps an owning region to its calendar (for `owner` policies); a region missing from
 * it gets `fallbackCalendar`, or makes the clock fail when there is none.
 */
export const calendarsFileSchema = z
  .object({
    calendars: calendarSetSchema,
    regions: z.record(z.string().min(1), z.string().min(1)).default({}),
    fallbackCalendar: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    const ids = new Set(file.calendars.map((c) => c.id));
    for (const [region, id] of Object.entries(file.regions)) {
      if (!ids.has(id))
        ctx.addIssue({ code: 'custom', path: ['regions', region], message: `unknown calendar ${id}` });
    }
    if (file.fallbackCalendar !== undefined && !ids.has(file.fallbackCalendar))
      ctx.addIssue({
        code: 'custom',
        path: ['fallbackCalendar'],
        message: `unknown calendar ${file.fallbackCalendar}`,
      });
  });

export type CalendarsFile = z.output<typeof calendarsFileSchema>;

/** The demo set: APAC/EMEA/AMER on their business calendars, any other region on 24x7. */
export const defaultCalendarsFile: CalendarsFile = {
  calendars: defaultCalendars,
  regions: { ...defaultRegionCalendars },
  fallbackCalendar: '24x7',
};

/** The configured calendars file, or the demo set; errors name the file and the exact path. */
export function readCalendarsFile(file: string | undefined): CalendarsFile {
  if (!file) return defaultCalendarsFile;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`calendars file ${file}: ${(err as Error).message}`);
  }
  const parsed = calendarsFileSchema.safeParse(json);
  if (!parsed.success) {
    const lines = fieldProblems(parsed.error).map((p) => `  ${p.path || '(root)'}: ${p.message}`);
    throw new Error(`calendars file ${file} is not valid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export interface RegionZones {
  /** The IANA zone a region's hours are read in (its calendar's zone; the fallback's otherwise). */
  zoneOf(region: string): string;
  /** The regions the file maps, grouped by zone. */
  mappedByZone: ReadonlyMap<string, readonly string[]>;
  /** The zone of every region the file does not map. */
  fallbackZone: string;
}

export function regionZones(file: CalendarsFile): RegionZones {
  const zones = new Map(file.calendars.map((c) => [c.id, c.zone]));
  const fallbackZone =
    (file.fallbackCalendar === undefined ? undefined : zones.get(file.fallbackCalendar)) ?? 'UTC';
  const mappedByZone = new Map<string, string[]>();
  for (const [region, id] of Object.entries(file.regions)) {
    const zone = zones.get(id) ?? fallbackZone;
    mappedByZone.set(zone, [...(mappedByZone.get(zone) ?? []), region]);
  }
  return {
    zoneOf: (region) =>
      Object.hasOwn(file.regions, region) ? (zones.get(file.regions[region]!) ?? fallbackZone) : fallbackZone,
    mappedByZone,
    fallbackZone,
  };
}
