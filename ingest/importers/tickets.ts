import type { z } from 'zod';
import {
  eventId,
  fieldProblems,
  type holdReasonSchema,
  type Priority,
  type TicketEvent,
  type TicketStatus,
  type Tier,
  ticketEventSchema,
} from '../../core/events/index.js';
import { buildMappings, countryRegions, type SourceMapping } from '../../core/mapping.js';
import { describeTimestamp, type TicketPreset, timestampParser } from './preset.js';
import { compactInstant, type RowProblem, RowReader, type RowResult } from './row.js';

// Convert (pure, given the per-ticket state): one row of an event log = one change of a ticket.
// The row is diffed against the previous row of the same ticket, so only the last row's
// normalised state per ticket is kept in memory, whatever the file size.

type HoldReason = z.infer<typeof holdReasonSchema>;

interface TicketState {
  at: string;
  /** How many earlier rows of this ticket had the same timestamp (0 for the first one). */
  ordinal: number;
  line: number;
  team?: string;
  region: string;
  tier?: Tier;
  agent?: string;
  status?: TicketStatus;
  holdReason?: HoldReason;
  priority: Priority;
}

const tierRank: Record<Tier, number> = { L1: 1, L2: 2, L3: 3 };
const finished = new Set<TicketStatus>(['resolved', 'closed']);

function lifecycle(
  previous: TicketStatus | undefined,
  next: TicketStatus,
): 'resolved' | 'closed' | 'cancelled' | 'reopened' | null {
  if (previous === next) return null;
  if (next === 'resolved' || next === 'closed' || next === 'cancelled') return next;
  if (previous && (finished.has(previous) || previous === 'cancelled')) return 'reopened';
  return null;
}

const regionNames = { apac: 'APAC', emea: 'EMEA', amer: 'AMER', americas: 'AMER' };

/** The preset's mapping laid over its base (a built-in source mapping), as a SourceMapping. */
export function presetMapping(preset: {
  mappingBase?: string | undefined;
  source: string;
  countryRegions: boolean;
  mapping: TicketPreset['mapping'];
}): {
  full: SourceMapping;
  /** Without teams and default region: tells whether a value itself is known. */
  strict: SourceMapping;
  /** Without the default region: a team's configured region, if any. */
  teamsOnly: SourceMapping;
} {
  const key = preset.mappingBase ?? preset.source;
  const mapping = preset.countryRegions
    ? { ...preset.mapping, region: { ...countryRegions, ...regionNames, ...preset.mapping.region } }
    : preset.mapping;
  const { defaultRegion: _d, teams: _t, ...rest } = mapping;
  return {
    full: buildMappings({ [key]: mapping }).get(key)!,
    strict: buildMappings({ [key]: { ...rest, teams: {} } }).get(key)!,
    teamsOnly: buildMappings({ [key]: { ...rest, teams: mapping.teams ?? {} } }).get(key)!,
  };
}

export interface TicketConverterOptions {
  tenant: string;
  /** Event source; defaults to the preset's. */
  source?: string | undefined;
  /** The `receivedAt` of every event of this import. */
  receivedAt: string;
}

export class TicketRowConverter {
  private readonly state = new Map<string, TicketState>();
  /** Last region seen in a row's own value, per team: the fallback for rows with no region. */
  private readonly teamRegions = new Map<string, string>();
  private readonly reader: RowReader;
  private readonly parseTime: (text: string) => string | null;
  private readonly mapping: ReturnType<typeof presetMapping>;
  readonly source: string;

  constructor(
    private readonly preset: TicketPreset,
    private readonly opts: TicketConverterOptions,
  ) {
    this.reader = new RowReader(preset);
    this.parseTime = timestampParser(preset.timestamp);
    this.mapping = presetMapping(preset);
    this.source = opts.source ?? preset.source;
  }

  /** Distinct tickets seen so far. */
  get tickets(): number {
    return this.state.size;
  }

