import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { dimension } from '../../core/events/common.js';
import { sourceMappingSchema } from '../../core/mapping.js';
import { projectRoot } from '../../core/paths.js';

// An import preset says how one kind of file becomes canonical events: which columns hold what,
// how timestamps are written, which values mean "unknown", and how vendor values are normalised
// (the `mapping` section has the shape of a source mapping in core/mapping.ts).

/** A column name, or alternatives tried in order (the first one the file has is used). */
export const columnRef = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
export type ColumnRef = z.infer<typeof columnRef>;

const zoneSchema = z
  .string()
  .min(1)
  .refine((zone) => IANAZone.isValidZone(zone), 'not an IANA time zone (e.g. UTC, Europe/Stockholm)');

export const timestampFormatSchema = z.object({
  /** `iso` (ISO-8601; values without an offset are read in `zone`) or a luxon format string. */
  format: z.string().min(1).default('iso'),
  /** IANA zone for values that carry no offset. */
  zone: zoneSchema.default('UTC'),
});

const fileFormat = {
  /**
   * Lay Baton's built-in country → region table (ISO-2 codes and English names of countries, and
   * the region names APAC / EMEA / AMER themselves) under the mapping's `region` section.
   */
  countryRegions: z.boolean().default(false),
  format: z.enum(['csv', 'jsonl']).default('csv'),
  delimiter: z.string().length(1).default(','),
  /** Values that mean "no value" in every column (compared after trimming). */
  missingValues: z.array(z.string()).default(['', '?']),
  /** Extra "no value" markers for single columns, e.g. `{ "Owner Country": ["0"] }`. */
  missingValuesByColumn: z.record(z.string(), z.array(z.string())).default({}),
};

export const ticketPresetSchema = z
  .object({
    kind: z.literal('tickets'),
    name: z.string().min(1),
    description: z.string().optional(),
    /** Event `source` (the `--source` flag overrides it). */
    source: dimension,
    /** Built-in mapping (core/mapping.ts) the `mapping` section is laid over, e.g. `servicenow`. */
    mappingBase: z.string().min(1).optional(),
    ...fileFormat,
    timestamp: timestampFormatSchema.extend({ column: columnRef }),
    columns: z
      .object({
        ticketId: columnRef,
        /** One or more columns whose non-empty values are joined with `statusJoin` for the status look-up. */
        status: z.array(z.string().min(1)).min(1).optional(),
        priority: columnRef.optional(),
        team: columnRef.optional(),
        tier: columnRef.optional(),
        region: columnRef.optional(),
        agent: columnRef.optional(),
        customer: columnRef.optional(),
        category: columnRef.optional(),
        site: columnRef.optional(),
        /** When the ticket was opened: `ticket.created` happens then instead of at the first row's time. */
        openedAt: columnRef.optional(),
        /** When it was resolved / closed: used as the time of the resolve / close instead of the row's. */
        resolvedAt: columnRef.optional(),
        closedAt: columnRef.optional(),
      })
      .strict(),
    statusJoin: z.string().default('/'),
    /** Values used when the file has no column (or no value) for them. */
    constants: z
      .object({ customer: dimension.optional(), category: dimension.optional(), site: dimension.optional() })
      .strict()
      .default({}),
    mapping: sourceMappingSchema.partial().default({}),
  })
  .strict();

export const rosterPresetSchema = z
  .object({
    kind: z.literal('roster'),
    name: z.string().min(1),
    description: z.string().optional(),
    source: dimension,
    mappingBase: z.string().min(1).optional(),
    ...fileFormat,
    /** How `start` and `end` are written. */
    timestamp: timestampFormatSchema,
    columns: z
      .object({
        agent: columnRef,
        team: columnRef,
        region: columnRef,
        role: columnRef,
        fte: columnRef,
        start: columnRef,
        end: columnRef.optional(),
        tier: columnRef.optional(),
      })
      .strict(),
    mapping: sourceMappingSchema.partial().default({}),
  })
  .strict();

export const presetSchema = z.discriminatedUnion('kind', [ticketPresetSchema, rosterPresetSchema]);
export type Preset = z.infer<typeof presetSchema>;
export type TicketPreset = z.infer<typeof ticketPresetSchema>;
export type RosterPreset = z.infer<typeof rosterPresetSchema>;

export class PresetError extends Error {
  override readonly name = 'PresetError';
}

export const presetDir = join(projectRoot, 'ingest', 'importers', 'presets');
export const builtInPresets = ['bpic2013', 'servicenow-export', 'roster'] as const;

/** A built-in preset by name, or a preset file (`*.json`) by path, validated. */
export function loadPreset(nameOrPath: string): Preset {
  const builtIn = (builtInPresets as readonly string[]).includes(nameOrPath);
  if (!builtIn && !nameOrPath.endsWith('.json'))
    throw new PresetError(
      `unknown format "${nameOrPath}": use one of ${builtInPresets.join(', ')} or a preset file (*.json)`,
    );
  const file = builtIn ? join(presetDir, `${nameOrPath}.json`) : nameOrPath;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PresetError(`preset ${file}: ${(err as Error).message}`);
  }
  return parsePreset(json, file);
}

export function parsePreset(json: unknown, label = 'preset'): Preset {
  const parsed = presetSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new PresetError(`${label} is not a valid preset:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The preset with `--date-format` / `--time-zone` applied. */
export function withTimestampOverrides<P extends Preset>(
  preset: P,
  overrides: { dateFormat?: string | undefined; timeZone?: string | undefined },
): P {
  if (overrides.timeZone !== undefined && !IANAZone.isValidZone(overrides.timeZone))
    throw new PresetError(
      `--time-zone "${overrides.timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`,
    );
  return {
    ...preset,
    timestamp: {
      ...preset.timestamp,
      ...(overrides.dateFormat !== undefined ? { format: overrides.dateFormat } : {}),
      ...(overrides.timeZone !== undefined ? { zone: overrides.timeZone } : {}),
    },
  };
}

/** Parses timestamps as the preset says; null when the text is not such a timestamp. */
export function timestampParser(spec: { format: string; zone: string }): (text: string) => string | null {
  if (spec.format === 'iso')
    return (text) => {
      const dt = DateTime.fromISO(text, { zone: spec.zone });
      return dt.isValid ? dt.toUTC().toISO() : null;
    };
  return (text) => {
    const dt = DateTime.fromFormat(text, spec.format, { zone: spec.zone });
    return dt.isValid ? dt.toUTC().toISO() : null;
  };
}

export function describeTimestamp(spec: { format: string; zone: string }): string {
  return spec.format === 'iso'
    ? `ISO-8601 (zone ${spec.zone} when no offset)`
    : `"${spec.format}" in ${spec.zone}`;
}
