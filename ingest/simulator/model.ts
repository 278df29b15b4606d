import type { Priority, Tier } from '../../core/events/ticket.js';

// The simulated operation: three follow-the-sun regions, each staffed from two cities, serving a
// handful of customers. Numbers are chosen so the demo's figures look like a mid-sized provider's
// (about 40 people and a backlog of about 200 tickets per region).

export interface SimCity {
  code: string;
  name: string;
  zone: string;
}

export interface SimRegion {
  name: string;
  /** The region's primary city first: its calendar times the ticket work (see core/calendar.ts). */
  cities: [SimCity, SimCity];
  /** Where unfinished urgent work goes at the end of this region's working day. */
  next: string;
  /** Mean tickets created per day (the hour-of-week profile spreads them). */
  ticketsPerDay: number;
  /** People per tier and city: [primary city, second city]. */
  staff: Record<Tier, [number, number]>;
  /** Source system the region's service desk runs on (its tickets carry this `source`). */
  ticketSource: string;
  /** Field-engineer travel time to a site, minutes [min, max]. */
  travelMinutes: [number, number];
}

export const simRegions: readonly SimRegion[] = [
  {
    name: 'APAC',
    cities: [
      { code: 'sgp', name: 'Singapore', zone: 'Asia/Singapore' },
      { code: 'syd', name: 'Sydney', zone: 'Australia/Sydney' },
    ],
    next: 'EMEA',
    ticketsPerDay: 64,
    staff: { L1: [12, 10], L2: [6, 5], L3: [4, 3] },
    ticketSource: 'sim-servicenow',
    travelMinutes: [25, 90],
  },
  {
    name: 'EMEA',
    cities: [
      { code: 'lon', name: 'London', zone: 'Europe/London' },
      { code: 'waw', name: 'Warsaw', zone: 'Europe/Warsaw' },
    ],
    next: 'AMER',
    ticketsPerDay: 70,
    staff: { L1: [12, 11], L2: [6, 5], L3: [4, 3] },
    ticketSource: 'sim-jira',
    travelMinutes: [30, 100],
  },
  {
    name: 'AMER',
    cities: [
      { code: 'nyc', name: 'New York', zone: 'America/New_York' },
      { code: 'sao', name: 'São Paulo', zone: 'America/Sao_Paulo' },
    ],
    next: 'APAC',
    ticketsPerDay: 58,
    staff: { L1: [11, 9], L2: [5, 5], L3: [4, 2] },
    ticketSource: 'sim-zendesk',
    travelMinutes: [40, 150],
  },
];

export const FIELD_SOURCE = 'sim-fieldops';
export const HR_SOURCE = 'sim-hr';
export const WFM_SOURCE = 'sim-wfm';

export const tiers: readonly Tier[] = ['L1', 'L2', 'L3'];

export function teamOf(region: string, tier: Tier): string {
  return `${region.toLowerCase()}-${tier.toLowerCase()}`;
}

/** Customers; the SLA policies (transforms/sla/policy.ts) match on priority and on `globex`. */
export const simCustomers = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'] as const;
export const customerWeights = [0.25, 0.2, 0.18, 0.15, 0.12, 0.1];

export const priorities: readonly Priority[] = ['critical', 'high', 'medium', 'low'];
export const priorityWeights = [0.04, 0.2, 0.46, 0.3];

export const categories = ['network', 'server', 'storage', 'access', 'hardware', 'application'] as const;
export const categoryWeights = [0.18, 0.16, 0.08, 0.26, 0.14, 0.18];
/** Share of a category's tickets that need someone on site. */
export const fieldShare: Record<(typeof categories)[number], number> = {
  network: 0.3,
  server: 0.15,
  storage: 0.2,
  access: 0,
  hardware: 0.65,
  application: 0,
};

export const channels = ['phone', 'email', 'portal', 'chat', 'monitoring'] as const;
export const channelWeights = [0.2, 0.25, 0.3, 0.1, 0.15];

/** Median business hours of hands-on work, by priority; the spread is log-normal. */
export const workHours: Record<Priority, number> = { critical: 3, high: 5, medium: 9, low: 12 };
/** Median business hours a ticket queues before someone starts on it, by priority. */
export const queueHours: Record<Priority, number> = { critical: 0, high: 0.5, medium: 3, low: 6 };
/** Chance of an escalation to L2 (and from L2 to L3: a quarter of that). */
export const escalationChance: Record<Priority, number> = {
  critical: 0.4,
  high: 0.3,
  medium: 0.18,
  low: 0.08,
};
/** Urgent work follows the sun: at the end of the owner's day it goes to the next region. */
export const followsTheSun: ReadonlySet<Priority> = new Set(['critical', 'high']);

/**
 * Relative arrival weight of a local hour (0-23) on a weekday or a weekend day: a morning peak,
 * a dip at lunch, quiet nights; monitoring alerts keep a floor at night and on weekends.
 */
export function arrivalWeight(localHour: number, weekend: boolean): number {
  if (weekend) return localHour >= 8 && localHour < 20 ? 0.3 : 0.12;
  if (localHour < 7) return 0.12;
  if (localHour < 8) return 0.5;
  if (localHour < 12) return 1.7;
  if (localHour < 14) return 1.2;
  if (localHour < 18) return 1.4;
  if (localHour < 21) return 0.6;
  return 0.25;
}

/** Sum of the weights over one week, so hourly means add up to `ticketsPerDay × 7`. */
export const weeklyArrivalWeight = (() => {
  let sum = 0;
  for (let d = 0; d < 7; d++) for (let h = 0; h < 24; h++) sum += arrivalWeight(h, d >= 5);
  return sum;
})();

export const scenarioNames = ['none', 'apac-backlog', 'seam-stall', 'faulty-parts', 'silent-source'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const scenarioSummaries: Record<ScenarioName, string> = {
  none: 'a steady operation',
  'apac-backlog':
    'APAC arrivals run ~40 % higher over the last week while headcount grows ~5 %: the backlog outgrows the team',
  'seam-stall':
    'over the last week, EMEA -> AMER hand-offs wait hours at the seam before anyone picks them up',
  'faulty-parts':
    'over the last week, more than half of the parts delivered to EMEA field jobs are faulty on arrival',
  'silent-source': "AMER's service desk (source sim-zendesk) stops sending two days before the anchor",
};

/** Where each scenario acts. */
export const scenarioRegion: Record<ScenarioName, string> = {
  none: '',
  'apac-backlog': 'APAC',
  'seam-stall': 'EMEA',
  'faulty-parts': 'EMEA',
  'silent-source': 'AMER',
};
