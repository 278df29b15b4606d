import { DateTime } from 'luxon';
import type { ApiEndpoint } from './lib/api-load.js';
import type { BenchEnvironment } from './lib/environment.js';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const QUARTER = 900_000;

/**
 * The routes people read most, over the last four weeks up to now (the seeded history ends at the
 * hour `to`): as a dashboard or a script asks, `from` and `to` inside an hour (on a quarter hour,
 * which coverage needs).
 */
export function apiEndpoints(to: number, ticketIds: string[], now = Date.now()): ApiEndpoint[] {
  const end = Math.max(to, Math.floor(now / QUARTER) * QUARTER);
  const range = `from=${iso(end - 28 * DAY)}&to=${iso(end)}`;
  const thisWeek = DateTime.fromMillis(to, { zone: 'utc' }).toFormat("kkkk-'W'WW");
  return [
    { name: 'backlog (daily, 28 days)', paths: [`/v1/metrics/backlog?${range}&interval=day`] },
    { name: 'backlog vs headcount', paths: [`/v1/metrics/backlog-vs-headcount?at=${iso(end)}&window=7`] },
    { name: 'handovers', paths: [`/v1/metrics/handovers?${range}`] },
    { name: 'escalations', paths: [`/v1/metrics/escalations?${range}&interval=week`] },
    { name: 'sla', paths: [`/v1/metrics/sla?${range}`] },
    { name: 'sla at risk', paths: ['/v1/sla/at-risk?limit=50'] },
    { name: 'field', paths: [`/v1/metrics/field?${range}`] },
    { name: 'coverage', paths: [`/v1/metrics/coverage?${range}`] },
    { name: 'staleness', paths: ['/v1/metrics/staleness'] },
    { name: 'specialists', paths: [`/v1/metrics/specialists?${range}`] },
    // The last complete week (its lists of tickets at its end: the open copy and the tickets
    // changed since) and the running one (the rollups and open copies).
    { name: 'weekly review (JSON)', paths: ['/v1/reviews/weekly?region=EMEA'] },
    { name: 'weekly review, this week (JSON)', paths: [`/v1/reviews/weekly?region=EMEA&week=${thisWeek}`] },
    {
      name: 'ticket timeline (drill-down)',
      paths: ticketIds.map((id) => `/v1/tickets/${encodeURIComponent(id)}/timeline?tenant=bench`),
    },
  ];
}

/** Tickets spread over the stored history, for the drill-down. */
export async function sampleTicketIds(env: BenchEnvironment, n: number): Promise<string[]> {
  const rs = await env.ch.query({
    query: 'SELECT ticket_id FROM ticket_lifecycle ORDER BY cityHash64(ticket_id) LIMIT {n:UInt32}',
    query_params: { n },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ ticket_id: string }>()).map((r) => r.ticket_id);
}
