import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dimension } from './events/common.js';
import {
  holdReasonSchema,
  type Priority,
  prioritySchema,
  type TicketStatus,
  type Tier,
  ticketStatusSchema,
  tierSchema,
} from './events/ticket.js';
import { dlq, type Outcome, ok } from './outcome.js';

// How a source's own values (statuses, priorities, support lines, locations) become Baton's
// normalised ones. An unknown vendor value is a configuration question: the event is
// dead-lettered with the value and the mapping section to add it to, and a mapping file fixes it.

const statusTarget = z.object({ status: ticketStatusSchema, holdReason: holdReasonSchema.optional() });

export const sourceMappingSchema = z
  .object({
    status: z.record(z.string(), statusTarget).default({}),
    priority: z.record(z.string(), prioritySchema).default({}),
    tier: z.record(z.string(), tierSchema).default({}),
    /** Vendor location, country or region value → Baton region. */
    region: z.record(z.string(), dimension).default({}),
    /** Team (assignment group) → its region and support line, when the source does not say. */
    teams: z
      .record(z.string(), z.object({ region: dimension.optional(), tier: tierSchema.optional() }))
      .default({}),
    /** Region for records that name none the mapping knows. Without it, such records are dead-lettered. */
    defaultRegion: dimension.optional(),
    /** Priority for records that carry none. */
    defaultPriority: prioritySchema.optional(),
  })
  .strict();

export type SourceMappingConfig = z.infer<typeof sourceMappingSchema>;
export const mappingFileSchema = z.record(z.string().min(1), sourceMappingSchema.partial());
export type MappingFile = z.infer<typeof mappingFileSchema>;

const key = (raw: string) => raw.trim().toLowerCase().replace(/\s+/g, ' ');

// Countries to the three follow-the-sun regions, by ISO-3166 alpha-2 code and English name.
const countriesByRegion: Record<string, string[]> = {
  APAC: [
    'au australia',
    'cn china',
    'hk hong kong',
    'in india',
    'id indonesia',
    'jp japan',
    'kr korea',
    'my malaysia',
    'nz new zealand',
    'ph philippines',
    'sg singapore',
    'tw taiwan',
    'th thailand',
    'vn vietnam',
  ],
  EMEA: [
    'at austria',
    'be belgium',
    'ch switzerland',
    'cz czech republic',
    'de germany',
    'dk denmark',
    'es spain',
    'fi finland',
    'fr france',
    'gb united kingdom',
    'uk',
    'hu hungary',
    'ie ireland',
    'it italy',
    'nl netherlands',
    'no norway',
    'pl poland',
    'pt portugal',
    'ro romania',
    'ru russia',
    'se sweden',
    'sk slovakia',
    'tr turkey',
    'ae united arab emirates',
    'sa saudi arabia',
    'za south africa',
    'eg egypt',
    'ma morocco',
    'il israel',
  ],
  AMER: [
    'us usa',
    'united states',
    'ca canada',
    'mx mexico',
    'br brazil',
    'ar argentina',
    'cl chile',
    'co colombia',
    'pe peru',
  ],
};

export const countryRegions: Record<string, string> = Object.fromEntries(
  Object.entries(countriesByRegion).flatMap(([region, entries]) =>
    entries.flatMap((entry) => {
      const [first, ...rest] = entry.split(' ');
      const names = first!.length === 2 ? [first!, rest.join(' ')] : [entry];
      return names.filter(Boolean).map((n) => [n, region] as const);
    }),
  ),
);

const regionsThemselves = { apac: 'APAC', emea: 'EMEA', amer: 'AMER', americas: 'AMER' };

export const defaultMappings: Record<string, z.input<typeof sourceMappingSchema>> = {
  // ServiceNow incident: incident_state numbers and display values, priority 1-5, hold_reason.
  servicenow: {
    status: {
      '1': { status: 'new' },
      new: { status: 'new' },
      '2': { status: 'in_progress' },
      'in progress': { status: 'in_progress' },
      active: { status: 'in_progress' },
      '3': { status: 'on_hold' },
      'on hold': { status: 'on_hold' },
      'awaiting caller': { status: 'on_hold', holdReason: 'customer' },
      'awaiting vendor': { status: 'on_hold', holdReason: 'vendor' },
      'awaiting change': { status: 'on_hold', holdReason: 'change' },
      'awaiting problem': { status: 'on_hold', holdReason: 'other' },
      '6': { status: 'resolved' },
      resolved: { status: 'resolved' },
      '7': { status: 'closed' },
      closed: { status: 'closed' },
      '8': { status: 'cancelled' },
      canceled: { status: 'cancelled' },
      cancelled: { status: 'cancelled' },
    },
    priority: {
      '1': 'critical',
      '1 - critical': 'critical',
      '2': 'high',
      '2 - high': 'high',
      '3': 'medium',
      '3 - moderate': 'medium',
      '4': 'low',
      '4 - low': 'low',
      '5': 'low',
      '5 - planning': 'low',
    },
    tier: { l1: 'L1', l2: 'L2', l3: 'L3' },
    region: { ...countryRegions, ...regionsThemselves },
  },
  // Jira Service Management: workflow status names and the default priority scheme.
  jira: {
    status: {
      open: { status: 'open' },
      'to do': { status: 'open' },
      'waiting for support': { status: 'open' },
      'in progress': { status: 'in_progress' },
      'work in progress': { status: 'in_progress' },
      escalated: { status: 'in_progress' },
      'waiting for customer': { status: 'on_hold', holdReason: 'customer' },
      pending: { status: 'on_hold', holdReason: 'other' },
      'waiting for approval': { status: 'on_hold', holdReason: 'change' },
      resolved: { status: 'resolved' },
      done: { status: 'resolved' },
      closed: { status: 'closed' },
      canceled: { status: 'cancelled' },
      cancelled: { status: 'cancelled' },
      declined: { status: 'cancelled' },
    },
    priority: {
      highest: 'critical',
      blocker: 'critical',
      critical: 'critical',
      high: 'high',
      major: 'high',
      medium: 'medium',
      low: 'low',
      minor: 'low',
      lowest: 'low',
      trivial: 'low',
    },
    tier: { l1: 'L1', l2: 'L2', l3: 'L3', 'tier 1': 'L1', 'tier 2': 'L2', 'tier 3': 'L3' },
    region: { ...countryRegions, ...regionsThemselves },
  },
  // Zendesk Support ticket statuses and priorities.
  zendesk: {
    status: {
      new: { status: 'new' },
      open: { status: 'open' },
      pending: { status: 'on_hold', holdReason: 'customer' },
      hold: { status: 'on_hold', holdReason: 'other' },
      solved: { status: 'resolved' },
      closed: { status: 'closed' },
      deleted: { status: 'cancelled' },
    },
    priority: { urgent: 'critical', high: 'high', normal: 'medium', low: 'low' },
    // Zendesk tickets may have no priority at all; Zendesk's own middle value is "normal".
    defaultPriority: 'medium',
    tier: { l1: 'L1', l2: 'L2', l3: 'L3' },
    region: { ...countryRegions, ...regionsThemselves },
  },
};

