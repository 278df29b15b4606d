import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAlertRules } from '../../core/alert-rules.js';
import { toClickHouseTime } from '../../core/clickhouse.js';
import type { CanonicalEvent, TicketEvent } from '../../core/events/index.js';
import { readQuery } from '../../core/queries.js';
import { DAY, generateOperation, MINUTE } from '../../ingest/simulator/generate.js';
import type { ScenarioName } from '../../ingest/simulator/model.js';
import type { EvaluationResult } from '../../transforms/alerts/evaluator.js';
import type { AlertState } from '../../transforms/alerts/lifecycle.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { eventually } from '../helpers/services.js';

// The alert operations heads asked for, on the simulator's own story: the `apac-backlog` scenario
// and the steady operation (`none`), each through a pipeline of its own (Kafka -> transforms ->
// ClickHouse), then the evaluator with the built-in default rules (docs/alerts.md) at an injected
// clock. The figures the alert must carry are worked out below from the generated event list by a
// plain replay written for this test (DESIGN.md: B(t) and H(t) are the state once every event
// before t has happened), never by Baton's transforms.
//
// Seed 1 at 0.3 of the demo's ticket volume, nine days of history (plus the standing tickets and
// roster), about 8 000 events per operation. With these, APAC's 7-day gap is ~71 pp (backlog ~63
// -> ~111, headcount 41 -> 43) in `apac-backlog` and at most ~15 pp anywhere in `none`, against
// the default threshold of 40 pp with at least 50 tickets at both ends: the defaults and the
// scenario agree.

const ANCHOR = Date.parse('2026-03-30T00:00:00Z'); // a Monday; the end of the story
const FROM = ANCHOR - 9 * DAY;
const REGIONS = ['AMER', 'APAC', 'EMEA'];
const BACKLOG_KIND = 'backlog_outpacing_headcount';

const rules = defaultAlertRules;
const backlogRules = rules.filter((r) => r.kind === BACKLOG_KIND);
const rule7d = backlogRules.find((r) => r.kind === BACKLOG_KIND && r.params.windowDays === 7)!;
// The evaluations the firing rule needs, a few minutes apart (events all lie before ANCHOR).
const EVALUATIONS = Array.from({ length: rule7d.forEvaluations }, (_, i) => ANCHOR + (i + 1) * 5 * MINUTE);
const FIRED_AT = EVALUATIONS[EVALUATIONS.length - 1]!;

interface Run {
  tenant: string;
  events: CanonicalEvent[];
  pipeline: TestPipeline;
  clock: { now: number };
}
const runs = new Map<ScenarioName, Run>();

const at = (e: CanonicalEvent) => Date.parse(e.occurredAt);

// ---- the test's own reference -----------------------------------------------------------------------

/** Open tickets per region once every event before `t` has happened (the generated list is in time order). */
function refBacklog(events: readonly CanonicalEvent[], t: number): Record<string, number> {
  const tickets = new Map<string, { open: boolean; region: string }>();
  for (const e of events.filter((x): x is TicketEvent => x.type.startsWith('ticket.'))) {
    if (at(e) >= t) continue;
    const s = tickets.get(e.ticketId) ?? { open: false, region: '' };
    if (e.type === 'ticket.created') [s.open, s.region] = [true, e.region];
    if (e.type === 'ticket.assigned') s.region = e.region;
    if (e.type === 'ticket.reopened') s.open = true;
    if (e.type === 'ticket.resolved' || e.type === 'ticket.closed' || e.type === 'ticket.cancelled')
      s.open = false;
    tickets.set(e.ticketId, s);
  }
  const out: Record<string, number> = {};
  for (const s of tickets.values()) if (s.open) out[s.region] = (out[s.region] ?? 0) + 1;
  return out;
}

