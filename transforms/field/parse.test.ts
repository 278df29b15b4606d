import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../core/kafka.js';
import { parseFieldJobMessage } from './parse.js';

const message = (key: string | null, value: unknown): IncomingMessage => ({
  key,
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  offset: '0',
  timestamp: '0',
  headers: {},
});

const good = {
  eventId: 'hand:job:J1:0',
  schemaVersion: 1,
  source: 'hand',
  tenant: 't',
  jobId: 'J1',
  occurredAt: '2026-03-02T08:00:00+01:00',
  receivedAt: '2026-03-02T08:00:00Z',
  type: 'job.completed',
  fixed: true,
};

describe('parseFieldJobMessage', () => {
  it('accepts a canonical job event keyed by its job, times in UTC', () => {
    const out = parseFieldJobMessage(message('J1', good));
    expect(out).toMatchObject({ kind: 'ok', value: { jobId: 'J1', occurredAt: '2026-03-02T07:00:00.000Z' } });
  });

  it('dead-letters bad JSON, a bad field with its path, and a key that is not the job', () => {
    expect(parseFieldJobMessage(message('J1', '{"type":'))).toMatchObject({ kind: 'dlq' });
    expect(parseFieldJobMessage(message('J1', { ...good, fixed: 'yes' }))).toMatchObject({
      kind: 'dlq',
      reason: 'not a canonical field-job event v1',
      problems: [{ path: 'fixed' }],
    });
    expect(parseFieldJobMessage(message('J2', good))).toMatchObject({
      kind: 'dlq',
      reason: 'record key "J2" is not the jobId "J1"',
    });
  });
});