  convert(fields: Record<string, string>, line: number): RowResult<TicketEvent> {
    const p = this.preset;
    const c = p.columns;
    const r = this.reader;
    const problems: RowProblem[] = [];
    const problem = (column: string | undefined, kind: string, message: string) =>
      problems.push({ ...(column ? { column } : {}), kind, message });

    const idCell = r.value(fields, c.ticketId)!;
    const tsCell = r.value(fields, p.timestamp.column)!;
    if (idCell.value === undefined)
      problem(
        idCell.column,
        `column "${idCell.column}": no ticket id`,
        `column "${idCell.column}": no ticket id`,
      );
    const time = (cell: { column: string; value?: string } | undefined, what: string): string | undefined => {
      if (cell?.value === undefined) return undefined;
      const iso = this.parseTime(cell.value);
      if (iso === null)
        problem(
          cell.column,
          `column "${cell.column}": not a timestamp in the expected format`,
          `column "${cell.column}" (${what}): "${cell.value}" is not a timestamp in ${describeTimestamp(p.timestamp)}`,
        );
      return iso ?? undefined;
    };
    const at = time(tsCell, 'change time');
    if (tsCell.value === undefined)
      problem(
        tsCell.column,
        `column "${tsCell.column}": no change time`,
        `column "${tsCell.column}": no change time`,
      );
    const openedAt = time(r.value(fields, c.openedAt), 'opened at');
    const resolvedAt = time(r.value(fields, c.resolvedAt), 'resolved at');
    const closedAt = time(r.value(fields, c.closedAt), 'closed at');
    const ticketId = idCell.value;
    const prev = ticketId === undefined ? undefined : this.state.get(ticketId);
    if (prev && at && at < prev.at)
      problem(
        tsCell.column,
        `column "${tsCell.column}": earlier than the previous row of the same ticket`,
        `column "${tsCell.column}": ${at} is earlier than the previous row of ticket ${ticketId} (line ${prev.line}, ${prev.at}); the file must list each ticket's changes in time order`,
      );

    // Team, tier, region, agent: a row without a value keeps the ticket's previous one.
    const teamCell = r.value(fields, c.team);
    const team = teamCell?.value ?? prev?.team;
    const tierCell = r.value(fields, c.tier);
    let tier = prev?.tier;
    const tierOutcome = this.mapping.full.mapTier(tierCell?.value, team);
    if (tierOutcome.kind === 'ok')
      tier = tierOutcome.value ?? (tierCell?.value === undefined ? prev?.tier : undefined);
    else
      problem(
        tierCell?.column,
        `column "${tierCell?.column}": unknown tier`,
        `column "${tierCell?.column}": ${tierOutcome.reason}`,
      );

    const regionCell = r.value(fields, c.region);
    let region: string | undefined;
    if (regionCell?.value !== undefined) {
      const direct = this.mapping.strict.mapRegion(regionCell.value);
      if (direct.kind === 'ok') region = direct.value;
      else
        problem(
          regionCell.column,
          `column "${regionCell.column}": unknown region`,
          `column "${regionCell.column}": unknown region "${regionCell.value}": add it to the "region" section of the preset's mapping`,
        );
    } else if (prev && prev.team === team) region = prev.region;
    else {
      // No region in the row: the region this team was last seen in, its configured region, the
      // ticket's previous region, the mapping's defaultRegion, in that order.
      const configured = this.mapping.teamsOnly.mapRegion(undefined, team);
      region =
        (team === undefined ? undefined : this.teamRegions.get(team)) ??
        (configured.kind === 'ok' ? configured.value : undefined) ??
        prev?.region;
      if (region === undefined) {
        const viaDefault = this.mapping.full.mapRegion(undefined, team);
        if (viaDefault.kind === 'ok') region = viaDefault.value;
        else {
          const col = regionCell?.column ?? 'region';
          problem(
            regionCell?.column,
            `column "${col}": no region and no fallback`,
            `column "${col}": no region value, team "${team ?? ''}" has no known region and the mapping has no defaultRegion`,
          );
        }
      }
    }
    const agentCell = r.value(fields, c.agent);
    const agent = c.agent === undefined ? prev?.agent : agentCell?.value;

    // Status from one or more columns joined (e.g. `Accepted/Wait - User`).
    const statusParts = (c.status ?? [])
      .map((col) => r.value(fields, col))
      .filter((cell): cell is { column: string; value: string } => cell?.value !== undefined);
    const statusColumns = (c.status ?? []).map((s) => `"${s}"`).join(' + ');
    let status = prev?.status;
    let holdReason = prev?.holdReason;
    let originalStatus: string | undefined;
    if (statusParts.length > 0) {
      originalStatus = statusParts.map((s) => s.value).join(p.statusJoin);
      const mapped = this.mapping.full.mapStatus(originalStatus);
      if (mapped.kind === 'ok') {
        status = mapped.value.status;
        holdReason = mapped.value.holdReason;
      } else
        problem(
          statusParts[0]!.column,
          `column ${statusColumns}: unknown status`,
          `column ${statusColumns}: ${mapped.reason}`,
        );
    }

    const priorityCell = r.value(fields, c.priority);
    let priority = prev?.priority;
    if (priorityCell?.value !== undefined || prev === undefined) {
      const mapped = this.mapping.full.mapPriority(priorityCell?.value);
      if (mapped.kind === 'ok') priority = mapped.value;
      else {
        const col = priorityCell?.column ?? 'priority';
        problem(
          priorityCell?.column,
          priorityCell?.value === undefined
            ? `column "${col}": no priority and no defaultPriority`
            : `column "${col}": unknown priority`,
          `column "${col}": ${mapped.reason}`,
        );
      }
    }

    const customerCell = r.value(fields, c.customer);
    const customer = customerCell?.value ?? p.constants.customer;
    if (prev === undefined && customer === undefined) {
      const col = customerCell?.column ?? 'customer';
      problem(
        customerCell?.column,
        `column "${col}": no customer`,
        `column "${col}": no customer on the ticket's first row and no constant customer in the preset`,
      );
    }
    if (problems.length > 0 || ticketId === undefined || at === undefined)
      return { kind: 'rejected', problems };

    // Build the events of this change.
    const ordinal = prev && prev.at === at ? prev.ordinal + 1 : 0;
    const stamp = `${compactInstant(at)}.${ordinal}`;
    const common = {
      schemaVersion: 1 as const,
      source: this.source,
      tenant: this.opts.tenant,
      ticketId,
      receivedAt: this.opts.receivedAt,
    };
    const events: TicketEvent[] = [];
    const add = (suffix: string, occurredAt: string, body: Record<string, unknown>) =>
      events.push({
        eventId: eventId(this.source, 'ticket', ticketId, `${stamp}:${suffix}`),
        ...common,
        occurredAt,
        ...body,
      } as TicketEvent);
    const originals = {
      ...(teamCell?.value !== undefined ? { originalTeam: teamCell.value } : {}),
      ...(regionCell?.value !== undefined ? { originalRegion: regionCell.value } : {}),
      ...(tierCell?.value !== undefined ? { originalTier: tierCell.value } : {}),
    };
    const assignment = {
      team,
      region,
      ...(tier ? { tier } : {}),
      ...(agent ? { agent } : {}),
      ...originals,
    };
    const status$ = status;
    const life = status$ === undefined ? null : lifecycle(prev?.status, status$);
    const lifeAt =
      life === 'resolved' ? (resolvedAt ?? at) : life === 'closed' ? (closedAt ?? resolvedAt ?? at) : at;

    if (prev === undefined) {
      const category = r.value(fields, c.category)?.value ?? p.constants.category;
      const site = r.value(fields, c.site)?.value ?? p.constants.site;
      add('created', openedAt ?? at, {
        type: 'ticket.created',
        customer,
        region,
        priority,
        ...(priorityCell?.value !== undefined ? { originalPriority: priorityCell.value } : {}),
        ...(regionCell?.value !== undefined ? { originalRegion: regionCell.value } : {}),
        ...(team ? { team } : {}),
        ...(tier ? { tier } : {}),
        ...(category ? { category } : {}),
        ...(site ? { site } : {}),
      });
      if (team) add('assigned', at, { type: 'ticket.assigned', ...assignment });
    } else {
      if (life === 'reopened') add('reopened', at, { type: 'ticket.reopened' });
      if (
        team &&
        (team !== prev.team || region !== prev.region || tier !== prev.tier || agent !== prev.agent)
      )
        add('assigned', at, { type: 'ticket.assigned', ...assignment });
      if (tier && prev.tier && tierRank[tier] > tierRank[prev.tier])
        add('escalated', at, { type: 'ticket.escalated', kind: 'tier', toTier: tier });
      if (priority !== prev.priority)
        add('priority', at, {
          type: 'ticket.priority_changed',
          priority,
          ...(priorityCell?.value !== undefined ? { originalPriority: priorityCell.value } : {}),
        });
    }
    if (status$ !== undefined && (status$ !== prev?.status || holdReason !== prev?.holdReason)) {
      if (prev !== undefined || status$ !== 'new')
        add('status', life === 'resolved' || life === 'closed' ? lifeAt : at, {
          type: 'ticket.status_changed',
          status: status$,
          ...(originalStatus !== undefined ? { originalStatus } : {}),
          ...(holdReason ? { holdReason } : {}),
        });
      if (life && life !== 'reopened') add(life, lifeAt, { type: `ticket.${life}` });
    }

    // Validate what was built (the boundary to Kafka): a bad value names the column it came from.
    const columnOf: Record<string, string | undefined> = {
      ticketId: idCell.column,
      occurredAt: tsCell.column,
      team: teamCell?.column,
      region: regionCell?.column,
      agent: agentCell?.column,
      customer: customerCell?.column,
      category: c.category === undefined ? undefined : r.column(fields, c.category),
      site: c.site === undefined ? undefined : r.column(fields, c.site),
    };
    const valid: TicketEvent[] = [];
    for (const e of events) {
      const parsed = ticketEventSchema.safeParse(e);
      if (parsed.success) valid.push(parsed.data);
      else
        for (const fp of fieldProblems(parsed.error)) {
          const col = columnOf[fp.path];
          problem(
            col,
            col ? `column "${col}": ${fp.message}` : `${fp.path}: ${fp.message}`,
            col ? `column "${col}" (${fp.path}): ${fp.message}` : `${fp.path}: ${fp.message}`,
          );
        }
    }
    if (problems.length > 0) return { kind: 'rejected', problems };

    this.state.set(ticketId, {
      at,
      ordinal,
      line,
      ...(team ? { team } : {}),
      region: region!,
      ...(tier ? { tier } : {}),
      ...(agent ? { agent } : {}),
      ...(status ? { status } : {}),
      ...(holdReason ? { holdReason } : {}),
      priority: priority!,
    });
    if (team && region && regionCell?.value !== undefined) this.teamRegions.set(team, region);
    return valid.length > 0 ? { kind: 'events', events: valid } : { kind: 'unchanged' };
  }
}
