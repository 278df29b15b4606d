import type { ColumnRef } from './preset.js';

// Reading typed values out of one row: column alternatives, "no value" markers, precise problems.

export interface RowProblem {
  /** The column the problem is in, when it is about one. */
  column?: string;
  /** Generic text used to group rejections in the summary (no row-specific values). */
  kind: string;
  /** The full reason for this row. */
  message: string;
}

export type RowResult<E> =
  | { kind: 'events'; events: E[] }
  | { kind: 'unchanged' }
  | { kind: 'rejected'; problems: RowProblem[] };

export class RowReader {
  private readonly missing: Set<string>;
  private readonly missingByColumn: Map<string, Set<string>>;

  constructor(opts: { missingValues: string[]; missingValuesByColumn: Record<string, string[]> }) {
    this.missing = new Set(opts.missingValues.map((v) => v.trim()));
    this.missingByColumn = new Map(
      Object.entries(opts.missingValuesByColumn).map(([c, vs]) => [c, new Set(vs.map((v) => v.trim()))]),
    );
  }

  /** The column a reference names in this row (the first alternative present), else the first name. */
  column(fields: Record<string, string>, ref: ColumnRef): string {
    if (typeof ref === 'string') return ref;
    return ref.find((c) => c in fields) ?? ref[0]!;
  }

  /** The trimmed value, or undefined when the column is absent or holds a "no value" marker. */
  value(
    fields: Record<string, string>,
    ref: ColumnRef | undefined,
  ): { column: string; value?: string } | undefined {
    if (ref === undefined) return undefined;
    const column = this.column(fields, ref);
    const raw = fields[column];
    if (raw === undefined) return { column };
    const value = raw.trim();
    if (this.missing.has(value) || this.missingByColumn.get(column)?.has(value)) return { column };
    return { column, value };
  }
}

/** Which of the preset's required columns the header lacks (alternatives: none of them present). */
export function missingColumns(header: readonly string[], refs: ColumnRef[]): string[] {
  const have = new Set(header);
  return refs
    .filter((ref) => (typeof ref === 'string' ? !have.has(ref) : !ref.some((c) => have.has(c))))
    .map((ref) => (typeof ref === 'string' ? `"${ref}"` : ref.map((c) => `"${c}"`).join(' or ')));
}

/** `2010-03-31T14:59:42.000Z` → `20100331T145942.000Z`: an instant as an id part. */
export function compactInstant(iso: string): string {
  return iso.replace(/[-:]/g, '');
}
