import type { RosterEvent } from '../../core/events/roster.js';
import type { TicketEvent } from '../../core/events/ticket.js';
import type { Logger } from '../../core/logger.js';
import { type SimRegion, ticketsCreatedInHour } from '../../ingest/simulator/tickets.js';
import { startBacklogRollup, startRegionRollups } from '../../transforms/backlog/materialise.js';
import { historyKey } from '../../transforms/history/history-cache.js';
import type { EntityEvent, EntityFamily, Projection } from '../../transforms/history/transform.js';
import { ticketFamily, ticketProjections } from '../../transforms/lifecycle/family.js';
import { rosterFamily, rosterProjections } from '../../transforms/roster/family.js';
import { loadSlaSettings } from '../../transforms/sla/settings.js';
import type { BenchEnvironment } from './environment.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Events per simulated ticket, on average (measured on the simulator's output). */
const eventsPerTicket = 5;

export interface SeedResult {
  events: number;
  tickets: number;
  from: number;
  to: number;
  seconds: number;
  rollupSeconds: number;
  tenants: number;
  cloneSeconds: number;
}

/** Stores entities' events and every derived row, as the transforms would, without Kafka in between. */
async function storeWithRows<E extends EntityEvent & { occurredAt: string }>(
  env: BenchEnvironment,
  family: EntityFamily<E>,
  projections: Projection<E>[],
  events: E[],
  now: number,
): Promise<void> {
  const byEntity = new Map<string, E[]>();
  for (const e of events) {
    const key = historyKey(e.tenant, family.entityId(e));
    const list = byEntity.get(key) ?? [];
    list.push(e);
    byEntity.set(key, list);
  }
  await family.storeEvents(env.ch, events);
  const histories = [...byEntity.values()].map((h) =>
    h.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.eventId.localeCompare(b.eventId)),
  );
  for (const p of projections) {
    const rows = histories.map((h) => p.rowFor(h, { now })).filter((r) => r !== null);
    for (let i = 0; i < rows.length; i += 50_000)
      await env.ch.insert({ table: p.table, format: 'JSONEachRow', values: rows.slice(i, i + 50_000) });
  }
}

/**
 * A stored history of `events` ticket events spread over `days` days ending at `to`, with a roster,
 * the derived tables and the hourly backlog rollup, for measuring reads. Written straight to
 * ClickHouse with the transforms' own projections: what the pipeline would have stored.
 */
export async function seedHistory(
  env: BenchEnvironment,
  opts: {
    events: number;
    days: number;
    to: number;
    tenant: string;
    logger: Logger;
    /** Copies of the tenant's rows under other tenant names, made inside ClickHouse. */
    clones?: number;
    onProgress?: (done: number) => void;
  },
): Promise<SeedResult> {
  const started = performance.now();
  const from = opts.to - opts.days * DAY;
  const perHour = opts.events / eventsPerTicket / (opts.days * 24);
  const regions: SimRegion[] = ['APAC', 'EMEA', 'AMER'].map((name) => ({
    name,
    teams: [`${name.toLowerCase()}-l1`, `${name.toLowerCase()}-l2`],
    ticketsPerHour: perHour / 3,
  }));
  const settings = loadSlaSettings(env.config);
  const projections = ticketProjections(settings);

  const roster: RosterEvent[] = [];
  for (const region of regions) {
    for (const team of region.teams) {
      for (let i = 0; i < 20; i++) {
        const agentId = `${team}-agent-${i}`;
        const at = new Date(from).toISOString();
        roster.push({
          eventId: `bench:roster:${agentId}:joined`,
          schemaVersion: 1,
          source: 'bench',
          tenant: opts.tenant,
          agentId,
          occurredAt: at,
          receivedAt: at,
          type: 'roster.member_joined',
          team,
          region: region.name,
          role: 'engineer',
          fte: 1,
        } as RosterEvent);
      }
    }
  }
  await storeWithRows(env, rosterFamily, rosterProjections, roster, opts.to);

  let events = 0;
  let tickets = 0;
  // A week of tickets per round trip: the number of inserts, not their size, bounds the seeding.
  for (let week = from; week < opts.to; week += 7 * DAY) {
    const batch: TicketEvent[] = [];
    for (let h = week; h < week + 7 * DAY && h < opts.to; h += HOUR) {
      for (const e of ticketsCreatedInHour({ seed: 31, tenant: opts.tenant, regions }, h)) {
        if (Date.parse(e.occurredAt) < opts.to) batch.push(e);
      }
    }
    tickets += batch.filter((e) => e.type === 'ticket.created').length;
    events += batch.length;
    await storeWithRows(env, ticketFamily, projections, batch, opts.to);
    opts.onProgress?.(events);
  }
  // The rollups are materialised for the computed tenant, then copied with its other rows; a
  // last pass of the region rollups finds nothing to materialise and tidies the open copies.
  const rollupStarted = performance.now();
  const rollups = [startBacklogRollup, startRegionRollups].map((start) =>
    start({ ch: env.ch, logger: opts.logger, intervalSeconds: 86_400, now: () => opts.to }),
  );
  for (const rollup of rollups) await rollup.materialiseOnce();
  const rollupSeconds = (performance.now() - rollupStarted) / 1000;
  const copies = Math.max(0, opts.clones ?? 0);
  const cloneStarted = performance.now();
  if (copies > 0) await cloneTenant(env, opts.tenant, copies);
  await rollups[1]!.materialiseOnce();
  for (const rollup of rollups) await rollup.stop();
  const cloneSeconds = (performance.now() - cloneStarted) / 1000;
  return {
    events: events * (copies + 1),
    tickets: tickets * (copies + 1),
    tenants: copies + 1,
    cloneSeconds,
    from,
    to: opts.to,
    seconds: (performance.now() - started) / 1000,
    rollupSeconds,
  };
}

