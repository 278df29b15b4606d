import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CpuProfile,
  type CpuProfileNode,
  componentOf,
  profileSection,
  summariseCpuProfile,
} from '../../bench/lib/profile.js';

const root = '/srv/baton';
const frame = (functionName: string, url = '', lineNumber = -1) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: lineNumber >= 0 ? 4 : -1,
});
const node = (id: number, callFrame: CpuProfileNode['callFrame'], children?: number[]): CpuProfileNode => ({
  id,
  callFrame,
  ...(children ? { children } : {}),
});

// A batch handler of Baton's, called again below itself, beside the frames V8 names on its own.
const handleBatch = frame('handleBatch', `file://${root}/dist/transforms/history/transform.js`, 28);
const profile: CpuProfile = {
  nodes: [
    node(1, frame('(root)'), [2, 3, 4, 5]),
    node(2, frame('(program)')),
    node(3, frame('(idle)')),
    node(4, frame('(garbage collector)')),
    node(5, handleBatch, [6, 7, 8, 9, 10]),
    node(6, frame('toClickHouseTime', `file://${root}/dist/core/clickhouse.js`, 26)),
    node(
      7,
      frame(
        'encodeJSON',
        `file://${root}/node_modules/@clickhouse/client/node_modules/@clickhouse/client-common/dist/formatter.js`,
        71,
      ),
    ),
    node(8, frame('writev', 'node:internal/stream_base_commons', 122)),
    node(9, frame('parse')),
    node(10, frame('safeParse', `file://${root}/node_modules/zod/v4/classic/schemas.js`, 10), [11]),
    node(11, handleBatch),
  ],
  startTime: 1_000,
  // Each sample lasts until the next: 100, 200, ... 1,100 µs, and the last 1,200 µs to endTime.
  samples: [2, 5, 6, 6, 7, 3, 4, 8, 9, 10, 11, 3],
  timeDeltas: [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000, 1_100],
  endTime: 8_800,
};

describe('componentOf', () => {
  it('names what a frame belongs to', () => {
    expect(componentOf(frame('(garbage collector)'), root)).toBe('(garbage collector)');
    expect(componentOf(frame('parse'), root)).toBe('(native)');
    expect(componentOf(frame('x', 'node:internal/streams/readable', 1), root)).toBe('node internals');
    expect(componentOf(frame('x', `file://${root}/dist/transforms/lifecycle/sink.js`, 1), root)).toBe(
      'transforms/lifecycle/sink.js',
    );
    expect(componentOf(frame('x', `file://${root}/bench/lib/measure.ts`, 1), root)).toBe(
      'bench/lib/measure.ts',
    );
    expect(componentOf(frame('x', `file://${root}/node_modules/kafkajs/src/index.js`, 1), root)).toBe(
      'kafkajs',
    );
    expect(
      componentOf(
        frame('x', `file://${root}/node_modules/a/node_modules/@clickhouse/client-common/dist/x.js`, 1),
        root,
      ),
    ).toBe('@clickhouse/client-common');
    expect(componentOf(frame('x', 'file:///opt/elsewhere/lib.js', 1), root)).toBe('/opt/elsewhere/lib.js');
  });
});

