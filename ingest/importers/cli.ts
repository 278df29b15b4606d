import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { Config } from '../../core/config.js';
import { createMessageBus } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { allTopics } from '../../core/topics.js';
import { createEventSink } from '../sink.js';
import { builtInPresets, loadPreset, PresetError, withTimestampOverrides } from './preset.js';
import { ImportInterruptedError, type ImportProgress, type ImportSummary, runImport } from './run.js';

// `baton import <file> --format <preset>`: the file importers behind the CLI.

export const importUsage = [
  'baton import <file> --format <preset> [options]',
  '',
  '  <file>                a CSV or JSONL file, optionally gzipped (.gz), streamed row by row',
  `  --format F            ${builtInPresets.join(' | ')} | path/to/preset.json`,
  '                          bpic2013           BPI Challenge 2013 (Volvo IT incidents) event log',
  '                          servicenow-export  ServiceNow incident export, one row per update',
  '                          roster             agent, team, region, role, fte, start, end',
  '  --tenant T            tenant the events belong to (default INGEST_DEFAULT_TENANT)',
  "  --source S            event source name (default: the preset's)",
  "  --date-format F       how timestamps are written: 'iso' or a luxon format such as",
  "                        'yyyy-MM-dd HH:mm:ss' or 'dd-MM-yyyy HH:mm' (default: the preset's)",
  '  --time-zone Z         IANA zone of timestamps without an offset, e.g. Europe/Berlin',
  '  --dry-run             convert and report, write nothing to Kafka',
  '',
  'Bad rows never stop an import: they are counted with their reasons and line numbers and sent',
  'to the dead-letter topic. Event ids are deterministic, so re-running an import (after Kafka',
  'went away, or on purpose) adds nothing twice. See docs/importing.md.',
].join('\n');

const options = {
  format: { type: 'string' },
  tenant: { type: 'string' },
  source: { type: 'string' },
  'date-format': { type: 'string' },
  'time-zone': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Raised for wrong command-line use; the CLI prints it with the usage and exits 2. */
export class ImportUsageError extends Error {
  override readonly name = 'ImportUsageError';
}

const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

function progressReporter(out: NodeJS.WriteStream): { update(p: ImportProgress): void; stop(): void } {
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: out,
        format: 'import [{bar}] {percentage}% | {read} of {total} | {rows} rows | eta {eta_formatted}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(p.totalBytes, 0, { read: mb(0), total: mb(p.totalBytes), rows: 0 });
          started = true;
        }
        bar.update(p.bytesRead, { read: mb(p.bytesRead), total: mb(p.totalBytes), rows: p.rowsRead });
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  let latest: ImportProgress | null = null;
  const line = (p: ImportProgress) => {
    const pct = p.totalBytes > 0 ? Math.floor((100 * p.bytesRead) / p.totalBytes) : 100;
    out.write(`import: ${pct}% (${mb(p.bytesRead)} of ${mb(p.totalBytes)} read), ${p.rowsRead} rows\n`);
  };
  return {
    update(p) {
      latest = p;
      if (Date.now() - last < 5_000) return;
      last = Date.now();
      line(p);
      latest = null;
    },
    stop() {
      if (latest) line(latest);
      latest = null;
    },
  };
}

export function formatSummary(s: ImportSummary): string {
  const rate = s.durationMs > 0 ? Math.round((s.rowsRead * 1000) / s.durationMs) : s.rowsRead;
  const lines = [
    `${s.dryRun ? 'dry run of ' : ''}import of ${s.file} with preset ${s.preset} (source ${s.source})`,
    `  rows read        ${s.rowsRead}  (${(s.durationMs / 1000).toFixed(1)} s, ${rate} rows/s)`,
    `  rows with events ${s.rowsWithEvents}`,
    `  rows unchanged   ${s.rowsUnchanged}  (no change against the previous row of the same entity)`,
    `  rows rejected    ${s.rowsRejected}${s.dryRun ? '' : `  (${s.deadLettered} sent to the dead-letter topic)`}`,
    `  events produced  ${s.eventsProduced}${s.dryRun ? '  (dry run: not written)' : ''}`,
    ...Object.entries(s.eventsByType).map(([t, n]) => `    ${t.padEnd(24)} ${n}`),
    `  entities         ${s.entities}`,
    ...(s.firstChangeAt ? [`  changes from     ${s.firstChangeAt} to ${s.lastChangeAt}`] : []),
  ];
  if (s.rejections.length > 0) {
    lines.push('  top reasons for rejected rows:');
    for (const g of s.rejections.slice(0, 10))
      lines.push(
        `    ${String(g.count).padStart(6)}  ${g.reason}  (line${g.lines.length > 1 ? 's' : ''} ${g.lines.join(', ')}${g.count > g.lines.length ? ', ...' : ''})`,
        `            e.g. ${g.example}`,
      );
    if (s.rejections.length > 10) lines.push(`    ... and ${s.rejections.length - 10} more reasons`);
  }
  return lines.join('\n');
}

export async function importCommand(
  args: string[],
  ctx: { config: Config; logger: Logger },
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream } = {
    stdout: process.stdout,
    stderr: process.stderr,
  },
): Promise<ImportSummary> {
  const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new ImportUsageError('give exactly one file to import');
  if (!values.format) throw new ImportUsageError('--format is required');
  const file = positionals[0]!;
  let preset: ReturnType<typeof loadPreset>;
  try {
    preset = withTimestampOverrides(loadPreset(values.format), {
      dateFormat: values['date-format'],
      timeZone: values['time-zone'],
    });
  } catch (err) {
    if (err instanceof PresetError) throw new ImportUsageError(err.message);
    throw err;
  }
  const dryRun = values['dry-run'] ?? false;
  const progress = progressReporter(io.stderr);
  const bus = dryRun ? null : createMessageBus(ctx.config, ctx.logger);
  const sink = bus ? createEventSink(ctx.config, bus, ctx.logger) : undefined;
  try {
    if (bus)
      await bus.ensureTopics(allTopics(ctx.config)).catch((err: unknown) => {
        throw new Error(
          `Kafka is not reachable at ${ctx.config.KAFKA_BROKERS.join(',')} (${(err as Error).message}); nothing was imported`,
        );
      });
    const summary = await runImport({
      file,
      preset,
      tenant: values.tenant ?? ctx.config.INGEST_DEFAULT_TENANT,
      source: values.source,
      sink,
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    io.stdout.write(`${formatSummary(summary)}\n`);
    return summary;
  } catch (err) {
    progress.stop();
    if (err instanceof ImportInterruptedError) io.stdout.write(`${formatSummary(err.summary)}\n`);
    throw err;
  } finally {
    await sink?.close().catch(() => undefined);
    await bus?.close().catch(() => undefined);
  }
}
