import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Review } from './data.js';

// Charts of the review page, drawn on the server: a Vega-Lite spec compiled to Vega and rendered
// to SVG by a headless View, so the page needs no script, no canvas and no external resource.

export interface Chart {
  title: string;
  svg: string;
}

type Spec = vl.TopLevelSpec;
type Row = Record<string, string | number | null>;

const FONT = 'Helvetica, Arial, sans-serif';
const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 520,
  height: 200,
  background: 'white',
  config: {
    font: FONT,
    axis: { labelFontSize: 11, titleFontSize: 11 },
    legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom', labelLimit: 360 },
    view: { stroke: null },
  },
} as const;

async function render(spec: Spec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderCharts(review: Review): Promise<Chart[]> {
  const thisWeek = `this week (${review.week.label})`;
  const lastWeek = `previous week (${review.previousWeek.label})`;
  const weekLabel = (w: string) => (w === 'current' ? thisWeek : lastWeek);
  const weekScale = { domain: [lastWeek, thisWeek], range: ['#9aa5b1', '#1f5fa8'] };
  const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

  const daily: Row[] = review.days.map((d) => ({
    week: weekLabel(d.week),
    weekday: d.weekday,
    day: `${d.weekday} ${d.date.slice(5)}`,
    backlog: d.backlog,
    inflow: d.inflow,
    outflow: d.outflow,
    load: d.load === null ? null : Math.round(d.load * 100) / 100,
  }));
  const flows: Row[] = review.days.flatMap((d) => [
    { day: `${d.weekday} ${d.date.slice(5)}`, measure: 'inflow', tickets: d.inflow },
    { day: `${d.weekday} ${d.date.slice(5)}`, measure: 'outflow', tickets: d.outflow },
  ]);
  const pairs: Row[] = review.handoverPairs
    .filter((p) => p.week === 'current' && p.businessP50Seconds !== null)
    .flatMap((p) => [
      {
        pair: `${p.fromRegion} → ${p.toRegion}`,
        percentile: 'p50',
        hours: (p.businessP50Seconds ?? 0) / 3600,
      },
      {
        pair: `${p.fromRegion} → ${p.toRegion}`,
        percentile: 'p90',
        hours: (p.businessP90Seconds ?? 0) / 3600,
      },
    ]);
  const breach: Row[] = review.slaByPriority
    .filter((s) => s.breachRate !== null)
    .map((s) => ({ week: weekLabel(s.week), priority: s.priority, rate: s.breachRate }));
  const priorities = ['critical', 'high', 'medium', 'low'];

  const weekdayLines = (field: string, title: string): Spec => ({
    ...base,
    data: { values: daily },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'weekday', type: 'ordinal', sort: weekdays, title: null, axis: { labelAngle: 0 } },
      y: { field, type: 'quantitative', title },
      color: { field: 'week', type: 'nominal', scale: weekScale, title: null },
    },
  });

  const specs: Array<[string, Spec]> = [
    ['Backlog at each day’s end, this week against the previous', weekdayLines('backlog', 'open tickets')],
    [
      'Inflow and outflow per day, both weeks',
      {
        ...base,
        data: { values: flows },
        mark: 'bar',
        encoding: {
          x: { field: 'day', type: 'ordinal', sort: null, title: null, axis: { labelAngle: -45 } },
          xOffset: { field: 'measure' },
          y: { field: 'tickets', type: 'quantitative', title: 'tickets' },
          color: {
            field: 'measure',
            type: 'nominal',
            scale: { domain: ['inflow', 'outflow'], range: ['#d9822b', '#2b8a3e'] },
            title: null,
          },
        },
      },
    ],
    ['Load: backlog per FTE at each day’s end', weekdayLines('load', 'tickets per FTE')],
    [
      'Pickup latency by region pair this week (business hours)',
      {
        ...base,
        height: { step: 14 },
        data: { values: pairs },
        mark: 'bar',
        encoding: {
          y: { field: 'pair', type: 'nominal', title: null },
          yOffset: { field: 'percentile' },
          x: { field: 'hours', type: 'quantitative', title: 'business hours to pickup' },
          color: {
            field: 'percentile',
            type: 'nominal',
            scale: { domain: ['p50', 'p90'], range: ['#74a9cf', '#045a8d'] },
            title: null,
          },
        },
      },
    ],
    [
      'SLA breach rate by priority (resolution clock)',
      {
        ...base,
        data: { values: breach },
        mark: 'bar',
        encoding: {
          x: {
            field: 'priority',
            type: 'nominal',
            sort: priorities,
            title: null,
            scale: { domain: priorities },
            axis: { labelAngle: 0 },
          },
          xOffset: { field: 'week', sort: [lastWeek, thisWeek] },
          y: { field: 'rate', type: 'quantitative', title: 'breached / resolved', axis: { format: '.0%' } },
          color: { field: 'week', type: 'nominal', scale: weekScale, title: null },
        },
      },
    ],
  ];
  return Promise.all(specs.map(async ([title, spec]) => ({ title, svg: await render(spec) })));
}
