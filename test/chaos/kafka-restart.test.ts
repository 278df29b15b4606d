import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answers,
  chaosEvents,
  chaosLong,
  chaosPipeline,
  childEnv,
  cleanRun,
  cleanupList,
  drained,
  driveAtRate,
  isAlive,
  kill,
  ledger,
  metricTables,
  mismatchedRows,
  postEvents,
  reportScenario,
  spawnBaton,
  storedCount,
  type Tables,
  watchCommits,
} from '../helpers/chaos.js';
import { freePort, type PrivateKafka, startPrivateKafka } from '../helpers/private-kafka.js';
import { eventually } from '../helpers/services.js';

// The Kafka broker stopped (SIGTERM) and killed (SIGKILL) in the middle of a steady stream sent
// through the ingest gateway, each time restarted on the same data. The broker is one of this
// test's own, on its own ports: the shared broker is not touched. While it is down the gateway
// answers 503 with Retry-After, and the client sends the batch again later; after the restart the
// gateway and the transforms carry on by themselves, and the ledger holds.

const cleanups = cleanupList();
afterAll(() => cleanups.run());

const events = chaosEvents(37, 'chaos-kafka', '2026-05-11T00:00:00Z', chaosLong ? 3 : 1);
const perSecond = chaosLong ? 60 : 50;
const downMs = chaosLong ? 20_000 : 4_000;

describe('Kafka broker stop and kill', () => {
  let expected: Tables;
  let kafka: PrivateKafka;
  beforeAll(async () => {
    [expected, kafka] = await Promise.all([
      cleanRun('chaos_kafka_clean', events),
      startPrivateKafka('chaos'),
    ]);
    cleanups.add(() => kafka.destroy());
  }, 180_000);

  it('SIGTERM then SIGKILL of the broker: 503 + Retry-After while down, recovery without help, ledger holds', async () => {
    const p = await chaosPipeline('chaos_kafka', cleanups, { KAFKA_BROKERS: [kafka.broker] });
    const port = await freePort();
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const gateway = spawnBaton(
      'ingest',
      childEnv(p.config, { INGEST_HOST: '127.0.0.1', INGEST_PORT: String(port) }),
      cleanups,
    );
    const transforms = spawnBaton('transforms', childEnv(p.config), cleanups);
    expect(await answers(`${gatewayUrl}/healthz`), gateway.output()).toBe(true);

    const answered: Record<string, number> = {};
    let withoutRetryAfter = 0;
    let lastAccepted = 0;
    const commits = watchCommits(p);
    const drive = driveAtRate(events, perSecond, async (batch) => {
      // The client of the gateway: a 503 (or no answer) means "not taken", so the batch is sent
      // again, as Retry-After asks (shortened to keep the test brief).
      for (;;) {
        const res = await postEvents(gatewayUrl, batch);
        answered[res.status] = (answered[res.status] ?? 0) + 1;
        if (res.status === 200) {
          lastAccepted = Date.now();
          return true;
        }
        if (res.status === 503 && !res.retryAfter) withoutRetryAfter++;
        if (res.status !== 503 && res.status !== 'no-answer') return false;
        await new Promise((r) => setTimeout(r, 500));
      }
    });

    const faults: { signal: 'SIGTERM' | 'SIGKILL'; restartMs: number; recoveryMs: number }[] = [];
    for (const [signal, share] of [
      ['SIGTERM', 0.2],
      ['SIGKILL', 0.55],
    ] as const) {
      await eventually(
        async () => drive.sent(),
        (n) => n >= events.length * share,
        120_000,
        50,
      );
      expect(drive.sent(), 'the stream is still running when the broker goes').toBeLessThan(events.length);
      await kafka.stop(signal);
      await new Promise((r) => setTimeout(r, downMs));
      const restartAt = Date.now();
      await kafka.start();
      const up = Date.now();
      // Recovered: the gateway takes batches again and the transforms store what was sent.
      const accepted = await eventually(
        async () => lastAccepted,
        (t) => t > up,
        120_000,
        50,
      );
      expect(accepted, `no batch taken after the restart:\n${gateway.output()}`).toBeGreaterThan(up);
      const sent = drive.sent();
      const stored = await eventually(
        () => storedCount(p.ch),
        (n) => n >= sent,
        120_000,
        100,
      );
      expect(stored, `not stored after the restart:\n${transforms.output()}`).toBeGreaterThanOrEqual(sent);
      faults.push({ signal, restartMs: up - restartAt, recoveryMs: Date.now() - up });
      expect(isAlive(gateway), `the gateway exited:\n${gateway.output()}`).toBe(true);
      expect(isAlive(transforms), `the transforms exited:\n${transforms.output()}`).toBe(true);
    }

    const acked = await drive.done;
    await drained(p, acked.length, [gateway, transforms]);
    const watch = await commits.stop();
    const figures = await ledger(p.ch, acked, events);
    const actual = await metricTables(p.ch);
    const mismatched = mismatchedRows(actual, expected);
    reportScenario('kafka-broker-restart', {
      faultsInjected: faults.length,
      downSeconds: downMs / 1000,
      faults,
      gatewayAnswers: answered,
      eventsAcknowledged: figures.acknowledged,
      eventsStored: figures.stored,
      duplicates: figures.duplicates,
      missing: figures.missing,
      mismatchedRows: mismatched,
      commitSamples: watch.samples,
      offsetsAheadOfData: watch.violations.length,
    });
    await Promise.all([kill(gateway, 'SIGTERM'), kill(transforms, 'SIGTERM')]);

    expect(answered['503'] ?? 0, 'the gateway answers 503 while the broker is down').toBeGreaterThan(0);
    expect(withoutRetryAfter).toBe(0);
    expect(Object.keys(answered).sort()).toEqual(['200', '503']);
    expect(figures).toMatchObject({ acknowledged: events.length, missing: 0, duplicates: 0, unexpected: 0 });
    expect(figures.stored).toBe(events.length);
    expect(watch.violations).toEqual([]);
    expect(mismatched).toBe(0);
    expect(actual).toEqual(expected);
  }, 400_000);
});
