import { describe, expect, it } from 'vitest';
import {
  addBusinessSeconds,
  type BusinessCalendar,
  businessMsBetween,
  businessSecondsBetween,
  calendarLookup,
  calendarSchema,
  calendarSetSchema,
  defaultCalendarLookup,
  defaultCalendars,
  isWorkingAt,
  nextWorkingStart,
  outsideHoursSeconds,
} from './calendar.js';
import { fieldProblems } from './events/common.js';
import { seededRandom } from './random.js';

const at = (iso: string) => Date.parse(iso);
const H = 3600;
const cal = (id: string): BusinessCalendar => {
  const c = defaultCalendars.find((x) => x.id === id);
  if (!c) throw new Error(`no calendar ${id}`);
  return c;
};
const london = cal('emea-lon');
const newYork = cal('amer-nyc');
const singapore = cal('apac-sgp');
const sydney = cal('apac-syd');
const always = cal('24x7');

const everyDay = (zone: string, intervals: Array<[string, string]>) =>
  calendarSchema.parse({
    id: `every-day-${zone}`,
    zone,
    weekly: {
      mon: intervals,
      tue: intervals,
      wed: intervals,
      thu: intervals,
      fri: intervals,
      sat: intervals,
      sun: intervals,
    },
  });

describe('business calendars across DST transitions', () => {
  it('Europe/London, last Sunday of March 2026 (GMT -> BST on 29 Mar, 01:00 UTC)', () => {
    // Fri 27 Mar 12:00Z = 12:00 GMT; Mon 30 Mar 12:00Z = 13:00 BST.
    // Fri 12:00-18:00 = 6 h; Sat, Sun 0; Mon 08:00-13:00 local = 5 h => 11 h = 39 600 s.
    const from = at('2026-03-27T12:00:00Z');
    const to = at('2026-03-30T12:00:00Z');
    expect(businessSecondsBetween(london, from, to)).toBe(11 * H);
    // Wall 72 h = 259 200 s; outside hours 259 200 - 39 600 = 219 600 s.
    expect(outsideHoursSeconds(london, from, to)).toBe(219_600);
    // Monday opens at 08:00 BST = 07:00Z.
    expect(isWorkingAt(london, at('2026-03-30T07:00:00Z'))).toBe(true);
    expect(isWorkingAt(london, at('2026-03-30T06:59:59Z'))).toBe(false);
    expect(nextWorkingStart(london, at('2026-03-27T18:00:00Z'))).toBe(at('2026-03-30T07:00:00Z'));
  });

  it('a local 08:00-18:00 day is 10 h on both London DST-change Sundays', () => {
    const daily = everyDay('Europe/London', [['08:00', '18:00']]);
    // Sun 29 Mar 2026: 08:00 BST = 07:00Z .. 18:00 BST = 17:00Z = 10 h. The local day itself is
    // 23 h (00:00Z .. 23:00Z), so outside hours = 23 - 10 = 13 h.
    expect(businessSecondsBetween(daily, at('2026-03-29T00:00:00Z'), at('2026-03-29T23:00:00Z'))).toBe(
      10 * H,
    );
    expect(outsideHoursSeconds(daily, at('2026-03-29T00:00:00Z'), at('2026-03-29T23:00:00Z'))).toBe(13 * H);
    // Sun 25 Oct 2026: local day 24 Oct 23:00Z .. 26 Oct 00:00Z = 25 h; 08:00-18:00 GMT = 10 h.
    expect(businessSecondsBetween(daily, at('2026-10-24T23:00:00Z'), at('2026-10-26T00:00:00Z'))).toBe(
      10 * H,
    );
    expect(outsideHoursSeconds(daily, at('2026-10-24T23:00:00Z'), at('2026-10-26T00:00:00Z'))).toBe(15 * H);
  });

  it('an interval spanning the change is measured in real time (wall-clock boundaries)', () => {
    const night = everyDay('Europe/London', [['00:00', '06:00']]);
    // 29 Mar: 00:00 GMT (00:00Z) .. 06:00 BST (05:00Z) = 5 h; 25 Oct: 00:00 BST (24 Oct 23:00Z)
    // .. 06:00 GMT (06:00Z) = 7 h.
    expect(businessSecondsBetween(night, at('2026-03-29T00:00:00Z'), at('2026-03-29T12:00:00Z'))).toBe(5 * H);
    expect(businessSecondsBetween(night, at('2026-10-24T12:00:00Z'), at('2026-10-25T12:00:00Z'))).toBe(7 * H);
  });

  it('Europe/London, last Sunday of October 2026 (BST -> GMT on 25 Oct)', () => {
    // Fri 23 Oct 16:00Z = 17:00 BST; Mon 26 Oct 09:00Z = 09:00 GMT.
    // Fri 17:00-18:00 = 1 h; Mon 08:00-09:00 = 1 h => 2 h. Wall = 2 d 17 h = 65 h = 234 000 s.
    const from = at('2026-10-23T16:00:00Z');
    const to = at('2026-10-26T09:00:00Z');
    expect(businessSecondsBetween(london, from, to)).toBe(2 * H);
    expect(outsideHoursSeconds(london, from, to)).toBe(234_000 - 7200);
  });

  it('America/New_York, 8 Mar 2026 (EST -> EDT) and 1 Nov 2026 (EDT -> EST)', () => {
    // Fri 6 Mar 20:00Z = 15:00 EST; Mon 9 Mar 14:00Z = 10:00 EDT.
    // Fri 15:00-18:00 = 3 h; Mon 08:00-10:00 = 2 h => 5 h.
    expect(businessSecondsBetween(newYork, at('2026-03-06T20:00:00Z'), at('2026-03-09T14:00:00Z'))).toBe(
      5 * H,
    );
    expect(addBusinessSeconds(newYork, at('2026-03-06T20:00:00Z'), 5 * H)).toBe(at('2026-03-09T14:00:00Z'));
    // Fri 30 Oct 21:00Z = 17:00 EDT; + 2 h: Fri 17:00-18:00 (1 h), Mon 2 Nov 08:00-09:00 EST
    // (1 h) => 09:00 EST = 14:00Z.
    expect(addBusinessSeconds(newYork, at('2026-10-30T21:00:00Z'), 2 * H)).toBe(at('2026-11-02T14:00:00Z'));
  });
});

