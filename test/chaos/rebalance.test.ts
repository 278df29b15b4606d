import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
  lag,
  ledger,
  metricTables,
  mismatchedRows,
  reportScenario,
  spawnBaton,
  type Tables,
  ticketTopicSender,
  watchCommits,
} from '../helpers/chaos.js';
import { eventually } from '../helpers/services.js';

// Consumer-group rebalances during a steady stream: a second transform instance joins the group
// (partitions move to it), then the first one leaves cleanly (they all move back). Whatever
// instance handled a partition when, the tables end equal to a clean run's.

const cleanups = cleanupList();
afterAll(() => cleanups.run());

const events = chaosEvents(43, 'chaos-rebalance', '2026-05-25T00:00:00Z', chaosLong ? 3 : 1);
const perSecond = 60;

describe('consumer-group rebalance', () => {
  let expected: Tables;
  beforeAll(async () => {
    expected = await cleanRun('chaos_rebalance_clean', events);
  }, 180_000);

  it('a second instance joins and the first leaves mid-stream: results equal a clean run', async () => {
    const p = await chaosPipeline('chaos_rebalance', cleanups);
    const env = childEnv(p.config, { TRANSFORM_FETCH_MAX_BYTES: '32768' });
    const first = spawnBaton('transforms', env, cleanups);
    const sender = await ticketTopicSender(p);
    const commits = watchCommits(p);
    const drive = driveAtRate(events, perSecond, sender.send);
    const at = (share: number) =>
      eventually(
        async () => drive.sent(),
        (n) => n >= events.length * share,
        120_000,
        20,
      );

    await at(0.25);
    const second = spawnBaton('transforms', env, cleanups);
    await at(0.6);
    expect(drive.sent(), 'the stream is still running when the first instance leaves').toBeLessThan(
      events.length,
    );
    const leftAt = Date.now();
    await kill(first, 'SIGTERM');
    const lagAtLeave = await lag(p);

    const acked = await drive.done;
    await sender.close();
    await drained(p, acked.length, [second]);
    const drainedMs = Date.now() - leftAt;
    expect(isAlive(second), `the second instance exited:\n${second.output()}`).toBe(true);
    const watch = await commits.stop();
    const figures = await ledger(p.ch, acked, events);
    const actual = await metricTables(p.ch);
    const mismatched = mismatchedRows(actual, expected);
    reportScenario('rebalance', {
      faultsInjected: 2,
      eventsAcknowledged: figures.acknowledged,
      eventsStored: figures.stored,
      duplicates: figures.duplicates,
      missing: figures.missing,
      mismatchedRows: mismatched,
      lagWhenFirstLeft: lagAtLeave,
      drainedAfterLeaveMs: drainedMs,
      commitSamples: watch.samples,
      offsetsAheadOfData: watch.violations.length,
    });
    await kill(second, 'SIGTERM');

    expect(figures).toMatchObject({ acknowledged: events.length, missing: 0, duplicates: 0, unexpected: 0 });
    expect(figures.stored).toBe(events.length);
    expect(watch.violations).toEqual([]);
    expect(mismatched).toBe(0);
    expect(actual).toEqual(expected);
  }, 300_000);
});
