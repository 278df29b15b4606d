// What Grafana and the grafana-clickhouse-datasource plugin (4.x) do to a panel's SQL before it
// reaches ClickHouse, in their order:
//   1. the plugin's $__conditionalAll(condition, $var): `1=1` when the variable selects All
//      (its current value is '' or '$__all'), else the condition;
//   2. Grafana's template interpolation ($var, ${var}, ${var:format}, [[var]]), with the plugin's
//      default format (a multi-value list becomes 'a','b'; a single value goes in raw);
//   3. the plugin's backend macros (sqlds): $__timeFilter(col), $__timeFilter_ms(col),
//      $__dateFilter(col), $__dateTimeFilter(d, t) / $__dt, $__fromTime, $__toTime, $__fromTime_ms,
//      $__toTime_ms, $__timeInterval(col), $__timeInterval_ms(col), $__interval_s — expanded as
//      the plugin documents them (e.g. `col >= toDateTime(1415792726) AND col <= toDateTime(1447328726)`).
// Anything this helper does not know (an unknown macro or format) is an error, so a dashboard
// cannot use something the tests never ran.

export interface VariableState {
  /** The selected values; ['$__all'] when All is selected. */
  current: string[];
  /** Every option of the variable (what All stands for), without All itself. */
  options: string[];
  /** Whether the variable holds a list (multi-select or All). */
  multi: boolean;
  /** A custom value for All, inserted unformatted (Grafana's behaviour). */
  allValue?: string;
}

export interface ExpandContext {
  from: Date;
  to: Date;
  /** The panel's interval (Grafana: the range / max data points, at least the panel's min interval). */
  intervalMs: number;
  variables: Readonly<Record<string, VariableState>>;
}

export const ALL = '$__all';

// ---- 1. $__conditionalAll ---------------------------------------------------------------------

/** The argument list that starts at `open` (an opening bracket), split on top-level commas. */
function bracketArgs(text: string, open: number): { args: string[]; end: number } | null {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i));
        return { args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return null;
}

export function applyConditionalAll(sql: string, variables: Readonly<Record<string, VariableState>>): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  // Innermost-last like the plugin: it rewrites from the last occurrence backwards.
  let at = out.lastIndexOf(macro);
  while (at !== -1) {
    const parsed = bracketArgs(out, at + macro.length - 1);
    if (parsed?.args.length !== 2)
      throw new Error(`bad $__conditionalAll at ${at}: ${out.slice(at, at + 80)}`);
    const [condition = '', varArg = ''] = parsed.args;
    const name = /\$\{(\w+)\}|\$(\w+)/.exec(varArg.trim());
    const varName = name?.[1] ?? name?.[2];
    if (!varName) throw new Error(`$__conditionalAll needs a variable as its second argument: ${varArg}`);
    const state = variables[varName];
    if (!state) throw new Error(`unknown variable $${varName} in $__conditionalAll`);
    const value = state.current.join(',');
    const phrase = value === '' || value === ALL ? '1=1' : condition;
    out = out.slice(0, at) + phrase + out.slice(parsed.end);
    at = out.lastIndexOf(macro);
  }
  return out;
}

// ---- 2. template variables --------------------------------------------------------------------

const sqlQuote = (v: string): string => `'${v.replace(/'/g, "''")}'`;

function formatValue(value: string | string[], format: string | undefined): string {
  const list = Array.isArray(value) ? value : [value];
  switch (format) {
    case undefined:
      // The plugin's own format function: lists quoted and comma-joined, a single value raw.
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'sqlstring':
      return list.map(sqlQuote).join(',');
    case 'raw':
    case 'csv':
      return list.join(',');
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    default:
      throw new Error(`variable format :${format} is not supported by this expander`);
  }
}

function builtIn(name: string, ctx: ExpandContext): string | undefined {
  switch (name) {
    case '__from':
      return String(ctx.from.getTime());
    case '__to':
      return String(ctx.to.getTime());
    case '__interval_ms':
      return String(ctx.intervalMs);
    case '__range_s':
      return String(Math.floor((ctx.to.getTime() - ctx.from.getTime()) / 1000));
    default:
      return undefined;
  }
}

// Grafana's variable syntax: $name, [[name:format]], ${name.field:format}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

