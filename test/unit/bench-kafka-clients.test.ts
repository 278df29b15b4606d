import { describe, expect, it } from 'vitest';
import { decide, type KafkaClientResult, kafkaClientsSection } from '../../bench/lib/kafka-clients.js';

const soundness = {
  exactlyOnce: true,
  orderPerKey: true,
  samePartitions: true,
  committedAtEnd: true,
  logHoldsEach: true,
  detail: '',
};

function measured(
  client: 'kafkajs' | '@platformatic/kafka' | '@confluentinc/kafka-javascript',
  produce: number,
  consume: number,
  sound = true,
): KafkaClientResult {
  const events = 1_000;
  return {
    client,
    available: true,
    version: '1.0.0',
    events,
    rounds: [{ produce, consume }],
    produce: { seconds: events / produce, perSecond: produce, cpuSeconds: 1, cpuSecondsPer1k: 1 },
    consume: {
      seconds: events / consume,
      perSecond: consume,
      cpuSeconds: 1,
      cpuSecondsPer1k: 1,
      joinSeconds: 0,
      commits: 6,
    },
    baselineRssBytes: 0,
    peakRssBytes: 0,
    soundness: { ...soundness, exactlyOnce: sound },
    sound,
    // 10,000 events/s both ways for kafkajs below: the ratios are the figures over 10,000.
    ratioToKafkajs: { produce: produce / 10_000, consume: consume / 10_000 },
  };
}

const kafkajs = measured('kafkajs', 10_000, 10_000);
const native = {
  client: '@confluentinc/kafka-javascript',
  available: false,
  reason: 'cannot be loaded',
} as const;

describe('the kafka clients decision', () => {
  it('switches only to a client at least 1.5 times faster on produce and on consume, and sound', () => {
    expect(decide([kafkajs, measured('@platformatic/kafka', 15_000, 16_000), native])).toMatch(
      /^switch to @platformatic\/kafka: .*×1\.5 produce, ×1\.6 consume/,
    );
  });

  it('keeps kafkajs when the other client is faster on one side only', () => {
    const d = decide([kafkajs, measured('@platformatic/kafka', 30_000, 14_900), native]);
    expect(d).toMatch(
      /^keep kafkajs: @platformatic\/kafka ×3 produce, ×1\.49 consume \(needs ≥ ×1\.5 on both\)/,
    );
    expect(d).toContain('@confluentinc/kafka-javascript not available (cannot be loaded)');
  });

  it('keeps kafkajs when the faster client lost or repeated messages', () => {
    expect(decide([kafkajs, measured('@platformatic/kafka', 30_000, 30_000, false)])).toMatch(
      /^keep kafkajs: @platformatic\/kafka ×3 produce, ×3 consume, failed the soundness check/,
    );
  });

  it('takes no decision when kafkajs itself failed', () => {
    expect(decide([measured('kafkajs', 10_000, 10_000, false)])).toMatch(/^no decision/);
    expect(decide([{ client: 'kafkajs', available: false, reason: 'x' }])).toMatch(/^no decision/);
  });

  it('reports each client as a row and the decision under the table', () => {
    const results = [kafkajs, measured('@platformatic/kafka', 12_000, 9_000), native];
    const md = kafkaClientsSection({ events: 1_000, rounds: 1, results, decision: decide(results) }).join(
      '\n',
    );
    expect(md).toContain('| @platformatic/kafka | 1.0.0 | 12,000 | ×1.2 | 9,000 | ×0.9 |');
    expect(md).toContain('| @confluentinc/kafka-javascript | not available: cannot be loaded |');
    expect(md).toMatch(/Decision: keep kafkajs/);
    expect(kafkaClientsSection({ skipped: 'run with --skip-clients' }).join('\n')).toContain(
      'Skipped: run with --skip-clients.',
    );
  });
});
