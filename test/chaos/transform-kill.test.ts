import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import {
  type BatonChild,
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
  reportScenario,
  spawnBaton,
  storedCount,
  type Tables,
  ticketTopicSender,
  watchCommits,
} from '../helpers/chaos.js';
import { eventually } from '../helpers/services.js';

// The transform process SIGKILLed at seeded random moments of a steady stream and restarted at
// once, for several seeds (BATON_CHAOS_LONG=1: ten). As in test/e2e/crash.test.ts, but with the
// events arriving while the kills happen, and with the ledger and the committed offsets checked.

const cleanups = cleanupList();
afterAll(() => cleanups.run());

const events = chaosEvents(47, 'chaos-sigkill', '2026-06-01T00:00:00Z', 1);
const perSecond = 150;
const seeds = chaosLong ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [1, 2];
const killsPerSeed = chaosLong ? 5 : 2;

describe('transform SIGKILL at random points', () => {
  let expected: Tables;
  beforeAll(async () => {
    expected = await cleanRun('chaos_sigkill_clean', events);
  }, 180_000);

  for (const seed of seeds) {
    it(`seed ${seed}: ${killsPerSeed} kills mid-stream, restarted each time, end equal to a clean run`, async () => {
      const p = await chaosPipeline(`chaos_sigkill_${seed}`, cleanups);
      // Small fetches make many small batches: a kill lands between or inside them.
      const env = childEnv(p.config, { TRANSFORM_FETCH_MAX_BYTES: '16384', LOG_LEVEL: 'warn' });
      const sender = await ticketTopicSender(p);
      const commits = watchCommits(p);
      const rnd = seededRandom(seed);
      const drive = driveAtRate(events, perSecond, sender.send);
      let child: BatonChild = spawnBaton('transforms', env, cleanups);
      const storedAtKill: number[] = [];
      for (let i = 0; i < killsPerSeed; i++) {
        // A seeded point of the run for each kill: once that share of the events is stored, the
        // process dies within the next 300 ms, wherever it is in a batch.
        const target = Math.floor(events.length * (0.1 + (0.8 * (i + rnd())) / killsPerSeed));
        const reached = await eventually(
          () => storedCount(p.ch),
          (n) => n >= target,
          120_000,
          20,
        );
        // A process that died by itself (not by this test) would show up here as no progress.
        expect(isAlive(child), `the transform process exited by itself:\n${child.output()}`).toBe(true);
        expect(reached, `no progress after a restart:\n${child.output()}`).toBeGreaterThanOrEqual(target);
        await new Promise((r) => setTimeout(r, rnd() * 300));
        await kill(child, 'SIGKILL');
        storedAtKill.push(await storedCount(p.ch));
        child = spawnBaton('transforms', env, cleanups);
      }
      const acked = await drive.done;
      await sender.close();
      await drained(p, acked.length, [child]);
      const watch = await commits.stop();
      const figures = await ledger(p.ch, acked, events);
      const actual = await metricTables(p.ch);
      const mismatched = mismatchedRows(actual, expected);
      reportScenario('transform-sigkill', {
        seed,
        faultsInjected: killsPerSeed,
        storedAtKill,
        eventsAcknowledged: figures.acknowledged,
        eventsStored: figures.stored,
        duplicates: figures.duplicates,
        missing: figures.missing,
        mismatchedRows: mismatched,
        commitSamples: watch.samples,
        offsetsAheadOfData: watch.violations.length,
      });
      await kill(child, 'SIGTERM');

      // Kills must have landed mid-run for the test to mean anything.
      expect(
        storedAtKill.every((n) => n > 0 && n < events.length),
        `events stored at each kill: ${storedAtKill.join(', ')} of ${events.length}`,
      ).toBe(true);
      expect(figures).toMatchObject({
        acknowledged: events.length,
        missing: 0,
        duplicates: 0,
        unexpected: 0,
      });
      expect(figures.stored).toBe(events.length);
      expect(watch.violations).toEqual([]);
      expect(mismatched).toBe(0);
      expect(actual).toEqual(expected);
    }, 300_000);
  }
});