export function interpolateVariables(sql: string, ctx: ExpandContext): string {
  return sql.replace(
    VARIABLE,
    (
      match,
      plain?: string,
      bracket?: string,
      bracketFmt?: string,
      braced?: string,
      _field?: string,
      bracedFmt?: string,
    ) => {
      const name = plain ?? bracket ?? braced ?? '';
      const format = bracketFmt ?? bracedFmt;
      const known = builtIn(name, ctx);
      if (known !== undefined) return known;
      const state = ctx.variables[name];
      if (!state) return match; // not a variable (e.g. a plugin macro): left for the backend
      const isAll = state.current.length === 1 && state.current[0] === ALL;
      if (isAll && state.allValue !== undefined) return state.allValue;
      const values = isAll ? state.options : state.current;
      return formatValue(state.multi || isAll ? values : (values[0] ?? ''), format);
    },
  );
}

// ---- 3. the plugin's backend macros -----------------------------------------------------------

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);
const toDate = (d: Date): string => `toDate('${d.toISOString().slice(0, 10)}')`;

type Macro = (args: string[], ctx: ExpandContext) => string;

function arity(name: string, n: number, args: string[]): void {
  if (args.length !== n) throw new Error(`$__${name}: expected ${n} argument(s), received ${args.length}`);
}

const macros: Record<string, Macro> = {
  fromTime: (_a, c) => `toDateTime(${seconds(c.from)})`,
  toTime: (_a, c) => `toDateTime(${seconds(c.to)})`,
  fromTime_ms: (_a, c) => `fromUnixTimestamp64Milli(${c.from.getTime()})`,
  toTime_ms: (_a, c) => `fromUnixTimestamp64Milli(${c.to.getTime()})`,
  timeFilter: (a, c) => {
    arity('timeFilter', 1, a);
    return `${a[0]} >= toDateTime(${seconds(c.from)}) AND ${a[0]} <= toDateTime(${seconds(c.to)})`;
  },
  timeFilter_ms: (a, c) => {
    arity('timeFilter_ms', 1, a);
    return `${a[0]} >= fromUnixTimestamp64Milli(${c.from.getTime()}) AND ${a[0]} <= fromUnixTimestamp64Milli(${c.to.getTime()})`;
  },
  dateFilter: (a, c) => {
    arity('dateFilter', 1, a);
    return `${a[0]} >= ${toDate(c.from)} AND ${a[0]} <= ${toDate(c.to)}`;
  },
  dateTimeFilter: (a, c) => {
    arity('dateTimeFilter', 2, a);
    const [d, t] = a;
    return `(${d} >= ${toDate(c.from)} AND ${d} <= ${toDate(c.to)}) AND (${t} >= toDateTime(${seconds(c.from)}) AND ${t} <= toDateTime(${seconds(c.to)}))`;
  },
  timeInterval: (a, c) => {
    arity('timeInterval', 1, a);
    return `toStartOfInterval(toDateTime(${a[0]}), INTERVAL ${intervalSeconds(c)} second)`;
  },
  timeInterval_ms: (a, c) => {
    arity('timeInterval_ms', 1, a);
    return `toStartOfInterval(toDateTime64(${a[0]}, 3), INTERVAL ${Math.max(Math.trunc(c.intervalMs), 1)} millisecond)`;
  },
  interval_s: (_a, c) => String(intervalSeconds(c)),
};
macros.dt = macros.dateTimeFilter as Macro;

function intervalSeconds(ctx: ExpandContext): number {
  return Math.max(Math.trunc(ctx.intervalMs / 1000), 1);
}

export function expandMacros(sql: string, ctx: ExpandContext): string {
  let out = '';
  let i = 0;
  const token = /\$__(\w+)/g;
  for (let m = token.exec(sql); m !== null; m = token.exec(sql)) {
    const name = m[1] ?? '';
    const macro = macros[name];
    if (!macro) throw new Error(`unknown macro $__${name}`);
    let end = m.index + m[0].length;
    let args: string[] = [];
    if (sql[end] === '(') {
      const parsed = bracketArgs(sql, end);
      if (!parsed) throw new Error(`$__${name}: missing closing bracket`);
      args = parsed.args.map((a) => a.trim()).filter((a, _k, all) => !(all.length === 1 && a === ''));
      end = parsed.end;
    }
    out += sql.slice(i, m.index) + macro(args, ctx);
    i = end;
    token.lastIndex = end;
  }
  return out + sql.slice(i);
}

/** A panel's rawSql as ClickHouse receives it. */
export function expandPanelSql(rawSql: string, ctx: ExpandContext): string {
  return expandMacros(interpolateVariables(applyConditionalAll(rawSql, ctx.variables), ctx), ctx);
}
