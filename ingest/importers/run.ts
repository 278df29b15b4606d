import { type DeadLetter, deadLetter } from '../../core/dead-letter.js';
import type { CanonicalEvent } from '../../core/events/index.js';
import type { EventSink } from '../sink.js';
import { KafkaUnavailableError } from '../sink.js';
import { type Preset, PresetError } from './preset.js';
import { openRecords } from './read.js';
import { RosterRowConverter } from './roster.js';
import { missingColumns, type RowProblem, type RowResult } from './row.js';
import { TicketRowConverter } from './tickets.js';

// Emit: rows are read, converted and sent in batches; a batch's events and its dead letters are
// acknowledged by Kafka before the next batch is read, so "the last acknowledged line" is exact.

export interface ImportOptions {
  file: string;
  preset: Preset;
  tenant: string;
  source?: string | undefined;
  /** Where events and dead letters go; none = dry run (convert and count only). */
  sink?: EventSink | undefined;
  /** Events per Kafka batch (default 5,000). */
  batchEvents?: number;
  receivedAt?: string;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  rowsRead: number;
}

export interface RejectionGroup {
  reason: string;
  count: number;
  /** The first few line numbers. */
  lines: number[];
  /** The full reason of the first such row. */
  example: string;
}

export interface ImportSummary {
  file: string;
  preset: string;
  source: string;
  dryRun: boolean;
  rowsRead: number;
  rowsWithEvents: number;
  rowsUnchanged: number;
  rowsRejected: number;
  eventsProduced: number;
  eventsByType: Record<string, number>;
  /** Distinct tickets (or agents) with at least one accepted row. */
  entities: number;
  firstChangeAt: string | null;
  lastChangeAt: string | null;
  rejections: RejectionGroup[];
  deadLettered: number;
  lastAcknowledgedLine: number;
  durationMs: number;
}

/** Kafka stopped acknowledging mid-import; everything up to `lastAcknowledgedLine` is in Kafka. */
export class ImportInterruptedError extends Error {
  override readonly name = 'ImportInterruptedError';
  constructor(
    message: string,
    readonly summary: ImportSummary,
  ) {
    super(message);
  }
}

const LINES_PER_REASON = 5;

