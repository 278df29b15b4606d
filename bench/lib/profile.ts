import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TicketEvent } from '../../core/events/ticket.js';
import type { BenchEnvironment } from './environment.js';
import { type DrainResult, drain } from './measure.js';
import { n, pct, round } from './stats.js';

// Where a transform's CPU goes while it drains: a V8 CPU profile of the process (node --cpu-prof),
// folded into self time per function and per component (a Baton module, an npm package, Node's
// internals, the garbage collector), so a missed target comes with the cost behind it.

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The parts of a `.cpuprofile` (the DevTools protocol's Profiler.Profile) the summary reads. */
export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** Microseconds, on the profiler's own clock. */
  startTime: number;
  endTime: number;
  /** The leaf node of each sample. */
  samples?: number[];
  /** Microseconds from the previous sample (the first: from startTime). */
  timeDeltas?: number[];
}

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
}

export interface CpuShare {
  name: string;
  ms: number;
  /** Of the busy time. */
  share: number;
}

export interface CpuFunctionShare extends CpuShare {
  component: string;
}

export interface CpuProfileSummary {
  samples: number;
  totalMs: number;
  /** Total less (idle). */
  busyMs: number;
  /** By self time, (idle) left out. */
  components: CpuShare[];
  functions: CpuFunctionShare[];
  /** Baton's own functions by inclusive time (themselves and everything they call). */
  batonInclusive: CpuFunctionShare[];
  /** Busy time before `startAtFunction` first ran, left out of the figures above. */
  leftOutBusyMs?: number;
}

export interface SummaryOptions {
  /** The repository whose modules are Baton's (default: this one). */
  root?: string;
  topFunctions?: number;
  topComponents?: number;
  /**
   * Leave out the samples before the first whose stack holds a Baton function of this name (e.g.
   * the consumer's batch handler), so that module loading and connecting are not counted.
   */
  startAtFunction?: string;
}

const nodeInternals = 'node internals';
// Frames without a script: V8's built-ins and Node's C++ bindings (writev, fs calls).
const v8Builtins = '(native)';

/**
 * What a frame belongs to: `(garbage collector)`, `(idle)`, `(program)` as V8 names them; an npm
 * package (`node_modules/<pkg>`, the innermost one); Node's own modules; a Baton module by its path
 * in the repository (the build's `dist/` left out, so it names the source file).
 */
export function componentOf(frame: CpuProfileNode['callFrame'], root = repoRoot): string {
  return classify(frame, root).component;
}

function classify(frame: CpuProfileNode['callFrame'], root: string): { component: string; baton: boolean } {
  const { functionName, url } = frame;
  if (url === '')
    return { component: /^\(.*\)$/.test(functionName) ? functionName : v8Builtins, baton: false };
  if (url.startsWith('node:')) return { component: nodeInternals, baton: false };
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  let pkg: string | undefined;
  for (const m of path.matchAll(/(?:^|[\\/])node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/g)) pkg = m[1];
  if (pkg) return { component: pkg.replace(/\\/g, '/'), baton: false };
  const inRepo = relative(root, path);
  if (inRepo === '' || inRepo.startsWith('..') || isAbsolute(inRepo))
    return { component: path, baton: false };
  return {
    component: inRepo
      .split(sep)
      .join('/')
      .replace(/^dist\//, ''),
    baton: true,
  };
}

/**
 * Self time per function and per component, from the samples and their time deltas: a sample
 * lasts until the next one is taken (the last until endTime), and is charged to its leaf frame.
 */
export function summariseCpuProfile(
  profileOrFile: CpuProfile | string,
  options: SummaryOptions = {},
): CpuProfileSummary {
  const profile: CpuProfile =
    typeof profileOrFile === 'string'
      ? (JSON.parse(readFileSync(profileOrFile, 'utf8')) as CpuProfile)
      : profileOrFile;
  const root = options.root ?? repoRoot;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];

  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const frameKey = new Map<number, { key: string; name: string; component: string; baton: boolean }>();
  const frameOf = (id: number) => {
    let f = frameKey.get(id);
    if (!f) {
      const { callFrame } = byId.get(id)!;
      const { component, baton } = classify(callFrame, root);
      const fn = callFrame.functionName || '(anonymous)';
      // Lines of Baton's modules are those of the built JavaScript, 1-based.
      const where = callFrame.lineNumber >= 0 ? `${component}:${callFrame.lineNumber + 1}` : component;
      const name = fn === component ? fn : where.startsWith('(') ? `${fn} ${where}` : `${fn} (${where})`;
      f = { key: `${name}:${callFrame.columnNumber ?? -1}`, name, component, baton };
      frameKey.set(id, f);
    }
    return f;
  };

  // Timestamps of the samples; V8 may record a slightly negative delta, counted as nothing.
  const at: number[] = [];
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    at.push(t);
  }
  const selfByFunction = new Map<string, { name: string; component: string; us: number }>();
  const selfByComponent = new Map<string, number>();
  const inclusive = new Map<string, { name: string; component: string; us: number }>();
  const stackHolds = (leaf: number, functionName: string) => {
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const frame = frameOf(id);
      if (frame.baton && byId.get(id)!.callFrame.functionName === functionName) return true;
    }
    return false;
  };
  const startAt = options.startAtFunction;
  const firstCounted = startAt ? samples.findIndex((leaf) => stackHolds(leaf, startAt)) : 0;
  let leftOutUs = 0;
  for (let i = 0; i < Math.max(firstCounted, 0); i++) {
    const next = i + 1 < samples.length ? at[i + 1]! : profile.endTime;
    if (frameOf(samples[i]!).component !== '(idle)') leftOutUs += Math.max(0, next - at[i]!);
  }
  let totalUs = 0;
  let idleUs = 0;
  for (let i = Math.max(firstCounted, 0); i < samples.length; i++) {
    const next = i + 1 < samples.length ? at[i + 1]! : profile.endTime;
    const us = Math.max(0, next - at[i]!);
    if (us === 0) continue;
    const leaf = frameOf(samples[i]!);
    totalUs += us;
    if (leaf.component === '(idle)') {
      idleUs += us;
      continue;
    }
    const fn = selfByFunction.get(leaf.key) ?? { name: leaf.name, component: leaf.component, us: 0 };
    fn.us += us;
    selfByFunction.set(leaf.key, fn);
    selfByComponent.set(leaf.component, (selfByComponent.get(leaf.component) ?? 0) + us);
    // Each Baton function once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = frameOf(id);
      if (!frame.baton || seen.has(frame.key)) continue;
      seen.add(frame.key);
      const inc = inclusive.get(frame.key) ?? { name: frame.name, component: frame.component, us: 0 };
      inc.us += us;
      inclusive.set(frame.key, inc);
    }
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  const ranked = <T extends { us: number }>(xs: Iterable<T>, n: number) =>
    [...xs].sort((a, b) => b.us - a.us).slice(0, n);
  const fnShare = (f: { name: string; component: string; us: number }): CpuFunctionShare => ({
    name: f.name,
    component: f.component,
    ms: f.us / 1000,
    share: share(f.us),
  });
  return {
    samples: samples.length - Math.max(firstCounted, 0),
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    components: ranked(
      [...selfByComponent].map(([name, us]) => ({ name, us })),
      options.topComponents ?? 10,
    ).map((c) => ({ name: c.name, ms: c.us / 1000, share: share(c.us) })),
    functions: ranked(selfByFunction.values(), options.topFunctions ?? 12).map(fnShare),
    batonInclusive: ranked(inclusive.values(), options.topFunctions ?? 12).map(fnShare),
    ...(startAt && firstCounted >= 0 ? { leftOutBusyMs: leftOutUs / 1000 } : {}),
  };
}

