import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TicketEvent } from '../../core/events/ticket.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// A batch of thousands of tickets the transform has never seen: their stored histories are looked
// up with the ids as a query parameter, which travels in the URL. Sent whole, such a lookup is
// refused (HTTP 414) and the batch is redone for ever; the transform must split it.

let p: TestPipeline;
beforeAll(async () => {
  // Large fetches, so one partition batch holds thousands of new tickets.
  p = await startPipeline('large_batch', { overrides: { TRANSFORM_FETCH_MAX_BYTES: 8 * 1024 * 1024 } });
});
afterAll(async () => p?.close());

it('processes a batch of 12 000 new tickets with long ids', async () => {
  const at = '2026-06-01T09:00:00.000Z';
  const events: TicketEvent[] = Array.from({ length: 12_000 }, (_, i) => {
    const ticketId = `customer-portal-incident-${String(i).padStart(10, '0')}`;
    return {
      eventId: `test:ticket:${ticketId}:0`,
      schemaVersion: 1,
      source: 'test',
      tenant: 'large',
      ticketId,
      occurredAt: at,
      receivedAt: at,
      type: 'ticket.created',
      customer: 'acme',
      region: 'EMEA',
      priority: 'low',
    } as TicketEvent;
  });
  await p.sink.emit(events);
  const count = async () =>
    Number(
      (
        await (
          await p.ch.query({
            query: 'SELECT count() AS n FROM ticket_lifecycle FINAL',
            format: 'JSONEachRow',
          })
        ).json<{ n: number | string }>()
      )[0]!.n,
    );
  expect(await eventually(count, (n) => n === 12_000, 90_000, 500)).toBe(12_000);
});