export async function runImport(opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const { preset, file } = opts;
  const receivedAt = opts.receivedAt ?? new Date().toISOString();
  const converter =
    preset.kind === 'tickets'
      ? new TicketRowConverter(preset, { tenant: opts.tenant, source: opts.source, receivedAt })
      : new RosterRowConverter(preset, { tenant: opts.tenant, source: opts.source, receivedAt });
  const required =
    preset.kind === 'tickets'
      ? [preset.columns.ticketId, preset.timestamp.column]
      : [
          preset.columns.agent,
          preset.columns.team,
          preset.columns.region,
          preset.columns.role,
          preset.columns.start,
        ];
  const batchEvents = opts.batchEvents ?? 5_000;

  const opened = await openRecords(file, { format: preset.format, delimiter: preset.delimiter });
  const summary: ImportSummary = {
    file,
    preset: preset.name,
    source: converter.source,
    dryRun: opts.sink === undefined,
    rowsRead: 0,
    rowsWithEvents: 0,
    rowsUnchanged: 0,
    rowsRejected: 0,
    eventsProduced: 0,
    eventsByType: {},
    entities: 0,
    firstChangeAt: null,
    lastChangeAt: null,
    rejections: [],
    deadLettered: 0,
    lastAcknowledgedLine: 0,
    durationMs: 0,
  };
  const groups = new Map<string, RejectionGroup>();
  let events: CanonicalEvent[] = [];
  let letters: DeadLetter[] = [];
  let batchLastLine = 0;
  let headerChecked = false;

  const reject = (line: number, raw: string, problems: RowProblem[]) => {
    summary.rowsRejected += 1;
    for (const p of problems) {
      const g = groups.get(p.kind) ?? { reason: p.kind, count: 0, lines: [], example: p.message };
      g.count += 1;
      if (g.lines.length < LINES_PER_REASON && g.lines.at(-1) !== line) g.lines.push(line);
      groups.set(p.kind, g);
    }
    if (opts.sink)
      letters.push(
        deadLetter(
          { kind: 'file', ref: `${file}:${line}`, source: converter.source },
          problems.map((p) => p.message).join('; '),
          raw,
          problems.map((p) => ({ path: p.column ?? '', message: p.message })),
        ),
      );
  };
  const finish = () => {
    summary.rejections = [...groups.values()].sort((a, b) => b.count - a.count);
    summary.entities = converter instanceof TicketRowConverter ? converter.tickets : converter.agentCount;
    summary.durationMs = Date.now() - started;
    return summary;
  };
  const flush = async () => {
    if (opts.sink && (events.length > 0 || letters.length > 0)) {
      try {
        await opts.sink.emit(events);
        await opts.sink.deadLetter(letters);
      } catch (err) {
        if (!(err instanceof KafkaUnavailableError)) throw err;
        throw new ImportInterruptedError(
          `${err.message}\nLines up to ${summary.lastAcknowledgedLine} of ${file} were acknowledged by Kafka ` +
            `(the batch after it was not). Re-running the same command is safe: event ids are deterministic, ` +
            'so rows already imported produce the same events and nothing is counted twice.',
          finish(),
        );
      }
      summary.deadLettered += letters.length;
    }
    summary.lastAcknowledgedLine = batchLastLine;
    events = [];
    letters = [];
  };

  let lastProgress = 0;
  for await (const record of opened.records) {
    if (!headerChecked && preset.format === 'csv') {
      headerChecked = true;
      const missing = missingColumns(opened.header(), required);
      if (missing.length > 0)
        throw new PresetError(
          `${file}: the header has no column ${missing.join(', ')} that preset "${preset.name}" needs ` +
            `(header: ${opened.header().join(', ')})`,
        );
    }
    summary.rowsRead += 1;
    batchLastLine = record.endLine;
    if (record.error || !record.fields) {
      const problem = record.error ?? { message: 'unreadable record' };
      reject(record.line, record.raw, [
        {
          ...(problem.column ? { column: problem.column } : {}),
          kind: problem.message.replace(/\d+/g, 'N'),
          message: problem.message,
        },
      ]);
    } else {
      const result: RowResult<CanonicalEvent> = converter.convert(record.fields, record.line);
      if (result.kind === 'rejected') reject(record.line, record.raw, result.problems);
      else if (result.kind === 'unchanged') summary.rowsUnchanged += 1;
      else {
        summary.rowsWithEvents += 1;
        for (const e of result.events) {
          events.push(e);
          summary.eventsByType[e.type] = (summary.eventsByType[e.type] ?? 0) + 1;
          if (summary.firstChangeAt === null || e.occurredAt < summary.firstChangeAt)
            summary.firstChangeAt = e.occurredAt;
          if (summary.lastChangeAt === null || e.occurredAt > summary.lastChangeAt)
            summary.lastChangeAt = e.occurredAt;
        }
        summary.eventsProduced += result.events.length;
      }
    }
    if (events.length >= batchEvents || letters.length >= batchEvents) await flush();
    if (opts.onProgress && summary.rowsRead - lastProgress >= 1_000) {
      lastProgress = summary.rowsRead;
      opts.onProgress({
        bytesRead: opened.bytesRead(),
        totalBytes: opened.totalBytes,
        rowsRead: summary.rowsRead,
      });
    }
  }
  if (!headerChecked && preset.format === 'csv') {
    if (opened.header().length === 0) throw new PresetError(`${file} is empty: no header line`);
    const missing = missingColumns(opened.header(), required);
    if (missing.length > 0)
      throw new PresetError(
        `${file}: the header has no column ${missing.join(', ')} that preset "${preset.name}" needs`,
      );
  }
  await flush();
  opts.onProgress?.({
    bytesRead: opened.totalBytes,
    totalBytes: opened.totalBytes,
    rowsRead: summary.rowsRead,
  });
  return finish();
}
