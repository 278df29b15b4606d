import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

// Business calendars: when a region works. Intervals are local wall-clock times in the
// calendar's IANA zone; business time between two instants is the real elapsed time that falls
// inside those intervals. So a local 08:00-18:00 day is 10 h even on a DST-change day (the
// change happens at night), while an interval that itself spans a DST change is an hour shorter
// or longer, exactly as a clock on the wall would show.
//
// All functions take and return epoch milliseconds; amounts are in seconds (may be fractional
// when the inputs are not whole seconds). Internally everything is integer milliseconds, so
// `businessSecondsBetween(c, a, addBusinessSeconds(c, a, s)) === s` holds exactly.
//
// Ranges are half-open [from, to). `from > to` is a caller error and throws a RangeError
// (the metrics engine orders its instants; a silent 0 would hide a bug); `from === to` is 0.

const DAY_MINUTES = 24 * 60;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `HH:MM`, 00:00-23:59, or `24:00` (end of day, only meaningful as an interval end). */
const timeOfDay = z
  .string()
  .regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected a local time HH:MM (00:00-24:00)');

function minutesOf(time: string): number {
  const [h, m] = time.split(':');
  return Number(h) * 60 + Number(m);
}

const intervalSchema = z.tuple([timeOfDay, timeOfDay]).superRefine(([start, end], ctx) => {
  if (start === '24:00')
    ctx.addIssue({ code: 'custom', path: [0], message: '24:00 can only end an interval' });
  else if (minutesOf(end) <= minutesOf(start))
    ctx.addIssue({
      code: 'custom',
      path: [1],
      message: `interval end ${end} is not after its start ${start}`,
    });
});

const dayIntervals = z
  .array(intervalSchema)
  .superRefine((intervals, ctx) => {
    for (let i = 1; i < intervals.length; i++) {
      const prevEnd = minutesOf(intervals[i - 1]![1]);
      if (minutesOf(intervals[i]![0]) < prevEnd)
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: 'intervals of a day must be in ascending order and must not overlap',
        });
    }
  })
  .default([]);

const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a local date YYYY-MM-DD', abort: true })
  .refine((s) => DateTime.fromISO(s, { zone: 'utc' }).isValid, 'not a valid calendar date');

export const ianaZone = z
  .string()
  .min(1, { abort: true })
  .refine((zone) => IANAZone.isValidZone(zone), 'not a valid IANA time zone');

const calendarId = z.string().min(1).max(100);

const weeklyCalendarSchema = z.object({
  id: calendarId,
  kind: z.literal('weekly'),
  zone: ianaZone,
  weekly: z
    .object({
      mon: dayIntervals,
      tue: dayIntervals,
      wed: dayIntervals,
      thu: dayIntervals,
      fri: dayIntervals,
      sat: dayIntervals,
      sun: dayIntervals,
    })
    .strict()
    .refine(
      (w) => WEEKDAYS.some((d) => w[d].length > 0),
      'a weekly calendar needs at least one working interval',
    ),
  holidays: z.array(localDate).default([]),
});

const alwaysCalendarSchema = z.object({
  id: calendarId,
  kind: z.literal('24x7'),
  /** Only for display; business time of a 24x7 calendar is wall time. */
  zone: ianaZone.default('UTC'),
});

const calendarUnion = z.discriminatedUnion('kind', [weeklyCalendarSchema, alwaysCalendarSchema]);

/**
 * A business calendar. `kind` may be omitted for a weekly calendar:
 * `{ id, zone, weekly: { mon: [["08:00","18:00"]], ... }, holidays: ["2026-12-25"] }`, or
 * `{ id, kind: "24x7" }`.
 */
export const calendarSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !('kind' in v) ? { ...v, kind: 'weekly' } : v),
  calendarUnion,
);

