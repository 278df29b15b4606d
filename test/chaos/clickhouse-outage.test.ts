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
  outageProxy,
  reportScenario,
  spawnBaton,
  storedCount,
  type Tables,
  ticketTopicSender,
  watchCommits,
} from '../helpers/chaos.js';
import { eventually } from '../helpers/services.js';

// ClickHouse unreachable in the middle of a steady stream: the transform process reaches
// ClickHouse through a TCP proxy that drops every connection and resets new ones for the outage.
// The process must stay up and retry (a failed batch is redone, its offsets not committed), the
// lag grows, then drains; every event is stored once and the tables equal a clean run's.

const cleanups = cleanupList();
afterAll(() => cleanups.run());

const events = chaosEvents(31, 'chaos-ch', '2026-05-04T00:00:00Z', chaosLong ? 3 : 1);
const perSecond = 100;
const outageMs = chaosLong ? 30_000 : 10_000;

describe('ClickHouse outage', () => {
  let expected: Tables;
  beforeAll(async () => {
    expected = await cleanRun('chaos_ch_clean', events);
    expect(expected.ticket_lifecycle!.length).toBeGreaterThan(0);
  }, 180_000);

  it(`a ${outageMs / 1000} s outage mid-stream: transforms back off, lag drains, nothing lost or doubled`, async () => {
    const p = await chaosPipeline('chaos_ch', cleanups);
    const upstream = Number(new URL(p.config.CLICKHOUSE_URL).port || 8123);
    const proxy = await outageProxy(upstream);
    cleanups.add(() => proxy.close());
    const transforms = spawnBaton(
      'transforms',
      childEnv(p.config, {
        CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`,
        // The periodic jobs run during the outage too: their failures must not stop the process.
        SLA_SWEEP_INTERVAL_SECONDS: '2',
        BACKLOG_ROLLUP_INTERVAL_SECONDS: '2',
        TRANSFORM_FETCH_MAX_BYTES: '32768',
      }),
      cleanups,
    );
    const sender = await ticketTopicSender(p);
    const commits = watchCommits(p);
    const drive = driveAtRate(events, perSecond, sender.send);

    await eventually(
      () => storedCount(p.ch),
      (n) => n >= events.length * 0.2,
      60_000,
      100,
    );
    proxy.cut();
    // An insert already delivered when its connection was dropped may still complete upstream.
    await new Promise((r) => setTimeout(r, 1_000));
    const storedBefore = await storedCount(p.ch);
    let maxLag = 0;
    const outageEnd = Date.now() + outageMs - 1_000;
    while (Date.now() < outageEnd) {
      maxLag = Math.max(maxLag, await lag(p));
      expect(isAlive(transforms), `transforms exited during the outage:\n${transforms.output()}`).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
    }
    const storedDuring = (await storedCount(p.ch)) - storedBefore;
    const sentAtRestore = drive.sent();
    proxy.restore();
    const restoredAt = Date.now();
    // Recovery: everything sent up to the end of the outage is stored.
    await eventually(
      () => storedCount(p.ch),
      (n) => n >= sentAtRestore,
      120_000,
      100,
    );
    const recoveryMs = Date.now() - restoredAt;

    const acked = await drive.done;
    await sender.close();
    await drained(p, acked.length, [transforms]);
    const watch = await commits.stop();
    expect(isAlive(transforms), `transforms exited:\n${transforms.output()}`).toBe(true);
    const figures = await ledger(p.ch, acked, events);
    const actual = await metricTables(p.ch);
    const mismatched = mismatchedRows(actual, expected);
    const outageSeconds = outageMs / 1000;
    reportScenario('clickhouse-outage', {
      faultsInjected: 1,
      outageSeconds,
      eventsAcknowledged: figures.acknowledged,
      eventsStored: figures.stored,
      duplicates: figures.duplicates,
      missing: figures.missing,
      mismatchedRows: mismatched,
      maxLag,
      storedDuringOutage: storedDuring,
      reconnectsRefusedPerSecond: Number((proxy.refused() / outageSeconds).toFixed(1)),
      recoveryMs,
      commitSamples: watch.samples,
      offsetsAheadOfData: watch.violations.length,
    });
    await kill(transforms, 'SIGTERM');

    expect(storedDuring, 'nothing can be stored while ClickHouse is unreachable').toBe(0);
    expect(maxLag, 'the lag grows during the outage').toBeGreaterThan(0);
    // Backing off: a crash loop or a hot retry loop would knock hundreds of times a second.
    expect(proxy.refused() / outageSeconds).toBeLessThan(50);
    expect(figures).toMatchObject({ acknowledged: events.length, missing: 0, duplicates: 0, unexpected: 0 });
    expect(figures.stored).toBe(events.length);
    expect(watch.violations).toEqual([]);
    expect(mismatched).toBe(0);
    expect(actual).toEqual(expected);
  }, 300_000);
});
