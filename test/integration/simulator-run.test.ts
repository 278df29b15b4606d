import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../core/events/index.js';
import { startGateway } from '../../ingest/main.js';
import { eventsOriginating } from '../../ingest/simulator/generate.js';
import { gatewayTarget, kafkaTarget, runSimulation } from '../../ingest/simulator/run.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The simulator's emitting half on the real stack: a backfill through the ingest gateway's batch
// endpoint (with its API key), then the same run again straight to Kafka, as a restarted demo
// does: the re-sent history has the same ids, so the stored events do not change.

const NOW = Date.parse('2026-03-25T10:30:00Z');
const generator = { seed: 3, tenant: 'simrun', scenario: 'none' as const, anchor: NOW, ticketScale: 0.05 };
const KEY = 'simulator-test-key';

let pipeline: TestPipeline;
let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  pipeline = await startPipeline('sim_run', { overrides: { INGEST_PORT: 0, INGEST_API_KEYS: [KEY] } });
  gateway = await startGateway(pipeline.config, pipeline.logger);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await pipeline?.close();
});

async function stored(): Promise<{ t: number; r: number; j: number }> {
  const rs = await pipeline.ch.query({
    query: `SELECT (SELECT uniqExactIf(event_id, source LIKE 'sim-%') FROM ticket_events) AS t,
                   (SELECT uniqExact(event_id) FROM roster_events) AS r,
                   (SELECT uniqExact(event_id) FROM field_job_events) AS j`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ t: string; r: string; j: string }>();
  return { t: Number(row?.t), r: Number(row?.r), j: Number(row?.j) };
}

describe('simulator runs', () => {
  // What a 12-hour backfill at NOW sends: the events due by then of the entities that began in it
  // (and the roster and tickets already there).
  const expected = eventsOriginating(
    generator,
    Date.parse('2026-03-24T22:00:00Z'),
    Date.parse('2026-03-25T11:00:00Z'),
    { standing: true },
  ).filter((e) => Date.parse(e.occurredAt) <= NOW);
  const count = (family: string) => expected.filter((e: CanonicalEvent) => e.type.startsWith(family)).length;

  it('backfills through the gateway, and a second run straight to Kafka changes nothing', async () => {
    expect(count('ticket.')).toBeGreaterThan(200);
    const sent: number[] = [];
    const first = await runSimulation({
      generator,
      target: gatewayTarget(gateway.url, { apiKey: KEY, batchSize: 400, logger: pipeline.logger }),
      logger: pipeline.logger,
      backfillHours: 12,
      follow: false,
      now: () => NOW,
      onSent: (_, total) => sent.push(total),
    });
    expect(first.emitted).toBe(expected.length);
    expect(sent.at(-1)).toBe(expected.length);
    const want = { t: count('ticket.'), r: count('roster.'), j: count('job.') };
    expect(await eventually(stored, (s) => JSON.stringify(s) === JSON.stringify(want), 90_000)).toEqual(want);

    const again = await runSimulation({
      generator,
      target: kafkaTarget(pipeline.sink),
      logger: pipeline.logger,
      backfillHours: 12,
      follow: false,
      now: () => NOW,
    });
    expect(again.emitted).toBe(expected.length);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await stored()).toEqual(want);
  });

  it('a gateway that refuses the key stops the run with its answer', async () => {
    await expect(
      runSimulation({
        generator,
        target: gatewayTarget(gateway.url, { apiKey: 'wrong', logger: pipeline.logger }),
        logger: pipeline.logger,
        backfillHours: 1,
        follow: false,
        now: () => NOW,
      }),
    ).rejects.toThrow(/answered 401/);
  });
});
