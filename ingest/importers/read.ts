import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';

// Collect + parse: a file (optionally .gz) streamed record by record, never loaded whole.
// Every record knows its line number; a record that cannot be read is yielded with an error so
// the caller can reject it and go on.

export interface FileRecord {
  /** 1-based line where the record starts (the header is line 1 of a CSV). */
  line: number;
  /** Last line of a record that spans lines (quoted newlines). */
  endLine: number;
  /** The record as it appears in the file. */
  raw: string;
  fields?: Record<string, string>;
  error?: { message: string; column?: string };
}

export interface OpenedFile {
  totalBytes: number;
  /** Bytes read from disk so far (compressed bytes for .gz). */
  bytesRead(): number;
  /** Header columns (CSV), known once the first record was yielded; empty for JSONL. */
  header(): readonly string[];
  records: AsyncGenerator<FileRecord>;
}

export async function openRecords(
  file: string,
  opts: { format: 'csv' | 'jsonl'; delimiter: string },
): Promise<OpenedFile> {
  const { size } = await stat(file);
  const disk = createReadStream(file, { highWaterMark: 256 * 1024 });
  let read = 0;
  disk.on('data', (chunk) => {
    read += chunk.length;
  });
  let text: Readable = disk;
  if (file.endsWith('.gz')) {
    const gunzip = createGunzip();
    disk.on('error', (err) => gunzip.destroy(err));
    text = disk.pipe(gunzip);
  }
  const header: string[] = [];
  const records = opts.format === 'csv' ? csvRecords(text, opts.delimiter, header) : jsonlRecords(text);
  return { totalBytes: size, bytesRead: () => read, header: () => header, records };
}

async function* csvRecords(input: Readable, delimiter: string, header: string[]): AsyncGenerator<FileRecord> {
  const skipped: FileRecord[] = [];
  let lastLine = 0;
  const parser = parse({
    delimiter,
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err, raw) => {
      const lines = (err as { lines?: unknown } | undefined)?.lines;
      const endLine = typeof lines === 'number' ? lines : lastLine + 1;
      skipped.push({
        line: lastLine + 1,
        endLine,
        raw: raw ?? '',
        error: { message: `unreadable CSV: ${err?.message ?? 'parse error'}` },
      });
      lastLine = endLine;
      return undefined;
    },
  });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  for await (const item of parser as AsyncIterable<{
    record: string[];
    raw: string;
    info: { lines: number };
  }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    const line = lastLine + 1;
    const endLine = item.info.lines;
    lastLine = endLine;
    const raw = item.raw.replace(/\r?\n$/, '');
    if (header.length === 0) {
      header.push(...item.record.map((h) => h.trim()));
      continue;
    }
    if (item.record.length !== header.length) {
      yield {
        line,
        endLine,
        raw,
        error: {
          message:
            `expected ${header.length} columns as in the header, got ${item.record.length}` +
            (endLine > line ? ` (the record spans lines ${line}-${endLine}: an unclosed quote?)` : ''),
        },
      };
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((h, i) => {
      fields[h] = item.record[i] ?? '';
    });
    yield { line, endLine, raw, fields };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

async function* jsonlRecords(input: Readable): AsyncGenerator<FileRecord> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { line, endLine: line, raw: text, error: { message: `not JSON: ${(err as Error).message}` } };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, endLine: line, raw: text, error: { message: 'not a JSON object' } };
      continue;
    }
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) fields[k] = '';
      else if (typeof v === 'object') fields[k] = JSON.stringify(v);
      else fields[k] = String(v);
    }
    yield { line, endLine: line, raw: text, fields };
  }
}
