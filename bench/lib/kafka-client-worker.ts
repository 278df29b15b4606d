import { createHash } from 'node:crypto';
import { BenchEventSource } from './events.js';
import { type ClientName, loadClient } from './kafka-client-adapters.js';
import { usageOf } from './process.js';
import { sleep } from './stats.js';

// One client's run of the "kafka clients" stage, alone in this process so that its CPU time and
// memory are its own. Prints one line `RESULT <json>` on stdout (a WorkerResult).

export interface WorkerSpec {
  client: ClientName;
  brokers: string[];
  topic: string;
  groupId: string;
  /** Events asked of the simulator (it gives whole tickets, so a few more). */
  events: number;
  installRoot: string;
  chunk: number;
}

export interface PhaseFigures {
  seconds: number;
  perSecond: number;
  cpuSeconds: number;
}

export type WorkerResult =
  | {
      ok: true;
      version: string;
      events: number;
      produce: PhaseFigures;
      /** Timed from the first message handed over to the last batch committed. */
      consume: PhaseFigures & { joinSeconds: number; commits: number };
      baselineRssBytes: number;
      peakRssBytes: number;
      received: {
        /** Distinct produced messages received with their own key. */
        exactlyOnce: number;
        duplicates: number;
        /** Received but not produced (or under another key). */
        unknown: number;
        missing: number;
        /** Messages of one key received out of the order they were produced in. */
        outOfOrder: number;
        /** Keys found on more than one partition. */
        splitKeys: number;
        /** sha256 of the sorted key → partition pairs, to compare between clients. */
        partitionDigest: string;
      };
    }
  | { ok: false; stage: 'load' | 'run'; error: string };

const emit = (r: WorkerResult) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function main(spec: WorkerSpec) {
  const messages = new BenchEventSource('bench')
    .take(spec.events)
    .map((e) => ({ key: e.ticketId, value: JSON.stringify(e) }));
  // Values are unique (each holds its event id): a value says which message it is.
  const indexOf = new Map(messages.map((m, i) => [m.value, i]));

  let client: Awaited<ReturnType<typeof loadClient>>;
  try {
    client = await loadClient(spec.client, spec.brokers, spec.installRoot);
  } catch (err) {
    emit({ ok: false, stage: 'load', error: message(err) });
    return;
  }
  const usage = () => usageOf(process.pid)!;
  const baseline = usage();

  const producer = await client.createProducer();
  const produceStart = performance.now();
  for (let i = 0; i < messages.length; i += spec.chunk)
    await producer.send(spec.topic, messages.slice(i, i + spec.chunk));
  const produceMs = performance.now() - produceStart;
  const afterProduce = usage();
  await producer.close();

  const received = new Uint8Array(messages.length);
  const lastIndexOfKey = new Map<string, number>();
  const partitionOfKey = new Map<string, number>();
  let duplicates = 0;
  let unknown = 0;
  let outOfOrder = 0;
  let splitKeys = 0;
  let firstAt = 0;
  const beforeConsume = usage();
  const consumeStart = performance.now();
  const consumer = await client.consume({
    topic: spec.topic,
    groupId: spec.groupId,
    count: messages.length,
    onMessage(key, value, partition) {
      if (firstAt === 0) firstAt = performance.now();
      const i = indexOf.get(value);
      if (i === undefined || messages[i]!.key !== key) {
        unknown++;
        return;
      }
      if (received[i]) duplicates++;
      received[i] = 1;
      const last = lastIndexOfKey.get(key);
      if (last !== undefined && last > i) outOfOrder++;
      lastIndexOfKey.set(key, i);
      const p = partitionOfKey.get(key);
      if (p === undefined) partitionOfKey.set(key, partition);
      else if (p !== partition) splitKeys++;
    },
  });
  const consumeEnd = performance.now();
  const afterConsume = usage();
  // Anything delivered twice would come soon after: it is still counted, outside the timing.
  await sleep(1_000);
  await consumer.stop();
  await client.close();

  let exactlyOnce = 0;
  for (const r of received) exactlyOnce += r;
  const digest = createHash('sha256');
  for (const [key, p] of [...partitionOfKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    digest.update(`${key}\t${p}\n`);
  const consumeMs = consumeEnd - (firstAt || consumeStart);
  emit({
    ok: true,
    version: client.version,
    events: messages.length,
    produce: {
      seconds: produceMs / 1000,
      perSecond: messages.length / (produceMs / 1000),
      cpuSeconds: afterProduce.cpuSeconds - baseline.cpuSeconds,
    },
    consume: {
      seconds: consumeMs / 1000,
      perSecond: messages.length / (consumeMs / 1000),
      cpuSeconds: afterConsume.cpuSeconds - beforeConsume.cpuSeconds,
      joinSeconds: ((firstAt || consumeStart) - consumeStart) / 1000,
      commits: consumer.commits,
    },
    baselineRssBytes: baseline.rssBytes,
    peakRssBytes: usage().peakRssBytes,
    received: {
      exactlyOnce,
      duplicates,
      unknown,
      missing: messages.length - exactlyOnce,
      outOfOrder,
      splitKeys,
      partitionDigest: digest.digest('hex'),
    },
  });
}

main(JSON.parse(process.argv[2] ?? '{}') as WorkerSpec).then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ ok: false, stage: 'run', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  },
);
