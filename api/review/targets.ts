import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Config } from '../../core/config.js';
import { fieldProblems } from '../../core/events/common.js';

// Targets of the weekly review's headline figures. Built-in defaults, overridden by an optional
// REVIEW_TARGETS_FILE: `{ "default": { "escalationRate": { "max": 0.15 } }, "regions": { "APAC":
// { "loadPerFte": { "max": 12 }, "slaAtRisk": null } } }` (null removes a target). A region's
// entry wins over `default`, which wins over the built-in value, figure by figure.

export const headlineKeys = [
  'backlogEnd',
  'inflow',
  'outflow',
  'backlogGrowthPct',
  'headcountFte',
  'loadPerFte',
  'handovers',
  'pickupWallP50Seconds',
  'pickupWallP90Seconds',
  'pickupBusinessP50Seconds',
  'pickupBusinessP90Seconds',
  'pendingHandovers',
  'escalationRate',
  'reopenRate',
  'slaBreachRate',
  'slaAtRisk',
  'firstTimeFixRate',
] as const;
export type HeadlineKey = (typeof headlineKeys)[number];

export const targetSchema = z
  .object({ min: z.number().finite().optional(), max: z.number().finite().optional() })
  .strict()
  .refine((t) => t.min !== undefined || t.max !== undefined, 'a target needs min, max or both')
  .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, {
    path: ['max'],
    message: 'max must not be below min',
  });
export type Target = z.infer<typeof targetSchema>;

const targetSetSchema = z.partialRecord(z.enum(headlineKeys), targetSchema.nullable());
type TargetSet = z.infer<typeof targetSetSchema>;

export const targetsFileSchema = z
  .object({
    default: targetSetSchema.default({}),
    regions: z.record(z.string().min(1), targetSetSchema).default({}),
  })
  .strict();

/** Defaults for a service desk: rates are fractions (0.05 = 5 %), latencies business seconds. */
export const builtInTargets: Readonly<Partial<Record<HeadlineKey, Target>>> = {
  backlogGrowthPct: { max: 5 },
  loadPerFte: { max: 10 },
  pickupBusinessP50Seconds: { max: 3_600 },
  pickupBusinessP90Seconds: { max: 4 * 3_600 },
  pendingHandovers: { max: 10 },
  escalationRate: { max: 0.2 },
  reopenRate: { max: 0.05 },
  slaBreachRate: { max: 0.05 },
  slaAtRisk: { max: 10 },
  firstTimeFixRate: { min: 0.8 },
};

export interface ReviewTargets {
  /** The targets of a region ('' = all regions: the file's default). */
  forRegion(region: string): Partial<Record<HeadlineKey, Target>>;
}

function merge(...sets: TargetSet[]): Partial<Record<HeadlineKey, Target>> {
  const out: Partial<Record<HeadlineKey, Target>> = {};
  for (const set of sets)
    for (const key of headlineKeys) {
      if (!(key in set)) continue;
      const t = set[key];
      if (t === null || t === undefined) delete out[key];
      else out[key] = t;
    }
  return out;
}

export function loadReviewTargets(config: Pick<Config, 'REVIEW_TARGETS_FILE'>): ReviewTargets {
  let file: z.infer<typeof targetsFileSchema> = { default: {}, regions: {} };
  if (config.REVIEW_TARGETS_FILE) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(config.REVIEW_TARGETS_FILE, 'utf8'));
    } catch (err) {
      throw new Error(`review targets file ${config.REVIEW_TARGETS_FILE}: ${(err as Error).message}`);
    }
    const parsed = targetsFileSchema.safeParse(json);
    if (!parsed.success) {
      const lines = fieldProblems(parsed.error).map((p) => `  ${p.path || '(root)'}: ${p.message}`);
      throw new Error(`review targets file ${config.REVIEW_TARGETS_FILE} is not valid:\n${lines.join('\n')}`);
    }
    file = parsed.data;
  }
  const base = merge(builtInTargets, file.default);
  return {
    forRegion: (region) => {
      const own = region === '' ? undefined : file.regions[region];
      return own ? merge(base, own) : { ...base };
    },
  };
}