export const calendarSetSchema = z.array(calendarSchema).superRefine((cals, ctx) => {
  const seen = new Set<string>();
  cals.forEach((c, i) => {
    if (seen.has(c.id))
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate calendar id ${c.id}` });
    seen.add(c.id);
  });
});

export type BusinessCalendar = z.output<typeof calendarUnion>;
export type WeeklyCalendar = z.output<typeof weeklyCalendarSchema>;
export type CalendarInput =
  | (Omit<z.input<typeof weeklyCalendarSchema>, 'kind'> & { kind?: 'weekly' })
  | z.input<typeof alwaysCalendarSchema>;

// ---- compiled form -------------------------------------------------------------------------

interface Compiled {
  zone: string;
  /** Index 0 = Monday ... 6 = Sunday; [startMinute, endMinute) local. */
  week: Array<Array<[number, number]>>;
  holidays: Set<string>;
  /** epoch day (local date) -> working intervals as [startMs, endMs), bounded cache. */
  days: Map<number, Array<[number, number]>>;
}

const compiledCache = new WeakMap<WeeklyCalendar, Compiled>();
const DAY_CACHE_LIMIT = 4096;
/** Search horizon for the next working time: beyond it only holidays can be in the way. */
const MAX_SEARCH_DAYS = 3 * 366;

function compile(cal: WeeklyCalendar): Compiled {
  let c = compiledCache.get(cal);
  if (!c) {
    c = {
      zone: cal.zone,
      week: WEEKDAYS.map((d) =>
        cal.weekly[d].map(([s, e]) => [minutesOf(s), minutesOf(e)] as [number, number]),
      ),
      holidays: new Set(cal.holidays),
      days: new Map(),
    };
    compiledCache.set(cal, c);
  }
  return c;
}

// A zone's UTC offset changes only at transitions, and every transition of the tz database in use
// falls on a quarter hour of UTC (offsets and transition times are whole quarter hours), so the
// offset at a quarter hour's start holds for the whole quarter hour. Asking luxon (Intl) for it
// once per quarter hour instead of once per call was the largest CPU cost of SLA clocks.
const QUARTER_HOUR = 900_000;
const offsetCache = new Map<string, Map<number, number>>();
const OFFSET_CACHE_LIMIT = 50_000;

/** The zone's offset from UTC in minutes at an instant. */
function zoneOffsetMinutes(zone: string, ms: number): number {
  let byQuarter = offsetCache.get(zone);
  if (!byQuarter) {
    byQuarter = new Map();
    offsetCache.set(zone, byQuarter);
  }
  const quarter = Math.floor(ms / QUARTER_HOUR);
  let offset = byQuarter.get(quarter);
  if (offset === undefined) {
    offset = DateTime.fromMillis(quarter * QUARTER_HOUR, { zone }).offset;
    if (byQuarter.size >= OFFSET_CACHE_LIMIT) byQuarter.clear();
    byQuarter.set(quarter, offset);
  }
  return offset;
}

function localEpochDay(c: Compiled, ms: number): number {
  return Math.floor((ms + zoneOffsetMinutes(c.zone, ms) * 60_000) / 86_400_000);
}

/** The instant of a local wall-clock time (minutes may be 1440 = next midnight). */
function localInstant(c: Compiled, epochDay: number, minutes: number): number {
  const d = new Date((epochDay + Math.floor(minutes / DAY_MINUTES)) * 86_400_000);
  const m = minutes % DAY_MINUTES;
  return DateTime.fromObject(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: Math.floor(m / 60),
      minute: m % 60,
    },
    { zone: c.zone },
  ).toMillis();
}

/** Working intervals of one local day as instants, ascending, non-overlapping. */
function dayIntervalsMs(c: Compiled, epochDay: number): Array<[number, number]> {
  const cached = c.days.get(epochDay);
  if (cached) return cached;
  const date = new Date(epochDay * 86_400_000).toISOString().slice(0, 10);
  const weekdayIndex = (((epochDay + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday (index 3)
  const out: Array<[number, number]> = [];
  if (!c.holidays.has(date)) {
    for (const [s, e] of c.week[weekdayIndex]!) {
      const start = localInstant(c, epochDay, s);
      const end = Math.max(start, localInstant(c, epochDay, e));
      if (end > start) out.push([start, end]);
    }
  }
  if (c.days.size >= DAY_CACHE_LIMIT) c.days.clear();
  c.days.set(epochDay, out);
  return out;
}

function checkInstant(name: string, ms: number): void {
  if (!Number.isFinite(ms)) throw new RangeError(`${name} must be a finite epoch-millisecond value`);
}

function checkRange(fromMs: number, toMs: number): void {
  checkInstant('fromMs', fromMs);
  checkInstant('toMs', toMs);
  if (fromMs > toMs)
    throw new RangeError(
      `business time range is reversed: from ${new Date(fromMs).toISOString()} > to ${new Date(toMs).toISOString()}`,
    );
}

// ---- public API ----------------------------------------------------------------------------

/** Business milliseconds in [fromMs, toMs). Loops over local days, not minutes. */
export function businessMsBetween(cal: BusinessCalendar, fromMs: number, toMs: number): number {
  checkRange(fromMs, toMs);
  if (cal.kind === '24x7') return toMs - fromMs;
  if (fromMs === toMs) return 0;
  const c = compile(cal);
  const lastDay = localEpochDay(c, toMs);
  let total = 0;
  // A local day's intervals lie within [its midnight, the next midnight]; the day before `from`
  // is included so that nothing ending at `from`'s local midnight is ever missed.
  for (let day = localEpochDay(c, fromMs) - 1; day <= lastDay; day++) {
    for (const [s, e] of dayIntervalsMs(c, day)) {
      const a = Math.max(s, fromMs);
      const b = Math.min(e, toMs);
      if (b > a) total += b - a;
    }
  }
  return total;
}

/** Business seconds in [fromMs, toMs). */
export function businessSecondsBetween(cal: BusinessCalendar, fromMs: number, toMs: number): number {
  return businessMsBetween(cal, fromMs, toMs) / 1000;
}

/** Wall seconds in [fromMs, toMs) that fell outside working hours ("seam idle"). */
export function outsideHoursSeconds(cal: BusinessCalendar, fromMs: number, toMs: number): number {
  return (toMs - fromMs - businessMsBetween(cal, fromMs, toMs)) / 1000;
}

/**
 * The earliest instant at which `ms` business milliseconds have elapsed since `fromMs`.
 * 0 returns `fromMs` itself. An amount that ends exactly where an interval ends returns that
 * interval's end (e.g. Mon 18:00), not the start of the next one.
 */
export function addBusinessMs(cal: BusinessCalendar, fromMs: number, ms: number): number {
  checkInstant('fromMs', fromMs);
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError('business time to add must be a finite amount >= 0');
  if (cal.kind === '24x7' || ms === 0) return fromMs + ms;
  const c = compile(cal);
  let remaining = ms;
  const firstDay = localEpochDay(c, fromMs) - 1;
  for (let day = firstDay; day <= firstDay + MAX_SEARCH_DAYS + Math.ceil(ms / 3_600_000); day++) {
    for (const [s, e] of dayIntervalsMs(c, day)) {
      if (e <= fromMs) continue;
      const start = Math.max(s, fromMs);
      const available = e - start;
      if (remaining <= available) return start + remaining;
      remaining -= available;
    }
  }
  throw new RangeError(`calendar ${cal.id} has no working time left to add ${ms / 1000} s`);
}

/** The instant at which `seconds` of business time have elapsed since `fromMs` (due times). */
export function addBusinessSeconds(cal: BusinessCalendar, fromMs: number, seconds: number): number {
  return addBusinessMs(cal, fromMs, Math.round(seconds * 1000));
}

/** True when `ms` lies inside a working interval [start, end). */
export function isWorkingAt(cal: BusinessCalendar, ms: number): boolean {
  checkInstant('ms', ms);
  if (cal.kind === '24x7') return true;
  const c = compile(cal);
  const day = localEpochDay(c, ms);
  for (const d of [day - 1, day]) {
    for (const [s, e] of dayIntervalsMs(c, d)) if (s <= ms && ms < e) return true;
  }
  return false;
}

/**
 * `ms` itself when work is underway at `ms`; otherwise the start of the next working interval.
 * Intervals that touch (e.g. Mon "24:00" and Tue "00:00") count as continuous work.
 */
export function nextWorkingStart(cal: BusinessCalendar, ms: number): number {
  checkInstant('ms', ms);
  if (cal.kind === '24x7') return ms;
  const c = compile(cal);
  const firstDay = localEpochDay(c, ms) - 1;
  for (let day = firstDay; day <= firstDay + MAX_SEARCH_DAYS; day++) {
    for (const [s, e] of dayIntervalsMs(c, day)) {
      if (e <= ms) continue;
      return Math.max(s, ms);
    }
  }
  throw new RangeError(`calendar ${cal.id} has no working time after ${new Date(ms).toISOString()}`);
}

// ---- default calendars for the demo regions ------------------------------------------------

function weekdayCalendar(id: string, zone: string, holidays: string[]): CalendarInput {
  const day = (): Array<[string, string]> => [['08:00', '18:00']];
  return { id, zone, weekly: { mon: day(), tue: day(), wed: day(), thu: day(), fri: day() }, holidays };
}

/**
 * Demo calendars: weekdays 08:00-18:00 local, with a selection of real public holidays for 2026
 * and 2027 (not every holiday; weekend dates are listed as published, they change nothing).
 */
export const defaultCalendars: BusinessCalendar[] = calendarSetSchema.parse([
  // Singapore: Ministry of Manpower, "Public holidays for 2026" (mom.gov.sg); holidays falling on a
  // Sunday move to the Monday (Holidays Act 1998). Lunar/Islamic dates for 2027 are left out until
  // gazetted.
  weekdayCalendar('apac-sgp', 'Asia/Singapore', [
    '2026-01-01', // New Year's Day
    '2026-02-17', // Chinese New Year
    '2026-02-18', // Chinese New Year, day 2
    '2026-04-03', // Good Friday
    '2026-05-01', // Labour Day
    '2026-08-10', // National Day (9 Aug is a Sunday) observed
    '2026-12-25', // Christmas Day
    '2027-01-01', // New Year's Day
    '2027-03-26', // Good Friday
    '2027-08-09', // National Day
  ]),
  // New South Wales: NSW Government / Local Government NSW public holiday tables 2026-2027
  // (Public Holidays Act 2010 (NSW), Public Holidays Order 2011 for the Anzac Mondays).
  weekdayCalendar('apac-syd', 'Australia/Sydney', [
    '2026-01-01', // New Year's Day
    '2026-01-26', // Australia Day
    '2026-04-03', // Good Friday
    '2026-04-06', // Easter Monday
    '2026-04-27', // Additional day for Anzac Day (Saturday 25 April)
    '2026-06-08', // King's Birthday
    '2026-10-05', // Labour Day
    '2026-12-25', // Christmas Day
    '2026-12-28', // Additional day for Boxing Day (Saturday 26 December)
    '2027-01-01', // New Year's Day
    '2027-01-26', // Australia Day
    '2027-03-26', // Good Friday
    '2027-03-29', // Easter Monday
    '2027-04-26', // Additional day for Anzac Day (Sunday 25 April)
    '2027-06-14', // King's Birthday
    '2027-10-04', // Labour Day
    '2027-12-27', // Additional day for Christmas Day
    '2027-12-28', // Additional day for Boxing Day
  ]),
  // England and Wales: bank holidays published at gov.uk/bank-holidays.
  weekdayCalendar('emea-lon', 'Europe/London', [
    '2026-01-01', // New Year's Day
    '2026-04-03', // Good Friday
    '2026-04-06', // Easter Monday
    '2026-05-04', // Early May bank holiday
    '2026-05-25', // Spring bank holiday
    '2026-08-31', // Summer bank holiday
    '2026-12-25', // Christmas Day
    '2026-12-28', // Boxing Day (substitute day)
    '2027-01-01', // New Year's Day
    '2027-03-26', // Good Friday
    '2027-03-29', // Easter Monday
    '2027-05-03', // Early May bank holiday
    '2027-05-31', // Spring bank holiday
    '2027-08-30', // Summer bank holiday
    '2027-12-27', // Christmas Day (substitute day)
    '2027-12-28', // Boxing Day (substitute day)
  ]),
  // Poland: Act of 18 January 1951 on public holidays (as amended in 2024: Christmas Eve is a
  // holiday from 2025). No substitute days for holidays on a Sunday.
  weekdayCalendar('emea-waw', 'Europe/Warsaw', [
    '2026-01-01', // New Year's Day
    '2026-01-06', // Epiphany
    '2026-04-06', // Easter Monday
    '2026-05-01', // Labour Day
    '2026-06-04', // Corpus Christi
    '2026-11-11', // Independence Day
    '2026-12-24', // Christmas Eve
    '2026-12-25', // Christmas Day
    '2027-01-01', // New Year's Day
    '2027-01-06', // Epiphany
    '2027-03-29', // Easter Monday
    '2027-05-03', // Constitution Day
    '2027-05-27', // Corpus Christi
    '2027-11-01', // All Saints' Day
    '2027-11-11', // Independence Day
    '2027-12-24', // Christmas Eve
  ]),
  // United States: federal holidays, U.S. Office of Personnel Management (opm.gov) 2026/2027 lists
  // (observed dates).
  weekdayCalendar('amer-nyc', 'America/New_York', [
    '2026-01-01', // New Year's Day
    '2026-01-19', // Birthday of Martin Luther King, Jr.
    '2026-05-25', // Memorial Day
    '2026-07-03', // Independence Day (observed; 4 July is a Saturday)
    '2026-09-07', // Labor Day
    '2026-11-26', // Thanksgiving Day
    '2026-12-25', // Christmas Day
    '2027-01-01', // New Year's Day
    '2027-01-18', // Birthday of Martin Luther King, Jr.
    '2027-05-31', // Memorial Day
    '2027-07-05', // Independence Day (observed; 4 July is a Sunday)
    '2027-09-06', // Labor Day
    '2027-11-25', // Thanksgiving Day
    '2027-12-24', // Christmas Day (observed; 25 December is a Saturday)
  ]),
  // Brazil: national holidays, Lei 662/1949 and Lei 14.759/2023 (Consciência Negra, 20 Nov).
  weekdayCalendar('amer-sao', 'America/Sao_Paulo', [
    '2026-01-01', // Confraternização Universal
    '2026-04-03', // Sexta-feira Santa (Good Friday)
    '2026-04-21', // Tiradentes
    '2026-05-01', // Dia do Trabalho
    '2026-09-07', // Independência
    '2026-10-12', // Nossa Senhora Aparecida
    '2026-11-02', // Finados
    '2026-11-20', // Consciência Negra
    '2026-12-25', // Natal
    '2027-01-01', // Confraternização Universal
    '2027-03-26', // Sexta-feira Santa (Good Friday)
    '2027-04-21', // Tiradentes
    '2027-09-07', // Independência
    '2027-10-12', // Nossa Senhora Aparecida
    '2027-11-02', // Finados
    '2027-11-15', // Proclamação da República
    '2027-12-25', // Natal
  ]),
  { id: '24x7', kind: '24x7' },
]);

/** Demo regions -> calendar id (the region names the simulator uses). */
export const defaultRegionCalendars: Readonly<Record<string, string>> = {
  APAC: 'apac-sgp',
  EMEA: 'emea-lon',
  AMER: 'amer-nyc',
};

export interface CalendarLookup {
  byId(id: string): BusinessCalendar | undefined;
  /** The calendar of a region (for `owner` SLA policies). */
  forRegion(region: string): BusinessCalendar | undefined;
}

/**
 * A lookup over a calendar set and a region -> calendar id map. A region missing from the map
 * gets `fallbackId` when given (undefined otherwise, which the SLA clock reports as an error).
 */
export function calendarLookup(
  calendars: readonly BusinessCalendar[],
  regions: Readonly<Record<string, string>>,
  fallbackId?: string,
): CalendarLookup {
  const byId = new Map(calendars.map((c) => [c.id, c]));
  return {
    byId: (id) => byId.get(id),
    forRegion: (region) => {
      const id = Object.hasOwn(regions, region) ? regions[region] : fallbackId;
      return id === undefined ? undefined : byId.get(id);
    },
  };
}

/** Demo lookup: APAC/EMEA/AMER as above; any other region falls back to 24x7 (the strict choice). */
export const defaultCalendarLookup: CalendarLookup = calendarLookup(
  defaultCalendars,
  defaultRegionCalendars,
  '24x7',
);
