import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import type { CanonicalEvent } from '../../core/events/index.js';
import { loadPreset } from '../../ingest/importers/preset.js';
import { ImportInterruptedError, runImport } from '../../ingest/importers/run.js';
import { type EventSink, KafkaUnavailableError } from '../../ingest/sink.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// An import that Kafka stops acknowledging half-way, then re-run in full: every fact reaches
// ClickHouse once. The interruption is injected in front of the real sink after a number of
// acknowledged batches, which is what the importer sees when the broker goes away.

const file = fileURLToPath(new URL('../../ingest/importers/fixtures/bpic2013-sample.csv', import.meta.url));

let config: Config;
let sink: EventSink;

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline('resume');
  ({ config, sink } = pipeline);
});

afterAll(async () => pipeline?.close());

/** The real sink until `batches` emits went through, then a broker that no longer answers. */
function failingAfter(batches: number): EventSink {
  let left = batches;
  return {
    async emit(events: readonly CanonicalEvent[]) {
      if (left-- <= 0) throw new KafkaUnavailableError('broker stopped answering');
      await sink.emit(events);
    },
    deadLetter: (letters) => sink.deadLetter(letters),
    close: async () => undefined,
  };
}

describe('an interrupted import, re-run', () => {
  it('stores every event exactly once in ClickHouse', async () => {
    const preset = loadPreset('bpic2013');
    const dry = await runImport({ file, preset, tenant: 'resume' });
    expect(dry.eventsProduced).toBeGreaterThan(40);

    const interrupted = await runImport({
      file,
      preset,
      tenant: 'resume',
      sink: failingAfter(2),
      batchEvents: 10,
    }).catch((e: unknown) => e);
    expect(interrupted).toBeInstanceOf(ImportInterruptedError);
    const partial = (interrupted as ImportInterruptedError).summary;
    expect(partial.lastAcknowledgedLine).toBeGreaterThan(1);
    expect(partial.lastAcknowledgedLine).toBeLessThan(dry.rowsRead + 1);

    const full = await runImport({ file, preset, tenant: 'resume', sink, batchEvents: 10 });
    expect(full.eventsProduced).toBe(dry.eventsProduced);

    const ch = createClickHouse(config);
    const read = async () => {
      const rs = await ch.query({
        query:
          "SELECT count() AS stored, uniqExact(event_id) AS distinct_ids FROM ticket_events FINAL WHERE tenant = 'resume'",
        format: 'JSONEachRow',
      });
      return (await rs.json<{ stored: number; distinct_ids: number }>())[0]!;
    };
    const stored = await eventually(read, (r) => r.stored >= dry.eventsProduced);
    expect(stored).toEqual({ stored: dry.eventsProduced, distinct_ids: dry.eventsProduced });
    // The overlap reached Kafka twice; the tickets it describes are still placed once each.
    const lifecycle = await ch.query({
      query: "SELECT count() AS n FROM ticket_lifecycle FINAL WHERE tenant = 'resume'",
      format: 'JSONEachRow',
    });
    expect(await lifecycle.json()).toEqual([{ n: dry.entities }]);
    await ch.close();
  });
});
