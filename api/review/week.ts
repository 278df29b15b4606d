import { DateTime } from 'luxon';

// ISO weeks in a region's own time zone: a week runs from local Monday 00:00 to the next local
// Monday 00:00, so a week with a DST change lasts 167 or 169 hours, and a day 23 or 25.

export interface ReviewWeek {
  /** `2026-W47` */
  label: string;
  /** Local midnights from Monday to the next Monday: 8 instants (epoch ms). */
  days: number[];
}

const WEEK_PATTERN = /^(\d{4})-W(\d{2})$/;

/** `2026-W47` -> its year and number, or the reason it is not a valid ISO week. */
export function parseIsoWeek(text: string): { weekYear: number; weekNumber: number } | string {
  const m = WEEK_PATTERN.exec(text);
  if (!m) return 'expected an ISO week like 2026-W47';
  const weekYear = Number(m[1]);
  const weekNumber = Number(m[2]);
  // the range ClickHouse's DateTime64 holds, with room on both sides
  if (weekYear < 1970 || weekYear > 2200) return 'the week year must be between 1970 and 2200';
  const weeks = DateTime.fromObject({ weekYear, weekNumber: 1, weekday: 1 }, { zone: 'UTC' }).weeksInWeekYear;
  if (weekNumber < 1 || weekNumber > weeks) return `${weekYear} has ISO weeks 01 to ${weeks}`;
  return { weekYear, weekNumber };
}

function weekFrom(start: DateTime): ReviewWeek {
  const days: number[] = [];
  for (let i = 0; i <= 7; i++) days.push(start.plus({ days: i }).toMillis());
  return { label: `${start.weekYear}-W${String(start.weekNumber).padStart(2, '0')}`, days };
}

/** The week of `weekYear`/`weekNumber` in `zone`. */
export function isoWeek(weekYear: number, weekNumber: number, zone: string): ReviewWeek {
  return weekFrom(DateTime.fromObject({ weekYear, weekNumber, weekday: 1 }, { zone }).startOf('day'));
}

/** The last week that ended at or before `nowMs` in `zone`. */
export function lastCompleteWeek(nowMs: number, zone: string): ReviewWeek {
  return weekFrom(DateTime.fromMillis(nowMs, { zone }).startOf('week').minus({ weeks: 1 }));
}

/** The week before `week`, in the same zone. */
export function previousWeek(week: ReviewWeek, zone: string): ReviewWeek {
  return weekFrom(DateTime.fromMillis(week.days[0]!, { zone }).minus({ weeks: 1 }));
}

/** Local date (YYYY-MM-DD) and weekday (Mon) of an instant in `zone`. */
export function localDay(ms: number, zone: string): { date: string; weekday: string } {
  const dt = DateTime.fromMillis(ms, { zone });
  return { date: dt.toISODate() ?? '', weekday: dt.toFormat('ccc', { locale: 'en' }) };
}