describe('holidays, weekends, boundaries', () => {
  it('skips Good Friday and Easter Monday (London, 3 and 6 Apr 2026)', () => {
    // Thu 2 Apr 16:00Z = 17:00 BST .. Tue 7 Apr 08:00Z = 09:00 BST: Thu 17-18 (1 h) + Tue 08-09
    // (1 h) = 2 h; Fri (holiday), Sat, Sun, Mon (holiday) = 0.
    expect(businessSecondsBetween(london, at('2026-04-02T16:00:00Z'), at('2026-04-07T08:00:00Z'))).toBe(
      2 * H,
    );
    expect(nextWorkingStart(london, at('2026-04-02T17:00:00Z'))).toBe(at('2026-04-07T07:00:00Z'));
    expect(isWorkingAt(london, at('2026-04-03T10:00:00Z'))).toBe(false);
    // + 1 h 1 s from Thu 17:00 BST: 1 h to 18:00, then 1 s after Tue 08:00 BST (07:00Z).
    expect(addBusinessSeconds(london, at('2026-04-02T16:00:00Z'), H + 1)).toBe(at('2026-04-07T07:00:01Z'));
  });

  it('addBusinessSeconds landing exactly on an interval end returns that end', () => {
    // Mon 2 Mar 2026 08:00 GMT + 10 h = 18:00 the same day, not Tue 08:00.
    expect(addBusinessSeconds(london, at('2026-03-02T08:00:00Z'), 10 * H)).toBe(at('2026-03-02T18:00:00Z'));
    // 1 s more starts Tuesday's interval.
    expect(addBusinessSeconds(london, at('2026-03-02T08:00:00Z'), 10 * H + 1)).toBe(
      at('2026-03-03T08:00:01Z'),
    );
    // Thu 2 Apr 16:00Z (17:00 BST) + 1 h = 18:00 BST = 17:00Z, before the Easter weekend.
    expect(addBusinessSeconds(london, at('2026-04-02T16:00:00Z'), H)).toBe(at('2026-04-02T17:00:00Z'));
    // 0 s is the start instant itself, even out of hours.
    expect(addBusinessSeconds(london, at('2026-03-07T12:00:00Z'), 0)).toBe(at('2026-03-07T12:00:00Z'));
    // From a Saturday, 1 h lands on Mon 09:00.
    expect(addBusinessSeconds(london, at('2026-03-07T12:00:00Z'), H)).toBe(at('2026-03-09T09:00:00Z'));
  });

  it('intervals are [start, end): open at 08:00, closed at 18:00', () => {
    expect(isWorkingAt(london, at('2026-03-02T08:00:00Z'))).toBe(true);
    expect(isWorkingAt(london, at('2026-03-02T18:00:00Z'))).toBe(false);
    expect(nextWorkingStart(london, at('2026-03-02T10:00:00Z'))).toBe(at('2026-03-02T10:00:00Z'));
    expect(nextWorkingStart(london, at('2026-03-02T18:00:00Z'))).toBe(at('2026-03-03T08:00:00Z'));
    // Friday evening -> Monday morning.
    expect(nextWorkingStart(london, at('2026-03-06T18:30:00Z'))).toBe(at('2026-03-09T08:00:00Z'));
  });

  it('several intervals per day and intervals ending at 24:00', () => {
    const shifts = calendarSchema.parse({
      id: 'night-shift',
      zone: 'UTC',
      weekly: {
        mon: [
          ['06:00', '10:00'],
          ['20:00', '24:00'],
        ],
        tue: [['00:00', '04:00']],
      },
    });
    // Mon 2 Mar 05:00Z .. Tue 05:00Z: 06-10 (4 h) + 20-24 (4 h) + Tue 00-04 (4 h) = 12 h.
    expect(businessSecondsBetween(shifts, at('2026-03-02T05:00:00Z'), at('2026-03-03T05:00:00Z'))).toBe(
      12 * H,
    );
    // Mon 20:00 + 4 h = Mon 24:00 = Tue 00:00; + 1 s more is inside Tuesday's interval.
    expect(addBusinessSeconds(shifts, at('2026-03-02T20:00:00Z'), 4 * H)).toBe(at('2026-03-03T00:00:00Z'));
    expect(addBusinessSeconds(shifts, at('2026-03-02T20:00:00Z'), 4 * H + 1)).toBe(
      at('2026-03-03T00:00:01Z'),
    );
    // Mon 09:00 + 2 h: 1 h to 10:00, then 1 h from 20:00 => 21:00.
    expect(addBusinessSeconds(shifts, at('2026-03-02T09:00:00Z'), 2 * H)).toBe(at('2026-03-02T21:00:00Z'));
    expect(isWorkingAt(shifts, at('2026-03-02T23:59:59Z'))).toBe(true);
    expect(isWorkingAt(shifts, at('2026-03-03T00:00:00Z'))).toBe(true);
    expect(isWorkingAt(shifts, at('2026-03-03T04:00:00Z'))).toBe(false);
    expect(nextWorkingStart(shifts, at('2026-03-02T12:00:00Z'))).toBe(at('2026-03-02T20:00:00Z'));
    // 24:00 on the London spring-forward Saturday: Sat 28 Mar 22:00 GMT .. Sun 00:00 GMT = 2 h.
    const late = calendarSchema.parse({
      id: 'late',
      zone: 'Europe/London',
      weekly: { sat: [['22:00', '24:00']] },
    });
    expect(businessSecondsBetween(late, at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'))).toBe(2 * H);
  });

  it('multi-week ranges: 4 weeks in London, 4 weeks in New York around MLK Day, a whole year', () => {
    // Mon 5 Jan .. Mon 2 Feb 2026: 20 weekdays x 10 h = 200 h.
    expect(businessSecondsBetween(london, at('2026-01-05T00:00:00Z'), at('2026-02-02T00:00:00Z'))).toBe(
      200 * H,
    );
    // New York local midnights (EST = UTC-5); Mon 19 Jan is MLK Day: 19 days x 10 h = 190 h.
    expect(businessSecondsBetween(newYork, at('2026-01-05T05:00:00Z'), at('2026-02-02T05:00:00Z'))).toBe(
      190 * H,
    );
    // 2026 starts on a Thursday: 52 weeks + 1 Thursday = 261 weekdays; 8 weekday bank holidays
    // (1 Jan, 3 Apr, 6 Apr, 4 May, 25 May, 31 Aug, 25 Dec, 28 Dec) => 253 days x 36 000 s.
    expect(businessSecondsBetween(london, at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))).toBe(
      253 * 36_000,
    );
  });

  it('Singapore (no DST) and Sydney (AEDT -> AEST on 5 Apr 2026)', () => {
    // Singapore is UTC+8: 08:00-18:00 SGT = 00:00-10:00Z. Tue 3 Mar 02:00Z .. 12:00Z = 8 h.
    expect(businessSecondsBetween(singapore, at('2026-03-03T02:00:00Z'), at('2026-03-03T12:00:00Z'))).toBe(
      8 * H,
    );
    // Sydney, Thu 2 Apr 2026 06:00Z = 17:00 AEDT .. Tue 7 Apr 00:00Z = 10:00 AEST: Thu 17-18
    // (1 h); Good Friday 3 Apr, weekend, Easter Monday 6 Apr off; Tue 08-10 (2 h) => 3 h.
    expect(businessSecondsBetween(sydney, at('2026-04-02T06:00:00Z'), at('2026-04-07T00:00:00Z'))).toBe(
      3 * H,
    );
  });

  it('24x7: business time is wall time', () => {
    const from = at('2026-03-28T22:00:00Z');
    const to = at('2026-03-30T01:30:00Z');
    expect(businessSecondsBetween(always, from, to)).toBe(27.5 * H);
    expect(outsideHoursSeconds(always, from, to)).toBe(0);
    expect(addBusinessSeconds(always, from, 27.5 * H)).toBe(to);
    expect(isWorkingAt(always, from)).toBe(true);
    expect(nextWorkingStart(always, from)).toBe(from);
  });

  it('from > to is a RangeError; from === to is 0', () => {
    const a = at('2026-03-02T10:00:00Z');
    expect(() => businessSecondsBetween(london, a + 1, a)).toThrow(RangeError);
    expect(() => outsideHoursSeconds(always, a + 1, a)).toThrow(RangeError);
    expect(() => addBusinessSeconds(london, a, -1)).toThrow(RangeError);
    expect(() => businessSecondsBetween(london, Number.NaN, a)).toThrow(RangeError);
    expect(businessSecondsBetween(london, a, a)).toBe(0);
  });
});

describe('calendar configuration', () => {
  const problems = (input: unknown) => {
    const r = calendarSetSchema.safeParse(input);
    return r.success ? [] : fieldProblems(r.error);
  };

  it('accepts the defaults and the 24x7 kind', () => {
    expect(defaultCalendars.map((c) => c.id)).toEqual([
      'apac-sgp',
      'apac-syd',
      'emea-lon',
      'emea-waw',
      'amer-nyc',
      'amer-sao',
      '24x7',
    ]);
    expect(calendarSchema.parse({ id: 'x', kind: '24x7' })).toEqual({ id: 'x', kind: '24x7', zone: 'UTC' });
  });

  it('reports invalid zones, times, intervals and holidays with precise paths', () => {
    expect(
      problems([
        {
          id: 'bad',
          zone: 'Europe/Londn',
          weekly: {
            mon: [['8:00', '18:00']],
            tue: [['18:00', '08:00']],
            wed: [
              ['08:00', '12:00'],
              ['11:00', '18:00'],
            ],
            thu: [['08:00', '24:01']],
            fri: [['24:00', '24:00']],
          },
          holidays: ['2026-12-25', '2026-02-30', '25/12/2026'],
        },
        { id: 'bad-too', kind: '24x7', zone: 'Mars/Olympus' },
      ]),
    ).toEqual([
      { path: '[0].zone', message: 'not a valid IANA time zone' },
      { path: '[0].weekly.mon[0][0]', message: 'expected a local time HH:MM (00:00-24:00)' },
      { path: '[0].weekly.tue[0][1]', message: 'interval end 08:00 is not after its start 18:00' },
      {
        path: '[0].weekly.wed[1]',
        message: 'intervals of a day must be in ascending order and must not overlap',
      },
      { path: '[0].weekly.thu[0][1]', message: 'expected a local time HH:MM (00:00-24:00)' },
      { path: '[0].weekly.fri[0][0]', message: '24:00 can only end an interval' },
      { path: '[0].holidays[1]', message: 'not a valid calendar date' },
      { path: '[0].holidays[2]', message: 'expected a local date YYYY-MM-DD' },
      { path: '[1].zone', message: 'not a valid IANA time zone' },
    ]);
  });

  it('rejects unknown weekday keys, empty weeks, unknown kinds and duplicate ids', () => {
    // An unknown key, and (since `monday` is not `mon`) no working interval at all.
    expect(problems([{ id: 'a', zone: 'UTC', weekly: { monday: [['08:00', '18:00']] } }])).toEqual([
      { path: '[0].weekly', message: 'Unrecognized key: "monday"' },
      { path: '[0].weekly', message: 'a weekly calendar needs at least one working interval' },
    ]);
    expect(problems([{ id: 'a', zone: 'UTC', weekly: {} }])).toEqual([
      { path: '[0].weekly', message: 'a weekly calendar needs at least one working interval' },
    ]);
    expect(problems([{ id: 'a', kind: '9to5', zone: 'UTC' }]).map((p) => p.path)).toEqual(['[0].kind']);
    expect(
      problems([
        { id: 'a', kind: '24x7' },
        { id: 'a', kind: '24x7' },
      ]),
    ).toEqual([{ path: '[1].id', message: 'duplicate calendar id a' }]);
  });

  it('looks calendars up by id and by region with a fallback', () => {
    expect(defaultCalendarLookup.forRegion('EMEA')?.id).toBe('emea-lon');
    expect(defaultCalendarLookup.forRegion('LATAM')?.id).toBe('24x7');
    expect(defaultCalendarLookup.byId('emea-waw')?.zone).toBe('Europe/Warsaw');
    const strict = calendarLookup(defaultCalendars, { APAC: 'apac-syd' });
    expect(strict.forRegion('APAC')?.id).toBe('apac-syd');
    expect(strict.forRegion('EMEA')).toBeUndefined();
    expect(strict.forRegion('toString')).toBeUndefined();
  });
});

describe('properties over seeded random ranges', () => {
  const shifts = calendarSchema.parse({
    id: 'split',
    zone: 'America/Sao_Paulo',
    weekly: {
      mon: [
        ['00:00', '03:00'],
        ['09:00', '12:30'],
        ['13:30', '24:00'],
      ],
      sat: [['10:00', '14:00']],
    },
    holidays: ['2026-06-01'],
  });
  const calendars = [london, newYork, sydney, singapore, cal('emea-waw'), shifts, always];
  const start = at('2026-01-01T00:00:00Z');
  const span = at('2028-01-01T00:00:00Z') - start;

  it('businessSecondsBetween(a, addBusinessSeconds(a, s)) === s, and it is the earliest such instant', () => {
    const rnd = seededRandom(20260329);
    for (let i = 0; i < 400; i++) {
      const c = calendars[i % calendars.length]!;
      const a = start + Math.floor(rnd() * span);
      const s = Math.floor(rnd() * 200 * H);
      const b = addBusinessSeconds(c, a, s);
      expect(businessSecondsBetween(c, a, b)).toBe(s);
      if (s > 0) expect(businessSecondsBetween(c, a, b - 1)).toBeLessThan(s);
      expect(isWorkingAt(c, nextWorkingStart(c, a))).toBe(true);
    }
  });

  it('is additive: bs(a, c) = bs(a, b) + bs(b, c), and outside + business = wall', () => {
    const rnd = seededRandom(20261025);
    for (let i = 0; i < 400; i++) {
      const c = calendars[i % calendars.length]!;
      // Whole seconds, so that sums of seconds are exact in floating point.
      const [x, y, z] = [0, 1, 2]
        .map(() => start + Math.floor(rnd() * (span / 1000)) * 1000)
        .sort((p, q) => p - q) as [number, number, number];
      expect(businessSecondsBetween(c, x, z)).toBe(
        businessSecondsBetween(c, x, y) + businessSecondsBetween(c, y, z),
      );
      expect(businessSecondsBetween(c, x, z) + outsideHoursSeconds(c, x, z)).toBe((z - x) / 1000);
      // In milliseconds it is exact for any instants.
      const [p, q, r] = [x + 1, y + 7, z + 999];
      expect(businessMsBetween(c, p, r)).toBe(businessMsBetween(c, p, q) + businessMsBetween(c, q, r));
    }
  });
});
