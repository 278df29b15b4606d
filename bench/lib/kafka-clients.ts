import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchEnvironment } from './environment.js';
import { type ClientName, clientNames } from './kafka-client-adapters.js';
import type { PhaseFigures, WorkerResult, WorkerSpec } from './kafka-client-worker.js';
import { MiB, n, round } from './stats.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const installScript = fileURLToPath(new URL('../kafka-clients/install.sh', import.meta.url));
const installRoot = fileURLToPath(new URL('../../.cache/bench-kafka-clients/', import.meta.url));
const worker = fileURLToPath(new URL('./kafka-client-worker.ts', import.meta.url));

/** What another client must beat kafkajs by, on produce and on consume, to replace it. */
export const switchFactor = 1.5;

export interface KafkaClientSoundness {
  /** Every produced message received exactly once, under its own key, nothing else. */
  exactlyOnce: boolean;
  /** Each key's messages received in the order produced. */
  orderPerKey: boolean;
  /** Every key on the partition kafkajs (the Java client's murmur2) puts it on. */
  samePartitions: boolean;
  /** The group's committed offsets equal the log end on every partition after the run. */
  committedAtEnd: boolean;
  /** The log holds exactly the messages produced (no duplicate writes). */
  logHoldsEach: boolean;
  detail: string;
}

export type KafkaClientResult =
  | {
      client: ClientName;
      available: true;
      version: string;
      events: number;
      /** Each round's events/s; the figures below are their medians. */
      rounds: { produce: number; consume: number }[];
      produce: PhaseFigures & { cpuSecondsPer1k: number };
      consume: PhaseFigures & { cpuSecondsPer1k: number; joinSeconds: number; commits: number };
      baselineRssBytes: number;
      peakRssBytes: number;
      soundness: KafkaClientSoundness;
      sound: boolean;
      /** This client's events/s over kafkajs's. */
      ratioToKafkajs?: { produce: number; consume: number };
    }
  | { client: ClientName; available: false; reason: string };

export type KafkaClientsStage =
  | { skipped: string }
  | { events: number; rounds: number; results: KafkaClientResult[]; decision: string };

const lastLines = (text: string, n: number) => text.trim().split('\n').slice(-n).join(' / ');

/** Why the native client is not there, from its install log (the first error it printed). */
function nativeBuildFailure(): string | null {
  const log = `${installRoot}install.log`;
  if (!existsSync(log)) return null;
  const lines = readFileSync(log, 'utf8').split('\n');
  const first = lines.find((l) => /gyp ERR!|npm error|\berror:/.test(l));
  return first ? `its native build failed: ${first.trim().slice(0, 300)}` : null;
}

function runWorker(spec: WorkerSpec, timeoutMs: number): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify(spec)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString('utf8')).slice(-4_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) return resolve(JSON.parse(line.slice('RESULT '.length)) as WorkerResult);
      resolve({
        ok: false,
        stage: 'run',
        error:
          signal === 'SIGKILL'
            ? `did not finish within ${timeoutMs / 1000} s`
            : `exited ${code ?? signal} without a result: ${lastLines(err, 3)}`,
      });
    });
  });
}

/**
 * Installs the compared clients; resolves with why they cannot be installed, or null. Runs
 * asynchronously so that the first (native, minutes-long) build can go beside another stage.
 */
export function installKafkaClients(quick: boolean, log: (msg: string) => void): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn('bash', [installScript, ...(quick ? ['--no-native'] : [])], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20 * 60_000);
    const done = (status: number | null, error?: Error) => {
      clearTimeout(timer);
      for (const l of stderr.trim().split('\n')) if (l) log(`  ${l}`);
      resolve(status === 0 ? null : `install failed: ${lastLines(stderr || String(error ?? status), 2)}`);
    };
    child.once('error', (err) => done(null, err));
    child.once('close', (code) => done(code));
  });
}

