import { eventId, type Priority, type TicketEvent } from '../../core/events/ticket.js';
import { mixSeed, seededRandom } from '../../core/random.js';

// A small seeded generator of ticket lifecycles across follow-the-sun regions. Every ticket is
// fully determined by (seed, creation hour, index), so regenerating an hour yields the same
// events with the same ids: a restarted simulation re-sends nothing new.

export interface SimRegion {
  name: string;
  teams: string[];
  /** Mean tickets created per hour. */
  ticketsPerHour: number;
}

export interface SimulationOptions {
  seed: number;
  tenant: string;
  source?: string;
  regions?: SimRegion[];
  customers?: string[];
}

export const defaultRegions: SimRegion[] = [
  { name: 'APAC', teams: ['apac-l1', 'apac-l2'], ticketsPerHour: 4 },
  { name: 'EMEA', teams: ['emea-l1', 'emea-l2'], ticketsPerHour: 5 },
  { name: 'AMER', teams: ['amer-l1', 'amer-l2'], ticketsPerHour: 4 },
];

const defaultCustomers = ['acme', 'globex', 'initech', 'umbrella'];
const priorities: Priority[] = ['critical', 'high', 'medium', 'low'];
const priorityWeights = [0.05, 0.2, 0.45, 0.3];
const HOUR = 3_600_000;
const MINUTE = 60_000;

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

function weighted<T>(rnd: () => number, items: readonly T[], weights: readonly number[]): T {
  let r = rnd();
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r <= 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Poisson-distributed count with the given mean (Knuth; the means here are small). */
function poisson(rnd: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rnd();
  while (p > limit) {
    k++;
    p *= rnd();
  }
  return k;
}

/** Every event of every ticket created in the hour starting at `hourStart` (ms, aligned to the hour). */
export function ticketsCreatedInHour(opts: SimulationOptions, hourStart: number): TicketEvent[] {
  const regions = opts.regions ?? defaultRegions;
  const customers = opts.customers ?? defaultCustomers;
  const source = opts.source ?? 'sim';
  const hourIndex = Math.floor(hourStart / HOUR);
  const events: TicketEvent[] = [];

  regions.forEach((region, regionIndex) => {
    const rnd = seededRandom(mixSeed(opts.seed, hourIndex, regionIndex));
    const count = poisson(rnd, region.ticketsPerHour);
    for (let n = 0; n < count; n++) {
      const ticketId = `${region.name}-${hourIndex}-${n}`;
      let seq = 0;
      const emit = (at: number, body: Record<string, unknown>) => {
        const iso = new Date(at).toISOString();
        events.push({
          eventId: eventId(source, 'ticket', ticketId, String(seq++)),
          schemaVersion: 1,
          source,
          tenant: opts.tenant,
          ticketId,
          occurredAt: iso,
          receivedAt: iso,
          ...body,
        } as TicketEvent);
      };

      let t = hourStart + Math.floor(rnd() * HOUR);
      const priority = weighted(rnd, priorities, priorityWeights);
      emit(t, { type: 'ticket.created', customer: pick(rnd, customers), region: region.name, priority });
      t += Math.floor((1 + rnd() * 20) * MINUTE);
      emit(t, { type: 'ticket.assigned', team: region.teams[0], region: region.name, tier: 'L1' });

      let owner = region;
      if (rnd() < 0.25) {
        // Follow-the-sun hand-off to the next region.
        owner = regions[(regionIndex + 1) % regions.length]!;
        t += Math.floor((0.5 + rnd() * 6) * HOUR);
        emit(t, { type: 'ticket.assigned', team: owner.teams[0], region: owner.name, tier: 'L1' });
      }
      if (rnd() < 0.2) {
        t += Math.floor((0.2 + rnd() * 4) * HOUR);
        emit(t, { type: 'ticket.escalated', kind: 'tier', toTier: 'L2' });
        emit(t, {
          type: 'ticket.assigned',
          team: owner.teams[1] ?? owner.teams[0],
          region: owner.name,
          tier: 'L2',
        });
      }
      const fate = rnd();
      t += Math.floor((0.5 + rnd() * rnd() * 60) * HOUR);
      if (fate < 0.05) {
        emit(t, { type: 'ticket.cancelled' });
        continue;
      }
      emit(t, { type: 'ticket.resolved' });
      if (fate > 0.93) {
        t += Math.floor((1 + rnd() * 24) * HOUR);
        emit(t, { type: 'ticket.reopened' });
        t += Math.floor((1 + rnd() * 12) * HOUR);
        emit(t, { type: 'ticket.resolved' });
      }
      t += 72 * HOUR;
      emit(t, { type: 'ticket.closed' });
    }
  });
  return events;
}

/** All events of tickets created in [from, to), ordered by time of occurrence. */
export function ticketsCreatedBetween(opts: SimulationOptions, from: number, to: number): TicketEvent[] {
  const events: TicketEvent[] = [];
  for (let h = Math.floor(from / HOUR) * HOUR; h < to; h += HOUR) {
    for (const e of ticketsCreatedInHour(opts, h)) {
      if (
        e.type !== 'ticket.created' ||
        (Date.parse(e.occurredAt) >= from && Date.parse(e.occurredAt) < to)
      ) {
        events.push(e);
      }
    }
  }
  const created = new Set(events.filter((e) => e.type === 'ticket.created').map((e) => e.ticketId));
  return events
    .filter((e) => created.has(e.ticketId))
    .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
}
