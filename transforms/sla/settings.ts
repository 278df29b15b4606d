import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import {
  type CalendarLookup,
  calendarLookup,
  defaultCalendars,
  defaultRegionCalendars,
} from '../../core/calendar.js';
import { calendarsFileSchema } from '../../core/calendar-file.js';
import type { Config } from '../../core/config.js';
import { fieldProblems } from '../../core/events/common.js';
import { defaultSlaPolicies, type SlaPolicy, slaPolicySetSchema } from './policy.js';

// SLA configuration, loaded once at start-up: policies and calendars from optional JSON files
// (the demo sets otherwise). Every reference between them is checked here, so a typo in a calendar
// id fails the start, not the first ticket that happens to use it.

export interface SlaSettings {
  policies: readonly SlaPolicy[];
  calendars: CalendarLookup;
}

export { calendarsFileSchema };

export class SlaSettingsError extends Error {
  override readonly name = 'SlaSettingsError';
}

function readJson<T>(what: string, file: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SlaSettingsError(`${what} file ${file}: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const lines = fieldProblems(parsed.error).map((p) => `  ${p.path || '(root)'}: ${p.message}`);
    throw new SlaSettingsError(`${what} file ${file} is not valid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Policies and calendars from the configured files (or the demo sets), cross-checked. */
export function loadSlaSettings(config: Pick<Config, 'SLA_POLICIES_FILE' | 'CALENDARS_FILE'>): SlaSettings {
  const policies = config.SLA_POLICIES_FILE
    ? readJson('SLA policies', config.SLA_POLICIES_FILE, slaPolicySetSchema)
    : defaultSlaPolicies;
  const cals = config.CALENDARS_FILE
    ? readJson('calendars', config.CALENDARS_FILE, calendarsFileSchema)
    : { calendars: defaultCalendars, regions: defaultRegionCalendars, fallbackCalendar: '24x7' };
  const ids = new Set(cals.calendars.map((c) => c.id));
  const unknown = policies.flatMap((p, i) =>
    p.calendar === 'owner' || ids.has(p.calendar)
      ? []
      : [`  [${i}].calendar: unknown calendar ${p.calendar} (policy ${p.id})`],
  );
  if (unknown.length > 0)
    throw new SlaSettingsError(
      `SLA policies refer to calendars that are not configured:\n${unknown.join('\n')}`,
    );
  return {
    policies,
    calendars: calendarLookup(cals.calendars, cals.regions, cals.fallbackCalendar),
  };
}