export interface ProfiledDrain {
  drain: DrainResult;
  /** The profile the summary was made from. */
  file: string;
  summary: CpuProfileSummary;
}

/**
 * One transform instance draining the events under `node --cpu-prof` (which NODE_OPTIONS does not
 * accept). Node writes the profile when the process exits, so it exists only if the transform
 * stopped gracefully on the bench's SIGTERM.
 */
export async function profiledDrain(
  env: BenchEnvironment,
  events: readonly TicketEvent[],
  dir: string,
  /** Environment of the transform besides the bench's own (e.g. NODE_OPTIONS). */
  extraEnv: Record<string, string> = {},
): Promise<ProfiledDrain> {
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  const result = await drain(env, events, 1, extraEnv, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const written = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && !before.has(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  // The main thread's profile is the largest; a worker thread would write one of its own.
  const file = written[0];
  if (!file) throw new Error(`the transform wrote no CPU profile into ${dir}: it did not exit gracefully`);
  return { drain: result, file, summary: summariseCpuProfile(file, { startAtFunction: 'eachBatch' }) };
}

/** What the report keeps of the profiled drain. */
export interface TransformProfile {
  events: number;
  perSecond: number;
  /** The drain's measured wall time. */
  seconds: number;
  summary: CpuProfileSummary;
}

/** The report's section on the profiled drain. */
export function profileSection(profile: TransformProfile | undefined): string[] {
  if (!profile) return [];
  const s = profile.summary;
  return [
    "## Where the transform's CPU goes",
    '',
    `One transform instance draining ${n(profile.events)} events (${n(profile.perSecond)} events/s) under \`node --cpu-prof\`: ` +
      `${n(s.busyMs)} ms busy of ${n(s.totalMs)} ms profiled` +
      (s.leftOutBusyMs !== undefined
        ? ` from the first batch on (the ${n(s.leftOutBusyMs)} ms busy before it, start-up, left out)`
        : ' (start-up included)') +
      `, ${n(s.samples)} samples, until the process exited. ` +
      `Busy over the drain's ${round(profile.seconds)} s: ${pct(s.busyMs / 1000 / profile.seconds)} — ` +
      'the rest of the time its one JavaScript thread waited (for ClickHouse, Kafka). ' +
      'Self time: what ran at the top of the stack. Shares are of the busy time.',
    '',
    '| component | self time | share |',
    '|---|---:|---:|',
    ...s.components.map((c) => `| ${c.name} | ${n(c.ms)} ms | ${pct(c.share)} |`),
    '',
    '| function | self time | share |',
    '|---|---:|---:|',
    ...s.functions.map((f) => `| \`${f.name}\` | ${n(f.ms)} ms | ${pct(f.share)} |`),
    '',
    ...(s.batonInclusive.length > 0
      ? [
          "Baton's functions by inclusive time (themselves and all they call):",
          '',
          '| function | inclusive time | share |',
          '|---|---:|---:|',
          ...s.batonInclusive.map((f) => `| \`${f.name}\` | ${n(f.ms)} ms | ${pct(f.share)} |`),
          '',
        ]
      : []),
  ];
}
