import { eventId, fieldProblems, type RosterEvent, rosterEventSchema } from '../../core/events/index.js';
import { describeTimestamp, type RosterPreset, timestampParser } from './preset.js';
import { compactInstant, type RowProblem, RowReader, type RowResult } from './row.js';
import { presetMapping } from './tickets.js';

// Convert (pure): one roster row (agent, team, region, role, fte, start, end) →
// `roster.member_joined` at start and `roster.member_left` at end, when there is one.

export class RosterRowConverter {
  private readonly reader: RowReader;
  private readonly parseTime: (text: string) => string | null;
  private readonly mapping: ReturnType<typeof presetMapping>;
  private readonly agents = new Set<string>();
  readonly source: string;

  constructor(
    private readonly preset: RosterPreset,
    private readonly opts: { tenant: string; source?: string | undefined; receivedAt: string },
  ) {
    this.reader = new RowReader(preset);
    this.parseTime = timestampParser(preset.timestamp);
    this.mapping = presetMapping(preset);
    this.source = opts.source ?? preset.source;
  }

  get agentCount(): number {
    return this.agents.size;
  }

  convert(fields: Record<string, string>, _line: number): RowResult<RosterEvent> {
    const c = this.preset.columns;
    const r = this.reader;
    const problems: RowProblem[] = [];
    const problem = (column: string, kind: string, message: string) =>
      problems.push({ column, kind, message });
    const required = (ref: RosterPreset['columns']['agent'], what: string): string | undefined => {
      const cell = r.value(fields, ref)!;
      if (cell.value === undefined)
        problem(cell.column, `column "${cell.column}": no ${what}`, `column "${cell.column}": no ${what}`);
      return cell.value;
    };
    const time = (ref: RosterPreset['columns']['agent'] | undefined, what: string): string | undefined => {
      const cell = r.value(fields, ref);
      if (cell?.value === undefined) return undefined;
      const iso = this.parseTime(cell.value);
      if (iso === null)
        problem(
          cell.column,
          `column "${cell.column}": not a date in the expected format`,
          `column "${cell.column}" (${what}): "${cell.value}" is not a date in ${describeTimestamp(this.preset.timestamp)}`,
        );
      return iso ?? undefined;
    };

    const agent = required(c.agent, 'agent');
    const team = required(c.team, 'team');
    const role = required(c.role, 'role');
    const regionCell = r.value(fields, c.region)!;
    let region: string | undefined;
    const mapped = this.mapping.full.mapRegion(regionCell.value, team);
    if (regionCell.value !== undefined && this.mapping.strict.mapRegion(regionCell.value).kind !== 'ok')
      problem(
        regionCell.column,
        `column "${regionCell.column}": unknown region`,
        `column "${regionCell.column}": unknown region "${regionCell.value}": add it to the "region" section of the preset's mapping`,
      );
    else if (mapped.kind === 'ok') region = mapped.value;
    else
      problem(
        regionCell.column,
        `column "${regionCell.column}": no region`,
        `column "${regionCell.column}": ${mapped.reason}`,
      );
    const fteCell = r.value(fields, c.fte)!;
    let fte = 1;
    if (fteCell.value !== undefined) {
      fte = Number(fteCell.value.replace(',', '.'));
      if (!Number.isFinite(fte) || fte <= 0 || fte > 1)
        problem(
          fteCell.column,
          `column "${fteCell.column}": FTE not in (0, 1]`,
          `column "${fteCell.column}": "${fteCell.value}" is not an FTE between 0 (excluded) and 1`,
        );
    }
    const tierCell = r.value(fields, c.tier);
    const tierOutcome = this.mapping.full.mapTier(tierCell?.value, team);
    const tier = tierOutcome.kind === 'ok' ? tierOutcome.value : undefined;
    if (tierOutcome.kind !== 'ok' && tierCell)
      problem(
        tierCell.column,
        `column "${tierCell.column}": unknown tier`,
        `column "${tierCell.column}": ${tierOutcome.reason}`,
      );
    const startCell = r.value(fields, c.start)!;
    const start = time(c.start, 'start');
    if (startCell.value === undefined)
      problem(
        startCell.column,
        `column "${startCell.column}": no start date`,
        `column "${startCell.column}": no start date`,
      );
    const endCell = r.value(fields, c.end);
    const end = time(c.end, 'end');
    if (start && end && end < start)
      problem(
        endCell!.column,
        `column "${endCell!.column}": end before start`,
        `column "${endCell!.column}": end ${end} is before start ${start}`,
      );
    if (problems.length > 0 || !agent || !start) return { kind: 'rejected', problems };

    const common = {
      schemaVersion: 1 as const,
      source: this.source,
      tenant: this.opts.tenant,
      agentId: agent,
    };
    const candidates: unknown[] = [
      {
        eventId: eventId(this.source, 'agent', agent, `${compactInstant(start)}:joined`),
        ...common,
        occurredAt: start,
        receivedAt: this.opts.receivedAt,
        type: 'roster.member_joined',
        team,
        region,
        role,
        ...(tier ? { tier } : {}),
        fte,
      },
    ];
    if (end)
      candidates.push({
        eventId: eventId(this.source, 'agent', agent, `${compactInstant(end)}:left`),
        ...common,
        occurredAt: end,
        receivedAt: this.opts.receivedAt,
        type: 'roster.member_left',
      });
    const columnOf: Record<string, string> = {
      agentId: r.column(fields, c.agent),
      team: r.column(fields, c.team),
      region: regionCell.column,
      role: r.column(fields, c.role),
      fte: fteCell.column,
    };
    const events: RosterEvent[] = [];
    for (const e of candidates) {
      const parsed = rosterEventSchema.safeParse(e);
      if (parsed.success) events.push(parsed.data);
      else
        for (const fp of fieldProblems(parsed.error)) {
          const col = columnOf[fp.path] ?? fp.path;
          problem(col, `column "${col}": ${fp.message}`, `column "${col}" (${fp.path}): ${fp.message}`);
        }
    }
    if (problems.length > 0) return { kind: 'rejected', problems };
    this.agents.add(agent);
    return { kind: 'events', events };
  }
}