export interface NormalisedStatus {
  status: TicketStatus;
  holdReason?: 'customer' | 'vendor' | 'change' | 'other';
}

/** One source's mapping with case- and space-insensitive look-ups. */
export class SourceMapping {
  private readonly status: Map<string, NormalisedStatus>;
  private readonly priorities: Map<string, Priority>;
  private readonly tiers: Map<string, Tier>;
  private readonly regions: Map<string, string>;
  private readonly teams: Map<string, { region?: string; tier?: Tier }>;

  constructor(
    readonly source: string,
    private readonly config: SourceMappingConfig,
  ) {
    const index = <T>(r: Record<string, T>) => new Map(Object.entries(r).map(([k, v]) => [key(k), v]));
    this.status = index(config.status);
    this.priorities = index(config.priority);
    this.tiers = index(config.tier);
    this.regions = index(config.region);
    this.teams = index(config.teams);
  }

  private unknown(section: string, raw: string | undefined): Outcome<never> {
    return dlq(
      raw === undefined || raw.trim() === ''
        ? `no ${section} value and no default for source "${this.source}"`
        : `unknown ${section} "${raw}" for source "${this.source}": add it to the "${section}" section of that source's mapping`,
    );
  }

  mapStatus(raw: string | undefined): Outcome<NormalisedStatus> {
    const hit = raw === undefined ? undefined : this.status.get(key(raw));
    return hit ? ok(hit) : this.unknown('status', raw);
  }

  mapPriority(raw: string | undefined): Outcome<Priority> {
    const hit =
      raw === undefined || raw.trim() === '' ? this.config.defaultPriority : this.priorities.get(key(raw));
    return hit ? ok(hit) : this.unknown('priority', raw);
  }

  /** A support line, or undefined when the source gave none (tier is optional on events). */
  mapTier(raw: string | undefined, team?: string): Outcome<Tier | undefined> {
    if (raw === undefined || raw.trim() === '') return ok(team ? this.teams.get(key(team))?.tier : undefined);
    const hit = this.tiers.get(key(raw));
    return hit ? ok(hit) : this.unknown('tier', raw);
  }

  /** Region from the record's own location value, else from its team, else the default. */
  mapRegion(raw: string | undefined, team?: string): Outcome<string> {
    const direct = raw === undefined || raw.trim() === '' ? undefined : this.regions.get(key(raw));
    const viaTeam = team ? this.teams.get(key(team))?.region : undefined;
    const region = direct ?? viaTeam ?? this.config.defaultRegion;
    if (region) return ok(region);
    return this.unknown('region', raw);
  }
}

export class MappingError extends Error {
  override readonly name = 'MappingError';
}

/**
 * Built-in mappings overlaid with a mapping file (JSON: `{ "<source>": { "status": {...}, ... } }`);
 * sections merge key by key, so a file only lists what differs.
 */
export function loadMappings(file?: string): Map<string, SourceMapping> {
  let overrides: MappingFile = {};
  if (file) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new MappingError(`mapping file ${file}: ${(err as Error).message}`);
    }
    const parsed = mappingFileSchema.safeParse(json);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
      throw new MappingError(`mapping file ${file} is not valid:\n${lines.join('\n')}`);
    }
    overrides = parsed.data;
  }
  return buildMappings(overrides);
}

export function buildMappings(overrides: MappingFile = {}): Map<string, SourceMapping> {
  const sources = new Set([...Object.keys(defaultMappings), ...Object.keys(overrides)]);
  const out = new Map<string, SourceMapping>();
  for (const source of sources) {
    const base = sourceMappingSchema.parse(defaultMappings[source] ?? {});
    const extra = overrides[source] ?? {};
    const merged = sourceMappingSchema.parse({
      status: { ...base.status, ...extra.status },
      priority: { ...base.priority, ...extra.priority },
      tier: { ...base.tier, ...extra.tier },
      region: { ...base.region, ...extra.region },
      teams: { ...base.teams, ...extra.teams },
      defaultRegion: extra.defaultRegion ?? base.defaultRegion,
      defaultPriority: extra.defaultPriority ?? base.defaultPriority,
    });
    out.set(source, new SourceMapping(source, merged));
  }
  return out;
}
