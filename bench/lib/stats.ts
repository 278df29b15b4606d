/** The q-quantile (0..1) of a list of numbers by the nearest-rank method; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export const round = (n: number, digits = 1): number => {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const MiB = 1024 * 1024;

/** A whole number for a report (1,234), or n/a when there is none (NaN, or null read back from JSON). */
export const n = (x: number): string =>
  typeof x === 'number' && Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';

/** A share as a percentage for a report (12.3 %). */
export const pct = (r: number): string => `${round(r * 100)} %`;
