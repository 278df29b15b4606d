import { describe, expect, it } from 'vitest';
import { eventId, type FieldJobEvent } from '../../core/events/index.js';
import { computeJobFacts } from './facts.js';

// Expected values are worked out by hand from the timelines below (all on Mon 2 March 2026, UTC).

const day = '2026-03-02';
const at = (hhmm: string) => Date.parse(`${day}T${hhmm}:00Z`);

let seq = 0;
function ev(jobId: string, type: FieldJobEvent['type'], hhmm: string, body: object = {}): FieldJobEvent {
  const iso = new Date(at(hhmm)).toISOString();
  seq += 1;
  return {
    eventId: eventId('hand', 'job', jobId, `${type}:${seq}`),
    schemaVersion: 1,
    source: 'hand',
    tenant: 'acme-msp',
    jobId,
    occurredAt: iso,
    receivedAt: iso,
    type,
    ...body,
  } as FieldJobEvent;
}

const created = (jobId: string, hhmm: string, body: object = {}) =>
  ev(jobId, 'job.created', hhmm, { site: 'SIN-DC1', region: 'APAC', ...body });

describe('computeJobFacts', () => {
  it('a clean first-time fix', () => {
    const f = computeJobFacts([
      created('J1', '08:00', {
        ticketId: 'T1',
        customer: 'globex',
        priority: 'high',
        plannedStart: `${day}T10:00:00Z`,
        plannedEnd: `${day}T12:00:00Z`,
      }),
      ev('J1', 'job.dispatched', '08:30', { engineer: 'E1' }),
      ev('J1', 'job.en_route', '09:15'),
      ev('J1', 'job.on_site', '09:45'),
      ev('J1', 'job.completed', '11:15', { fixed: true }),
    ]);
    expect(f).toMatchObject({
      tenant: 'acme-msp',
      jobId: 'J1',
      version: 5,
      ticketId: 'T1',
      customer: 'globex',
      priority: 'high',
      region: 'APAC',
      status: 'completed',
      engineer: 'E1',
      dispatches: 1,
      visits: 1,
      completedAt: at('11:15'),
      fixed: true,
      dispatchLatencySeconds: 1800, // 08:00 → 08:30
      arrivalSeconds: 4500, // 08:30 → 09:45 = 75 min
      accessDelays: 0,
      accessDelaySeconds: 0,
      hadParts: false,
      partsDelaySeconds: null,
      revisits: 0,
      firstTimeFix: true,
      plannedSeconds: 7200, // 10:00 → 12:00
      actualSeconds: 5400, // 09:45 → 11:15
      scopeChanges: 0,
    });
  });

  it('access delayed twice: the spans add up, a repeated report is the same delay', () => {
    const f = computeJobFacts([
      created('J2', '08:00'),
      ev('J2', 'job.dispatched', '08:10', { engineer: 'E1' }),
      ev('J2', 'job.on_site', '09:00'),
      ev('J2', 'job.access_delayed', '09:05', { reason: 'no badge' }),
      ev('J2', 'job.access_granted', '09:25'), // 20 min
      ev('J2', 'job.access_delayed', '10:00', { reason: 'cage locked' }),
      ev('J2', 'job.access_delayed', '10:10', { reason: 'still locked' }),
      ev('J2', 'job.access_granted', '10:40'), // 40 min from 10:00
      ev('J2', 'job.completed', '11:00', { fixed: true }),
    ]);
    expect(f).toMatchObject({
      accessDelays: 2,
      accessDelaySeconds: 3600, // 20 + 40 min
      accessDelayedSince: null,
      firstTimeFix: true,
      visits: 1,
    });
  });

  it('an unresolved access delay counts until the arrival or the completion, or stays open', () => {
    const beforeArrival = computeJobFacts([
      created('J3', '08:00'),
      ev('J3', 'job.dispatched', '08:10', { engineer: 'E1' }),
      ev('J3', 'job.access_delayed', '08:50', { reason: 'site closed' }),
      ev('J3', 'job.on_site', '09:20'),
    ]);
    expect(beforeArrival).toMatchObject({ accessDelaySeconds: 1800, accessDelayedSince: null }); // 08:50 → 09:20
    const untilCompletion = computeJobFacts([
      created('J4', '08:00'),
      ev('J4', 'job.on_site', '09:00'),
      ev('J4', 'job.access_delayed', '09:10', { reason: 'no escort' }),
      ev('J4', 'job.completed', '09:55', { fixed: true }),
    ]);
    expect(untilCompletion).toMatchObject({ accessDelaySeconds: 2700, dispatchLatencySeconds: null }); // 45 min
    const open = computeJobFacts([
      created('J5', '08:00'),
      ev('J5', 'job.on_site', '09:00'),
      ev('J5', 'job.access_delayed', '09:10', { reason: 'no escort' }),
    ]);
    expect(open).toMatchObject({
      status: 'open',
      accessDelays: 1,
      accessDelaySeconds: 0,
      accessDelayedSince: at('09:10'),
    });
  });

  const partsThenRevisit = () => [
    created('J6', '08:00', { plannedStart: `${day}T09:00:00Z`, plannedEnd: `${day}T10:00:00Z` }),
    ev('J6', 'job.dispatched', '08:20', { engineer: 'E1' }),
    ev('J6', 'job.on_site', '09:00'), // visit 1
    ev('J6', 'job.parts_requested', '09:20', { part: 'psu' }),
    ev('J6', 'job.revisit_required', '09:40'),
    ev('J6', 'job.parts_arrived', '13:20', { part: 'psu', late: true }), // waited 09:20 → 13:20 = 4 h
    ev('J6', 'job.dispatched', '14:00', { engineer: 'E2' }),
    ev('J6', 'job.on_site', '14:30'), // visit 2
    ev('J6', 'job.parts_faulty', '14:45', { part: 'psu' }),
    ev('J6', 'job.revisit_required', '15:00'),
    ev('J6', 'job.parts_arrived', '17:45', { part: 'psu', late: false }), // waited 14:45 → 17:45 = 3 h
    ev('J6', 'job.on_site', '18:00'), // visit 3
    ev('J6', 'job.completed', '19:00', { fixed: true }),
  ];

  it('parts late, then faulty on arrival, then a revisit', () => {
    const f = computeJobFacts(partsThenRevisit());
    expect(f).toMatchObject({
      version: 13,
      status: 'completed',
      engineer: 'E2', // the latest dispatch
      dispatches: 2,
      dispatchedAt: at('08:20'),
      dispatchLatencySeconds: 1200, // 08:00 → 08:20, the first dispatch
      arrivalSeconds: 2400, // 08:20 → 09:00, the first arrival
      firstOnSiteAt: at('09:00'),
      lastOnSiteAt: at('18:00'),
      visits: 3,
      hadParts: true,
      partsRequests: 1,
      partsDelaySeconds: 25200, // 4 h + 3 h
      partsLate: true,
      partsFaulty: 1,
      partsWaitingSince: null,
      revisitsRequired: 2,
      revisits: 2, // max(2 requests, 3 visits − 1)
      firstTimeFix: false,
      plannedSeconds: 3600,
      actualSeconds: 36000, // first arrival 09:00 → completion 19:00
    });
  });

  it('a job waiting for a replacement part is blocked on faulty parts', () => {
    const f = computeJobFacts(partsThenRevisit().slice(0, 10)); // up to the second revisit request
    expect(f).toMatchObject({
      status: 'open',
      completedAt: null,
      partsWaitingSince: at('14:45'),
      partsWaitingReason: 'faulty',
      partsDelaySeconds: 14400, // only the closed wait, 4 h
    });
  });

  it('two parts awaited together count once', () => {
    const f = computeJobFacts([
      created('J7', '08:00'),
      ev('J7', 'job.parts_requested', '09:00', { part: 'a' }),
      ev('J7', 'job.parts_requested', '09:30', { part: 'b' }),
      ev('J7', 'job.parts_arrived', '10:00', { part: 'a', late: false }),
      ev('J7', 'job.parts_arrived', '11:00', { part: 'b', late: false }),
    ]);
    expect(f).toMatchObject({ partsRequests: 2, partsDelaySeconds: 7200, partsLate: false }); // 09:00 → 11:00
  });

  it('cancelled: open blocks end at the cancellation, nothing is completed', () => {
    const f = computeJobFacts([
      created('J8', '08:00'),
      ev('J8', 'job.dispatched', '08:30', { engineer: 'E1' }),
      ev('J8', 'job.parts_requested', '08:45'),
      ev('J8', 'job.access_delayed', '09:00', { reason: 'site closed' }),
      ev('J8', 'job.scope_changed', '09:10', { description: 'two racks' }),
      ev('J8', 'job.cancelled', '09:40'),
    ]);
    expect(f).toMatchObject({
      status: 'cancelled',
      cancelledAt: at('09:40'),
      completedAt: null,
      dispatchLatencySeconds: 1800,
      arrivalSeconds: null,
      accessDelaySeconds: 2400, // 09:00 → 09:40
      accessDelayedSince: null,
      partsDelaySeconds: 3300, // 08:45 → 09:40
      partsWaitingSince: null,
      scopeChanges: 1,
      firstTimeFix: false,
      actualSeconds: null,
    });
  });

  it('an arrival after a completion reopens the job and makes it a revisit', () => {
    const f = computeJobFacts([
      created('J9', '08:00'),
      ev('J9', 'job.on_site', '09:00'),
      ev('J9', 'job.on_site', '09:05'), // the same visit reported twice
      ev('J9', 'job.completed', '10:00', { fixed: true }),
      ev('J9', 'job.on_site', '12:00'),
    ]);
    expect(f).toMatchObject({
      status: 'open',
      completedAt: null,
      visits: 2,
      revisits: 1,
      firstTimeFix: false,
    });
  });

  it('out-of-order and repeated events give the same facts; no creation, no facts', () => {
    const events = partsThenRevisit();
    const scrambled = [...events.slice(6), ...events.slice(0, 6).reverse(), events[3]!, events[10]!];
    expect(computeJobFacts(scrambled)).toEqual(computeJobFacts(events));
    expect(computeJobFacts(events.slice(1))).toBeNull();
  });
});
