import { z } from 'zod';

// Building blocks shared by every canonical event family.

export const SCHEMA_VERSION = 1;

/** Instants outside this range are impossible for a service operation (and for ClickHouse's DateTime64). */
export const EARLIEST_INSTANT = '1970-01-01T00:00:00.000Z';
export const LATEST_INSTANT = '2100-01-01T00:00:00.000Z';
const earliestMs = Date.parse(EARLIEST_INSTANT);
const latestMs = Date.parse(LATEST_INSTANT);
/** The form toISOString() writes; the format check before it has already rejected impossible dates. */
const canonicalUtc = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** An instant with an explicit offset, normalised to UTC ISO-8601 with milliseconds. */
export const isoUtc = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const ms = Date.parse(s);
    // An unparsable value already failed the format check: one problem per field is enough.
    return Number.isNaN(ms) || (ms >= earliestMs && ms < latestMs);
  }, `must be on or after ${EARLIEST_INSTANT} and before ${LATEST_INSTANT}`)
  // Every stored event is parsed again on each rebuild of its entity: most are canonical already.
  .transform((s) => (canonicalUtc.test(s) ? s : new Date(s).toISOString()));
export const identifier = z.string().min(1).max(200);
/** A dimension value (tenant, customer, region, team, site, ...): printable text, 1-200 chars. */
export const dimension = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u, 'printable text without surrounding spaces');

export const baseFields = {
  eventId: identifier,
  schemaVersion: z.literal(SCHEMA_VERSION),
  source: dimension,
  tenant: dimension,
  occurredAt: isoUtc,
  receivedAt: isoUtc,
};

export type EntityKind = 'ticket' | 'job' | 'agent';

/**
 * Deterministic event id `<source>:<entity>:<sourceKey>:<change>`: a re-delivered change of the
 * same source record gets the same id, which is what makes every sink idempotent.
 */
export function eventId(source: string, entity: EntityKind, sourceKey: string, change: string): string {
  return `${source}:${entity}:${sourceKey}:${change}`;
}

export interface FieldProblem {
  path: string;
  message: string;
}

/** zod issues as `path: reason` pairs, paths in the `a.b[0].c` form users see in their payloads. */
export function fieldProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.reduce<string>(
      (acc, part) =>
        typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
      prefix,
    ),
    message: issue.message,
  }));
}