describe('summariseCpuProfile', () => {
  it('charges each sample to its leaf frame and shares the busy time', () => {
    const s = summariseCpuProfile(profile, { root });
    // 100 + 200 + ... + 1,200 µs; idle 600 + 1,200.
    expect(s.samples).toBe(12);
    expect(s.totalMs).toBeCloseTo(7.8, 9);
    expect(s.busyMs).toBeCloseTo(6, 9);
    expect(s.leftOutBusyMs).toBeUndefined();
    expect(Object.fromEntries(s.components.map((c) => [c.name, c.ms]))).toEqual({
      'transforms/history/transform.js': 1.3, // 200 + 1,100 (the recursive call)
      zod: 1,
      '(native)': 0.9,
      'node internals': 0.8,
      'core/clickhouse.js': 0.7, // 300 + 400
      '(garbage collector)': 0.7,
      '@clickhouse/client-common': 0.5,
      '(program)': 0.1,
    });
    expect(s.components[0]).toEqual({ name: 'transforms/history/transform.js', ms: 1.3, share: 1.3 / 6 });
    expect(s.components.some((c) => c.name === '(idle)')).toBe(false);
    expect(s.functions.slice(0, 4)).toEqual([
      {
        name: 'handleBatch (transforms/history/transform.js:29)',
        component: 'transforms/history/transform.js',
        ms: 1.3,
        share: 1.3 / 6,
      },
      { name: 'safeParse (zod:11)', component: 'zod', ms: 1, share: 1 / 6 },
      { name: 'parse (native)', component: '(native)', ms: 0.9, share: 0.9 / 6 },
      { name: 'writev (node internals:123)', component: 'node internals', ms: 0.8, share: 0.8 / 6 },
    ]);
    // Inclusive: the recursive handleBatch counts once per sample.
    expect(s.batonInclusive.map((f) => f.name)).toEqual([
      'handleBatch (transforms/history/transform.js:29)',
      'toClickHouseTime (core/clickhouse.js:27)',
    ]);
    // 200 + 300 + 400 + 500 + 800 + 900 + 1,000 + 1,100 µs
    expect(s.batonInclusive[0]!.ms).toBeCloseTo(5.2, 9);
    expect(s.batonInclusive[1]!.ms).toBeCloseTo(0.7, 9);
  });

  it('limits the lists', () => {
    const s = summariseCpuProfile(profile, { root, topFunctions: 2, topComponents: 3 });
    expect(s.components.map((c) => c.name)).toEqual(['transforms/history/transform.js', 'zod', '(native)']);
    expect(s.functions).toHaveLength(2);
    expect(s.batonInclusive).toHaveLength(2);
  });

  it('leaves out what ran before a named Baton function first did', () => {
    const s = summariseCpuProfile(profile, { root, startAtFunction: 'handleBatch' });
    expect(s.samples).toBe(11);
    expect(s.leftOutBusyMs).toBeCloseTo(0.1, 9);
    expect(s.totalMs).toBeCloseTo(7.7, 9);
    expect(s.busyMs).toBeCloseTo(5.9, 9);
    expect(s.components.some((c) => c.name === '(program)')).toBe(false);
  });

  it('counts a negative time delta as nothing and reads a profile file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cpuprofile-'));
    try {
      const file = join(dir, 'x.cpuprofile');
      // Samples at 0, 500 and 400 µs: the second lasts nothing, the first 500, the last to 1,000.
      writeFileSync(
        file,
        JSON.stringify({
          ...profile,
          startTime: 0,
          samples: [6, 7, 8],
          timeDeltas: [0, 500, -100],
          endTime: 1_000,
        }),
      );
      const s = summariseCpuProfile(file, { root });
      expect(s.totalMs).toBeCloseTo(1.1, 9);
      expect(s.functions.map((f) => [f.name, f.ms])).toEqual([
        ['writev (node internals:123)', 0.6],
        ['toClickHouseTime (core/clickhouse.js:27)', 0.5],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('profileSection', () => {
  it('renders components and functions with their share of the busy time', () => {
    const md = profileSection({
      events: 1_000,
      perSecond: 500,
      seconds: 0.01,
      summary: summariseCpuProfile(profile, { root, startAtFunction: 'handleBatch' }),
    }).join('\n');
    expect(md).toContain("## Where the transform's CPU goes");
    expect(md).toContain("Busy over the drain's 0 s: 59 %"); // 5.9 ms of 10 ms
    expect(md).toContain('| transforms/history/transform.js | 1 ms | 22 % |'); // 1.3 / 5.9
    expect(md).toContain('| `safeParse (zod:11)` | 1 ms | 16.9 % |'); // 1 / 5.9
  });
});
