import { describe, expect, it } from 'vitest';
import { prefersHtml } from '../routes/weekly-review.js';
import { renderCharts } from './charts.js';
import type { Review } from './data.js';
import { esc, renderPage } from './page.js';
import { isoWeek, lastCompleteWeek, parseIsoWeek, previousWeek } from './week.js';

describe('review weeks in a region’s zone', () => {
  it('parses ISO weeks and says why one is not valid', () => {
    expect(parseIsoWeek('2026-W47')).toEqual({ weekYear: 2026, weekNumber: 47 });
    // 2026 starts on a Thursday: it has 53 ISO weeks; 2027 has 52
    expect(parseIsoWeek('2026-W53')).toEqual({ weekYear: 2026, weekNumber: 53 });
    expect(parseIsoWeek('2027-W53')).toBe('2027 has ISO weeks 01 to 52');
    expect(parseIsoWeek('2026-W00')).toBe('2026 has ISO weeks 01 to 53');
    expect(parseIsoWeek('2026-47')).toBe('expected an ISO week like 2026-W47');
    expect(parseIsoWeek('0001-W01')).toMatch(/between 1970 and 2200/);
  });

  it('starts weeks at local Monday midnight; a DST week lasts 167 hours', () => {
    // 2026-W01 starts Mon 29 Dec 2025 (ISO: the week with the year's first Thursday)
    expect(new Date(isoWeek(2026, 1, 'UTC').days[0]!).toISOString()).toBe('2025-12-29T00:00:00.000Z');
    // Singapore is UTC+8: Monday 00:00 SGT is Sunday 16:00Z
    expect(new Date(isoWeek(2026, 11, 'Asia/Singapore').days[0]!).toISOString()).toBe(
      '2026-03-08T16:00:00.000Z',
    );
    // London moves to BST on Sun 29 Mar 2026, inside 2026-W13: that Sunday lasts 23 h
    const w13 = isoWeek(2026, 13, 'Europe/London');
    expect((w13.days[7]! - w13.days[0]!) / 3_600_000).toBe(167);
    expect((w13.days[7]! - w13.days[6]!) / 3_600_000).toBe(23);
    expect(new Date(w13.days[7]!).toISOString()).toBe('2026-03-29T23:00:00.000Z');
    expect(previousWeek(w13, 'Europe/London').label).toBe('2026-W12');
  });

  it('defaults to the last week that ended in the region’s zone', () => {
    // Mon 9 Mar 2026 03:00Z is already Monday 11:00 in Singapore (W10 over), still Sunday 22:00 in New York
    const at = Date.parse('2026-03-09T03:00:00Z');
    expect(lastCompleteWeek(at, 'Asia/Singapore').label).toBe('2026-W10');
    expect(lastCompleteWeek(at, 'America/New_York').label).toBe('2026-W09');
  });
});

describe('content negotiation', () => {
  it('answers HTML only to a client that ranks it above JSON', () => {
    expect(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('application/json, text/html;q=0.5')).toBe(false);
    expect(prefersHtml('text/*;q=0.9, application/json;q=0.5')).toBe(true);
    expect(prefersHtml('text/html;q=0')).toBe(false);
  });
});

describe('the page escapes every text it shows', () => {
  it('escapes markup in names, in tables and in charts', async () => {
    expect(esc(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    const evil = '<script>alert("x")</script>';
    const review: Review = {
      tenant: evil,
      region: evil,
      timeZone: 'UTC',
      week: { label: '2026-W11', start: '2026-03-09T00:00:00.000Z', end: '2026-03-16T00:00:00.000Z' },
      previousWeek: { label: '2026-W10', start: '2026-03-02T00:00:00.000Z', end: '2026-03-09T00:00:00.000Z' },
      complete: true,
      generatedAt: '2026-03-20T00:00:00.000Z',
      headline: [
        {
          key: 'backlogEnd',
          label: 'Backlog at week end',
          unit: 'count',
          better: 'lower',
          current: 3,
          previous: 2,
          delta: 1,
          deltaPct: 50,
          target: null,
          onTarget: null,
          basis: { current: evil, previous: null },
          note: null,
        },
      ],
      days: [],
      handoverPairs: [
        {
          week: 'current',
          fromRegion: evil,
          toRegion: 'EMEA',
          handovers: 1,
          pickedUp: 1,
          wallP50Seconds: 60,
          wallP90Seconds: 60,
          businessP50Seconds: 60,
          businessP90Seconds: 60,
        },
      ],
      slaByPriority: [],
      slaRiskNow: { asOf: null, openTickets: 0, watch: 0, warning: 0, critical: 0, breached: 0, atRisk: 0 },
      offenders: {
        teamsByBacklogGrowth: [
          { team: evil, backlogStart: 0, backlogEnd: 1, growth: 1, inflow: 1, outflow: 0 },
        ],
        teamsBySlowestPickup: [],
        customersByBreaches: [
          { customer: evil, breaches: 1, resolved: 0, resolvedBreached: 0, openBreachedNow: 0 },
        ],
        oldestPendingHandovers: [],
        oldestTickets: [],
      },
    };
    const html = renderPage(review, await renderCharts(review));
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html.match(/<svg/g)?.length).toBe(5);
  });
});