/** FTE per region of the people whose latest join or leave before `t` was a join. */
function refHeadcount(events: readonly CanonicalEvent[], t: number): Record<string, number> {
  const members = new Map<string, { region: string; fte: number } | null>();
  for (const e of events) {
    if (at(e) >= t) continue;
    if (e.type === 'roster.member_joined') members.set(e.agentId, { region: e.region, fte: e.fte });
    if (e.type === 'roster.member_left') members.set(e.agentId, null);
  }
  const out: Record<string, number> = {};
  for (const m of members.values()) if (m) out[m.region] = (out[m.region] ?? 0) + m.fte;
  return out;
}

function refWindow(events: readonly CanonicalEvent[], region: string, end: number) {
  const start = end - 7 * DAY;
  const b0 = refBacklog(events, start)[region] ?? 0;
  const b1 = refBacklog(events, end)[region] ?? 0;
  const h0 = refHeadcount(events, start)[region] ?? 0;
  const h1 = refHeadcount(events, end)[region] ?? 0;
  const backlogGrowth = (100 * (b1 - b0)) / Math.max(b0, 1);
  const headcountGrowth = (100 * (h1 - h0)) / h0;
  return { start, end, b0, b1, h0, h1, backlogGrowth, headcountGrowth, gap: backlogGrowth - headcountGrowth };
}

// ---- the pipelines --------------------------------------------------------------------------------

async function startRun(scenario: ScenarioName): Promise<Run> {
  const tenant = scenario === 'none' ? 'steady' : 'story';
  const events = generateOperation(
    { seed: 1, tenant, scenario, anchor: ANCHOR, ticketScale: 0.3 },
    FROM,
    ANCHOR,
  );
  const clock = { now: ANCHOR };
  const pipeline = await startPipeline(`e2e_scen_alerts_${scenario.replace('-', '_')}`, {
    now: () => clock.now,
    // The test drives every evaluation itself; the built-in default rules apply (no rules file).
    overrides: { ALERT_EVALUATION_INTERVAL_SECONDS: 86_400 },
  });
  await pipeline.sink.emit(events);
  // The derived tables hold the whole story once the last week's figures match the replay.
  const want = REGIONS.map((r) => {
    const w = refWindow(events, r, ANCHOR);
    return [r, w.b0, w.b1, w.h0, w.h1];
  });
  const got = await eventually(
    async () => {
      const rs = await pipeline.ch.query({
        query: readQuery('backlog-vs-headcount'),
        query_params: {
          tenant,
          region: '',
          team: '',
          at: toClickHouseTime(ANCHOR),
          window_days: 7,
        },
        format: 'JSONEachRow',
      });
      const rows = await rs.json<Record<string, string | number>>();
      return rows.map((x) => [
        x.region,
        Number(x.backlog_start),
        Number(x.backlog_end),
        Number(x.headcount_start),
        Number(x.headcount_end),
      ]);
    },
    (rows) => JSON.stringify(rows) === JSON.stringify(want),
    240_000,
    1_000,
  );
  expect(got).toEqual(want);
  return { tenant, events, pipeline, clock };
}

beforeAll(async () => {
  for (const scenario of ['apac-backlog', 'none'] as const) runs.set(scenario, await startRun(scenario));
}, 600_000);

afterAll(async () => {
  for (const r of runs.values()) await r.pipeline.close();
});

async function evaluateAll(run: Run): Promise<EvaluationResult[]> {
  const alerting = run.pipeline.transforms.alerts;
  if (!alerting) throw new Error('the transforms started without the alert evaluator');
  const results: EvaluationResult[] = [];
  for (const t of EVALUATIONS) {
    run.clock.now = t;
    const r = await alerting.evaluator.evaluateOnce();
    expect(r.errors).toEqual([]);
    results.push(r);
  }
  return results;
}

const backlogTransitions = (results: EvaluationResult[]) =>
  results.map((r) => r.transitions.filter((s) => s.kind === BACKLOG_KIND));
const brief = (s: AlertState) => [s.ruleId, s.group.tenant, s.group.region, s.state, s.consecutive];

