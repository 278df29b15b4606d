import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { topicName } from '../../core/topics.js';
import { testApiKeys } from '../helpers/api-keys.js';
import {
  answers,
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
  postEvents,
  reportScenario,
  spawnBaton,
  type Tables,
  watchCommits,
} from '../helpers/chaos.js';
import { freePort } from '../helpers/private-kafka.js';
import { eventually } from '../helpers/services.js';

// SIGKILL of the ingest gateway in the middle of a request, and of the API under load, while
// events stream through the gateway into the transforms. The client resends every batch that got
// no answer (the gateway may or may not have written it); every batch answered 2xx must be stored,
// and none twice. The API comes back after a restart and answers; the rest of the pipeline does
// not notice.

const cleanups = cleanupList();
afterAll(() => cleanups.run());

const events = chaosEvents(41, 'chaos-kill', '2026-05-18T00:00:00Z', chaosLong ? 3 : 1);
const perSecond = 50;
const gatewayKills = chaosLong ? 6 : 2;
const apiKills = chaosLong ? 4 : 2;

describe('gateway and API killed', () => {
  let expected: Tables;
  beforeAll(async () => {
    expected = await cleanRun('chaos_kill_clean', events);
  }, 180_000);

  it('gateway SIGKILLed mid-request and API SIGKILLed under load: acknowledged batches stored once, the API answers again', async () => {
    const p = await chaosPipeline('chaos_kill', cleanups);
    const transforms = spawnBaton('transforms', childEnv(p.config), cleanups);

    const gatewayPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const gatewayEnv = childEnv(p.config, { INGEST_HOST: '127.0.0.1', INGEST_PORT: String(gatewayPort) });
    let gateway: BatonChild = spawnBaton('ingest', gatewayEnv, cleanups);
    expect(await answers(`${gatewayUrl}/healthz`), gateway.output()).toBe(true);

    const apiKeys = testApiKeys(p.config, { reader: { scopes: ['read'] } });
    cleanups.add(async () => apiKeys.remove());
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const apiEnv = childEnv(p.config, {
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_KEYS_FILE: apiKeys.file,
      API_RATE_LIMIT_MAX: '1000000',
    });
    let api: BatonChild = spawnBaton('api', apiEnv, cleanups);
    expect(await answers(`${apiUrl}/healthz`), api.output()).toBe(true);

    // The client: a batch without an answer, or with a 503, is sent again until it is taken.
    let killGatewayNow = false;
    const gatewayAnswers: Record<string, number> = {};
    let unanswered = 0;
    const drive = driveAtRate(events, perSecond, async (batch) => {
      for (;;) {
        const request = postEvents(gatewayUrl, batch);
        if (killGatewayNow) {
          // The request is on its way: the gateway dies before, while or after it writes to Kafka.
          killGatewayNow = false;
          await new Promise((r) => setTimeout(r, 3));
          gateway.process.kill('SIGKILL');
        }
        const res = await request;
        gatewayAnswers[res.status] = (gatewayAnswers[res.status] ?? 0) + 1;
        if (res.status === 200) return true;
        if (res.status === 'no-answer') unanswered++;
        else if (res.status !== 503) return false;
        await new Promise((r) => setTimeout(r, 200));
      }
    });

    // Load on the API: a few clients asking for a metric all the time.
    const metricUrl = `${apiUrl}/v1/metrics/backlog?interval=day&from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z`;
    const headers = { authorization: `Bearer ${apiKeys.keys.reader}` };
    const apiAnswers: Record<string, number> = {};
    let lastApiOk = 0;
    let loading = true;
    const load = Array.from({ length: 4 }, async () => {
      while (loading) {
        try {
          const res = await fetch(metricUrl, { headers, signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          apiAnswers[res.status] = (apiAnswers[res.status] ?? 0) + 1;
          if (res.status === 200) lastApiOk = Date.now();
        } catch {
          apiAnswers['no-answer'] = (apiAnswers['no-answer'] ?? 0) + 1;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    });

    const commits = watchCommits(p);
    const rnd = seededRandom(9);
    const gatewayRecoveryMs: number[] = [];
    const apiRecoveryMs: number[] = [];
    const faults = Math.max(gatewayKills, apiKills);
    for (let i = 0; i < faults; i++) {
      // A seeded point of the stream for each pair of kills.
      const target = events.length * ((i + 0.2 + rnd() * 0.6) / (faults + 0.5));
      await eventually(
        async () => drive.sent(),
        (n) => n >= target,
        120_000,
        20,
      );
      expect(drive.sent(), 'the stream is still running at the kill').toBeLessThan(events.length);
      if (i < gatewayKills) {
        killGatewayNow = true;
        await gateway.exited;
        const killedAt = Date.now();
        // The supervisor restarts it on the same port.
        gateway = spawnBaton('ingest', gatewayEnv, cleanups);
        expect(await answers(`${gatewayUrl}/healthz`), gateway.output()).toBe(true);
        gatewayRecoveryMs.push(Date.now() - killedAt);
      }
      if (i < apiKills) {
        await kill(api, 'SIGKILL');
        const killedAt = Date.now();
        api = spawnBaton('api', apiEnv, cleanups);
        const ok = await eventually(
          async () => lastApiOk,
          (t) => t > killedAt,
          60_000,
          20,
        );
        expect(ok, `the API does not answer after its restart:\n${api.output()}`).toBeGreaterThan(killedAt);
        apiRecoveryMs.push(Date.now() - killedAt);
      }
      expect(isAlive(transforms), `the transforms exited:\n${transforms.output()}`).toBe(true);
    }
    const acked = await drive.done;
    loading = false;
    await Promise.all(load);
    await drained(p, acked.length, [gateway, transforms]);
    const watch = await commits.stop();
    const figures = await ledger(p.ch, acked, events);
    const actual = await metricTables(p.ch);
    const mismatched = mismatchedRows(actual, expected);
    const ends = await p.bus.endOffsets(topicName(p.config, 'ticketEvents'));
    const kafkaMessages = [...ends.values()].reduce((s, e) => s + Number(e), 0);
    const common = {
      eventsAcknowledged: figures.acknowledged,
      eventsStored: figures.stored,
      duplicates: figures.duplicates,
      missing: figures.missing,
      mismatchedRows: mismatched,
      offsetsAheadOfData: watch.violations.length,
    };
    reportScenario('gateway-kill', {
      faultsInjected: gatewayKills,
      ...common,
      unansweredBatchesResent: unanswered,
      messagesInKafka: kafkaMessages,
      gatewayAnswers,
      gatewayRecoveryMs,
    });
    reportScenario('api-kill', {
      faultsInjected: apiKills,
      ...common,
      apiAnswers,
      apiRecoveryMs,
    });
    await Promise.all([kill(gateway, 'SIGTERM'), kill(api, 'SIGTERM'), kill(transforms, 'SIGTERM')]);

    expect(unanswered, 'each kill left a request without an answer').toBeGreaterThanOrEqual(gatewayKills);
    expect(
      Object.keys(gatewayAnswers).filter((s) => s !== '200' && s !== '503' && s !== 'no-answer'),
    ).toEqual([]);
    // Only 200s and connection failures while it was down: never a 5xx from a running API.
    expect(Object.keys(apiAnswers).filter((s) => s !== '200' && s !== 'no-answer')).toEqual([]);
    expect(figures).toMatchObject({ acknowledged: events.length, missing: 0, duplicates: 0, unexpected: 0 });
    expect(figures.stored).toBe(events.length);
    expect(watch.violations).toEqual([]);
    expect(mismatched).toBe(0);
    expect(actual).toEqual(expected);
  }, 400_000);
});