/** The tables that hold a tenant's stored rows (the recent and open copies are filled by their views). */
async function tenantTables(env: BenchEnvironment): Promise<string[]> {
  const rs = await env.ch.query({
    query: `SELECT table FROM system.columns
            WHERE database = currentDatabase() AND name = 'tenant'
              AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree')
              AND NOT match(table, '_(recent|open)$')`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ table: string }>()).map((r) => r.table);
}

/**
 * Copies every row of one tenant, in every table that has a tenant column, under `copies` other
 * tenant names (`<tenant>-<first>` ...), server-side: a large stored history without computing it
 * again. The recent and open copies are left out: their views fill them from the main tables' inserts.
 */
async function cloneTenant(env: BenchEnvironment, tenant: string, copies: number, first = 1): Promise<void> {
  for (const table of await tenantTables(env)) {
    await env.ch.command({
      query: `INSERT INTO ${table} SELECT t.* REPLACE (concat(t.tenant, '-', toString(n.number)) AS tenant)
              FROM ${table} AS t CROSS JOIN numbers({first:UInt32}, {copies:UInt32}) AS n WHERE t.tenant = {tenant:String}`,
      query_params: { copies, first, tenant },
    });
  }
}

/**
 * Two stored histories for the cost of one: `small` seeded as {@link seedHistory} does, then `large`
 * made from it inside ClickHouse (its rows copied, then more copies of the computed tenant), so
 * that the same reads can be measured over both sizes.
 */
export async function seedTwoSizes(
  small: BenchEnvironment,
  large: BenchEnvironment,
  opts: {
    smallEvents: number;
    largeEvents: number;
    days: number;
    to: number;
    tenant: string;
    logger: Logger;
    onProgress?: (done: number) => void;
  },
): Promise<{ small: SeedResult; large: SeedResult }> {
  // Up to 500k events are computed by the projections; the rest are copies under other tenants.
  const computed = Math.min(opts.smallEvents, 500_000);
  const smallCopies = Math.max(0, Math.round(opts.smallEvents / computed) - 1);
  const largeCopies = Math.max(smallCopies, Math.round(opts.largeEvents / computed) - 1);
  const seeded = await seedHistory(small, { ...opts, events: computed, clones: smallCopies });
  const started = performance.now();
  const from = small.config.CLICKHOUSE_DATABASE;
  for (const table of await tenantTables(small)) {
    await large.ch.command({ query: `INSERT INTO ${table} SELECT * FROM ${from}.${table}` });
  }
  if (largeCopies > smallCopies)
    await cloneTenant(large, opts.tenant, largeCopies - smallCopies, smallCopies + 1);
  const rollup = startRegionRollups({
    ch: large.ch,
    logger: opts.logger,
    intervalSeconds: 86_400,
    now: () => opts.to,
  });
  await rollup.materialiseOnce();
  await rollup.stop();
  const perTenant = (x: number) => x / (smallCopies + 1);
  const copySeconds = (performance.now() - started) / 1000;
  return {
    small: seeded,
    large: {
      ...seeded,
      events: perTenant(seeded.events) * (largeCopies + 1),
      tickets: perTenant(seeded.tickets) * (largeCopies + 1),
      tenants: largeCopies + 1,
      cloneSeconds: copySeconds,
      seconds: seeded.seconds + copySeconds,
    },
  };
}