describe('the backlog-outpacing-headcount alert on the simulator, with the default rules', () => {
  it('the defaults are what docs/alerts.md says, and the scenario clears them while the steady operation does not', () => {
    expect(rule7d).toMatchObject({
      id: 'backlog-outpacing-headcount-7d',
      forEvaluations: 3,
      params: { windowDays: 7, gapPp: 40, minBacklog: 50, minStartBacklog: 50 },
    });
    const story = runs.get('apac-backlog')!.events;
    const steady = runs.get('none')!.events;
    const apac = refWindow(story, 'APAC', FIRED_AT);
    expect(apac.gap).toBeGreaterThan(rule7d.params.gapPp);
    expect(apac.b0).toBeGreaterThanOrEqual(rule7d.params.minStartBacklog);
    expect(apac.b1).toBeGreaterThanOrEqual(rule7d.params.minBacklog);
    expect(apac.h1).toBeGreaterThan(apac.h0); // people were added, and it was not enough
    for (const region of REGIONS) {
      expect(refWindow(steady, region, FIRED_AT).gap).toBeLessThan(rule7d.params.gapPp);
      if (region !== 'APAC') expect(refWindow(story, region, FIRED_AT).gap).toBeLessThan(rule7d.params.gapPp);
    }
  });

  it('apac-backlog: APAC goes pending, then fires exactly once at the evaluation the rule needs, with the replay’s figures', async () => {
    const run = runs.get('apac-backlog')!;
    const results = await evaluateAll(run);
    const steps = backlogTransitions(results);
    expect(steps.map((ts) => ts.map(brief))).toEqual(
      EVALUATIONS.map((_, i) => [
        [rule7d.id, run.tenant, 'APAC', i + 1 < rule7d.forEvaluations ? 'pending' : 'firing', i + 1],
      ]),
    );
    const firing = steps.flat().filter((s) => s.state === 'firing');
    expect(firing).toHaveLength(1);
    const alert = firing[0]!;
    expect(alert.firedAt).toBe(FIRED_AT);
    expect(alert.startedAt).toBe(EVALUATIONS[0]);

    const w = refWindow(run.events, 'APAC', FIRED_AT);
    expect(alert.numbers).toMatchObject({
      window_days: 7,
      window_start: new Date(w.start).toISOString(),
      window_end: new Date(w.end).toISOString(),
      backlog_start: w.b0,
      backlog_end: w.b1,
      headcount_start: w.h0,
      headcount_end: w.h1,
    });
    expect(alert.numbers.backlog_growth_pct).toBeCloseTo(w.backlogGrowth, 3);
    expect(alert.numbers.headcount_growth_pct).toBeCloseTo(w.headcountGrowth, 3);
    expect(alert.numbers.gap_pp).toBeCloseTo(w.gap, 3);
    expect(alert.value).toBeCloseTo(w.gap, 3);
    expect(alert.threshold).toBe(rule7d.params.gapPp);

    // Still true at the next evaluation: no new transition, and still exactly one firing alert.
    run.clock.now = FIRED_AT + 5 * MINUTE;
    const again = await run.pipeline.transforms.alerts!.evaluator.evaluateOnce();
    expect(again.errors).toEqual([]);
    expect(again.transitions.filter((s) => s.kind === BACKLOG_KIND)).toEqual([]);
    const states = [...run.pipeline.transforms.alerts!.evaluator.states().values()];
    expect(states.filter((s) => s.kind === BACKLOG_KIND && s.state === 'firing').map(brief)).toEqual([
      [rule7d.id, run.tenant, 'APAC', 'firing', rule7d.forEvaluations],
    ]);
  });

  it('the steady operation: no alert of the rule, in any state, for any region', async () => {
    const run = runs.get('none')!;
    const results = await evaluateAll(run);
    // Every region was looked at, and none even went pending.
    expect(results.every((r) => r.observed >= REGIONS.length * backlogRules.length)).toBe(true);
    expect(backlogTransitions(results).flat().map(brief)).toEqual([]);
    const states = [...run.pipeline.transforms.alerts!.evaluator.states().values()];
    expect(states.filter((s) => s.kind === BACKLOG_KIND)).toEqual([]);
  });
});