/** One client's run: the worker's figures and what the broker says afterwards. */
type OneRun =
  | {
      ok: true;
      worker: Extract<WorkerResult, { ok: true }>;
      committedAtEnd: boolean;
      logged: bigint;
      offsets: string;
    }
  | { ok: false; reason: string };

async function runOnce(
  client: ClientName,
  events: number,
  quick: boolean,
  timeoutMs: number,
): Promise<OneRun> {
  const env = await benchEnvironment(`clients_${client.replace(/\W+/g, '_')}`);
  try {
    const topic = env.topic('ticketEvents');
    const groupId = `${env.config.TRANSFORM_GROUP_ID}.clients`;
    const r = await runWorker(
      { client, brokers: env.config.KAFKA_BROKERS, topic, groupId, events, installRoot, chunk: 2_000 },
      timeoutMs,
    );
    if (!r.ok) {
      const native = client === '@confluentinc/kafka-javascript';
      const reason =
        r.stage === 'load'
          ? ((native && quick ? 'not built in quick runs: its native build takes minutes' : null) ??
            (native ? nativeBuildFailure() : null) ??
            `cannot be loaded: ${r.error.split('\n')[0]}`)
          : `the run failed: ${r.error.split('\n')[0]}`;
      return { ok: false, reason };
    }
    const [committed, ends] = await Promise.all([
      env.bus.committedOffsets(groupId, topic),
      env.bus.endOffsets(topic),
    ]);
    let logged = 0n;
    let committedAtEnd = true;
    for (const [p, end] of ends) {
      logged += BigInt(end);
      const c = committed.get(p) ?? '-1';
      if (c !== end && !(end === '0' && c === '-1')) committedAtEnd = false;
    }
    const offsets =
      `committed ${[...committed].map(([p, o]) => `${p}:${o}`).join(' ')}; ` +
      `end ${[...ends].map(([p, o]) => `${p}:${o}`).join(' ')}`;
    return { ok: true, worker: r, committedAtEnd, logged, offsets };
  } catch (err) {
    return { ok: false, reason: `the run failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    await env.close().catch(() => undefined);
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A client's rounds folded into one result: median figures, sound only when every round was. */
function fold(
  client: ClientName,
  runs: readonly Extract<OneRun, { ok: true }>[],
  referenceDigest: string | undefined,
): Extract<KafkaClientResult, { available: true }> {
  const checks = runs.map(({ worker: r, committedAtEnd, logged, offsets }) => {
    const rec = r.received;
    const soundness: KafkaClientSoundness = {
      exactlyOnce: rec.exactlyOnce === r.events && rec.duplicates === 0 && rec.unknown === 0,
      orderPerKey: rec.outOfOrder === 0 && rec.splitKeys === 0,
      samePartitions: referenceDigest === undefined || referenceDigest === rec.partitionDigest,
      committedAtEnd,
      logHoldsEach: logged === BigInt(r.events),
      detail:
        `${rec.exactlyOnce}/${r.events} exactly once, ${rec.duplicates} duplicates, ${rec.unknown} unknown, ` +
        `${rec.outOfOrder} out of order, ${rec.splitKeys} split keys, ` +
        `${referenceDigest === undefined || referenceDigest === rec.partitionDigest ? 'same' : 'other'} partitions as kafkajs; ` +
        `log end ${logged}; ${offsets}`,
    };
    return { soundness, sound: Object.entries(soundness).every(([k, v]) => k === 'detail' || v === true) };
  });
  const worst = checks.find((c) => !c.sound) ?? checks[checks.length - 1]!;
  const w = runs.map((r) => r.worker);
  const events = w[0]!.events;
  const phase = (pick: (r: (typeof w)[number]) => PhaseFigures) => {
    const perSecond = median(w.map((r) => pick(r).perSecond));
    const cpuSeconds = median(w.map((r) => pick(r).cpuSeconds));
    return {
      seconds: events / perSecond,
      perSecond,
      cpuSeconds,
      cpuSecondsPer1k: (cpuSeconds / events) * 1000,
    };
  };
  return {
    client,
    available: true,
    version: w[0]!.version,
    events,
    rounds: w.map((r) => ({ produce: r.produce.perSecond, consume: r.consume.perSecond })),
    produce: phase((r) => r.produce),
    consume: {
      ...phase((r) => r.consume),
      joinSeconds: median(w.map((r) => r.consume.joinSeconds)),
      commits: median(w.map((r) => r.consume.commits)),
    },
    baselineRssBytes: median(w.map((r) => r.baselineRssBytes)),
    peakRssBytes: Math.max(...w.map((r) => r.peakRssBytes)),
    soundness: worst.soundness,
    sound: checks.every((c) => c.sound),
  };
}

/**
 * The "kafka clients" stage: kafkajs (through Baton's adapter) beside @platformatic/kafka and
 * @confluentinc/kafka-javascript, each in a child process of its own, producing the same
 * simulator events (acks=all, in chunks like the connectors) into a fresh ticket-events topic
 * and consuming them back in a group, committing after each batch. The clients take turns for
 * `rounds` rounds (the machine may be shared: medians are reported). Never throws: a client
 * that cannot be installed or run is reported as not available.
 */
export async function kafkaClientsStage(opts: {
  events: number;
  quick: boolean;
  log: (msg: string) => void;
  rounds?: number;
  /** An install already started (e.g. beside an earlier stage); else the stage installs first. */
  installed?: Promise<string | null>;
}): Promise<KafkaClientsStage> {
  const { events, quick, log } = opts;
  const rounds = opts.rounds ?? (quick ? 1 : 3);
  const installFailure = await (opts.installed ?? installKafkaClients(quick, log));
  const timeoutMs = Math.max(120_000, events * 5);
  const runs = new Map<ClientName, Extract<OneRun, { ok: true }>[]>(clientNames.map((c) => [c, []]));
  const unavailable = new Map<ClientName, string>();
  if (installFailure) for (const c of clientNames) if (c !== 'kafkajs') unavailable.set(c, installFailure);
  for (let turn = 0; turn < rounds; turn++) {
    // Each round starts with another client, so that none always runs first or last.
    const order = clientNames.map((_, i) => clientNames[(i + turn) % clientNames.length]!);
    for (const client of order) {
      if (unavailable.has(client)) continue;
      const r = await runOnce(client, events, quick, timeoutMs);
      if (!r.ok) {
        unavailable.set(client, r.reason);
        log(`  ${client}, round ${turn + 1}: not available: ${r.reason}`);
        continue;
      }
      runs.get(client)!.push(r);
      const w = r.worker;
      log(
        `  ${client}, round ${turn + 1}: produce ${round(w.produce.perSecond)}/s, consume ${round(w.consume.perSecond)}/s ` +
          `(${w.consume.commits} commits, group join ${round(w.consume.joinSeconds)} s)`,
      );
    }
  }
  const kafkajsRuns = runs.get('kafkajs')!;
  const referenceDigest = kafkajsRuns[0]?.worker.received.partitionDigest;
  const results: KafkaClientResult[] = clientNames.map((client) => {
    const reason = unavailable.get(client);
    if (reason !== undefined) return { client, available: false, reason };
    return fold(client, runs.get(client)!, referenceDigest);
  });
  const reference = results.find((r) => r.client === 'kafkajs');
  if (reference?.available)
    for (const r of results)
      if (r.available)
        r.ratioToKafkajs = {
          produce: r.produce.perSecond / reference.produce.perSecond,
          consume: r.consume.perSecond / reference.consume.perSecond,
        };
  for (const r of results)
    if (r.available && !r.sound) log(`  ${r.client} is NOT sound: ${r.soundness.detail}`);
  const caveat = rounds < 2 ? ' (1 round only: indicative; the default run takes the median of 2)' : '';
  return { events, rounds, results, decision: `${decide(results)}${caveat}` };
}

const x = (r: number) => `×${round(r, 2)}`;

/** Keep kafkajs unless another client is ≥ 1.5× faster on both produce and consume, and sound. */
export function decide(results: readonly KafkaClientResult[]): string {
  const kafkajs = results.find((r) => r.client === 'kafkajs');
  if (!kafkajs?.available) return 'no decision: the kafkajs run itself failed';
  if (!kafkajs.sound)
    return `no decision: the kafkajs run itself failed the soundness check (${kafkajs.soundness.detail})`;
  const why: string[] = [];
  const winners: { client: string; factor: number }[] = [];
  for (const r of results) {
    if (r.client === 'kafkajs') continue;
    if (!r.available) {
      why.push(`${r.client} not available (${r.reason})`);
      continue;
    }
    const ratio = r.ratioToKafkajs!;
    const faster = ratio.produce >= switchFactor && ratio.consume >= switchFactor;
    const figures = `${x(ratio.produce)} produce, ${x(ratio.consume)} consume`;
    if (faster && r.sound) winners.push({ client: r.client, factor: Math.min(ratio.produce, ratio.consume) });
    why.push(
      `${r.client} ${figures}${r.sound ? '' : ', failed the soundness check'}${
        faster ? '' : ` (needs ≥ ${x(switchFactor)} on both)`
      }`,
    );
  }
  winners.sort((a, b) => b.factor - a.factor);
  if (winners.length > 0)
    return `switch to ${winners[0]!.client}: ${why.join('; ')} — faster on both by at least ${x(winners[0]!.factor)} and sound`;
  return `keep kafkajs: ${why.join('; ')}`;
}

/** The report's section for the stage (Markdown lines). */
export function kafkaClientsSection(stage: KafkaClientsStage | undefined): string[] {
  if (!stage) return [];
  const head = ['## Kafka clients, same harness', ''];
  if ('skipped' in stage) return [...head, `Skipped: ${stage.skipped}.`, ''];
  // The simulator gives whole tickets: a few more events than asked for.
  const measured = stage.results.find((r) => r.available);
  const rows = stage.results.map((r) => {
    if (!r.available) return `| ${r.client} | not available: ${r.reason} | | | | | | | | |`;
    const ratio = r.ratioToKafkajs;
    return (
      `| ${r.client} | ${r.version} | ${n(r.produce.perSecond)} | ${ratio ? x(ratio.produce) : ''} | ` +
      `${n(r.consume.perSecond)} | ${ratio ? x(ratio.consume) : ''} | ${round(r.produce.cpuSecondsPer1k, 3)} | ` +
      `${round(r.consume.cpuSecondsPer1k, 3)} | ${n(r.peakRssBytes / MiB)} MiB (${n(r.baselineRssBytes / MiB)} before the client) | ` +
      `${r.sound ? 'yes' : `**no**: ${r.soundness.detail}`} |`
    );
  });
  return [
    ...head,
    `${n(measured?.events ?? stage.events)} simulator events per client and round, ${stage.rounds} round(s) with the clients taking turns (medians below), each client in a process of its own: produced in chunks of 2,000 ` +
      '(acks=all, idempotent, Java murmur2 partitioning) into a fresh 6-partition topic, then consumed from the beginning ' +
      'in a group, committing after each batch. Consume is timed from the first message to the last commit (group join ' +
      'excluded). Sound: every message received exactly once by key and value, in order per key, on the same partition ' +
      'as with kafkajs, committed offsets equal to the log end, and the log holding each message once.',
    '',
    '| client | version | produce events/s | ratio | consume events/s | ratio | CPU s / 1k produced | CPU s / 1k consumed | peak RSS | sound |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    `Each round, produce / consume events/s: ${stage.results
      .filter((r) => r.available)
      .map((r) => `${r.client} ${r.rounds.map((q) => `${n(q.produce)} / ${n(q.consume)}`).join(', ')}`)
      .join('; ')}.`,
    '',
    `Decision: ${stage.decision}.`,
    '',
  ];
}
