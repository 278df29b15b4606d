// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not JavaScript templates
import { describe, expect, it } from 'vitest';
import {
  ALL,
  applyConditionalAll,
  type ExpandContext,
  expandMacros,
  expandPanelSql,
  interpolateVariables,
  type VariableState,
} from '../helpers/grafana-sql.js';

// The expander the dashboard query test relies on, against the expansions the ClickHouse plugin
// documents (README "Macros" table) and Grafana's variable formats.

const all = (...options: string[]): VariableState => ({ current: [ALL], options, multi: true });
const picked = (...current: string[]): VariableState => ({ current, options: current, multi: true });

const ctx = (variables: Record<string, VariableState> = {}): ExpandContext => ({
  // 2015-11-12T11:45:26.123Z and 2015-11-12T11:45:26.456Z + 1 year: the README's example instants
  from: new Date(1415792726123),
  to: new Date(1447328726456),
  intervalMs: 20_000,
  variables,
});

describe('the plugin macros', () => {
  it('expand as the plugin documents them', () => {
    const c = ctx();
    expect(expandMacros('WHERE $__timeFilter(time)', c)).toBe(
      'WHERE time >= toDateTime(1415792726) AND time <= toDateTime(1447328726)',
    );
    expect(expandMacros('$__timeFilter_ms(time)', c)).toBe(
      'time >= fromUnixTimestamp64Milli(1415792726123) AND time <= fromUnixTimestamp64Milli(1447328726456)',
    );
    expect(expandMacros('$__dateFilter(date)', c)).toBe(
      "date >= toDate('2014-11-12') AND date <= toDate('2015-11-12')",
    );
    expect(expandMacros('$__fromTime, $__toTime', c)).toBe('toDateTime(1415792726), toDateTime(1447328726)');
    expect(expandMacros('$__fromTime_ms, $__toTime_ms', c)).toBe(
      'fromUnixTimestamp64Milli(1415792726123), fromUnixTimestamp64Milli(1447328726456)',
    );
    expect(expandMacros('$__timeInterval(column)', c)).toBe(
      'toStartOfInterval(toDateTime(column), INTERVAL 20 second)',
    );
    expect(expandMacros('$__timeInterval_ms(column)', c)).toBe(
      'toStartOfInterval(toDateTime64(column, 3), INTERVAL 20000 millisecond)',
    );
    expect(expandMacros('$__interval_s', c)).toBe('20');
    expect(expandMacros('$__dateTimeFilter(d, t)', c)).toBe(
      "(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))",
    );
  });

  it('tell a macro from a longer one by the word boundary, and never go below a 1 s interval', () => {
    const c = { ...ctx(), intervalMs: 250 };
    expect(expandMacros('$__toTime_ms > $__toTime', c)).toBe(
      'fromUnixTimestamp64Milli(1447328726456) > toDateTime(1447328726)',
    );
    expect(expandMacros('$__interval_s', c)).toBe('1');
  });

  it('fail on an unknown macro or a wrong argument count instead of passing it through', () => {
    expect(() => expandMacros('$__timeGroup(t, 1h)', ctx())).toThrow('unknown macro $__timeGroup');
    expect(() => expandMacros('$__timeFilter(a, b)', ctx())).toThrow('expected 1 argument(s), received 2');
    expect(() => expandMacros('$__timeFilter', ctx())).toThrow('received 0');
  });
});

describe('$__conditionalAll', () => {
  it('is 1=1 when the variable selects All, the condition otherwise', () => {
    const sql = 'WHERE $__conditionalAll(region IN (${region:sqlstring}), $region) AND x';
    expect(applyConditionalAll(sql, { region: all('APAC', 'EMEA') })).toBe('WHERE 1=1 AND x');
    expect(applyConditionalAll(sql, { region: picked('APAC') })).toBe(
      'WHERE region IN (${region:sqlstring}) AND x',
    );
  });

  it('rewrites several, with brackets inside the condition', () => {
    const sql = '$__conditionalAll(f(a, b) IN (1), $a) OR $__conditionalAll(c = 1, ${b})';
    expect(applyConditionalAll(sql, { a: picked('x'), b: all('y') })).toBe('f(a, b) IN (1) OR 1=1');
  });

  it('needs a known variable', () => {
    expect(() => applyConditionalAll('$__conditionalAll(x, $nope)', {})).toThrow('unknown variable $nope');
  });
});

describe('template variables', () => {
  it('quote and escape with :sqlstring; All stands for every option', () => {
    const c = ctx({ team: picked("o'neil", 'ops'), region: all('APAC', 'EMEA') });
    expect(interpolateVariables('IN (${team:sqlstring})', c)).toBe("IN ('o''neil','ops')");
    expect(interpolateVariables('IN (${region:sqlstring})', c)).toBe("IN ('APAC','EMEA')");
  });

  it("use the plugin's default format: a list quoted, a single value raw", () => {
    const c = ctx({
      region: picked('APAC', 'EMEA'),
      week: { current: ['2026-03-02'], options: [], multi: false },
    });
    expect(interpolateVariables('$region', c)).toBe("'APAC','EMEA'");
    expect(interpolateVariables("'$week'", c)).toBe("'2026-03-02'");
  });

  it('insert a custom All value unformatted, as Grafana does', () => {
    const c = ctx({ region: { ...all('APAC'), allValue: "''" } });
    expect(interpolateVariables('${region:sqlstring}', c)).toBe("''");
  });

  it('leave macros and unknown names for the backend, and know the global time variables', () => {
    const c = ctx({});
    expect(interpolateVariables('$__timeFilter(t) $unknown $__from $__to', c)).toBe(
      '$__timeFilter(t) $unknown 1415792726123 1447328726456',
    );
  });

  it('reject a format the expander does not implement', () => {
    expect(() => interpolateVariables('${r:json}', ctx({ r: picked('a') }))).toThrow(':json');
  });
});

describe('a whole panel query', () => {
  it('goes through conditionalAll, variables and macros in the plugin’s order', () => {
    const sql = 'SELECT 1 FROM t WHERE $__conditionalAll(r IN (${r:sqlstring}), $r) AND $__timeFilter(at)';
    expect(expandPanelSql(sql, ctx({ r: picked('APAC') }))).toBe(
      "SELECT 1 FROM t WHERE r IN ('APAC') AND at >= toDateTime(1415792726) AND at <= toDateTime(1447328726)",
    );
    expect(expandPanelSql(sql, ctx({ r: all('APAC') }))).toBe(
      'SELECT 1 FROM t WHERE 1=1 AND at >= toDateTime(1415792726) AND at <= toDateTime(1447328726)',
    );
  });
});
