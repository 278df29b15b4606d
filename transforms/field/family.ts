import type { FieldJobEvent } from '../../core/events/field-job.js';
import { tables } from '../../core/tables.js';
import { type EntityFamily, entitiesWithEventsIn, type Projection } from '../history/transform.js';
import { computeJobFacts } from './facts.js';
import { parseFieldJobMessage } from './parse.js';
import { insertFieldJobEvents, jobFactsRow, loadFieldJobHistories } from './sink.js';

export const fieldJobFamily: EntityFamily<FieldJobEvent> = {
  name: 'field-job',
  parse: parseFieldJobMessage,
  entityId: (e) => e.jobId,
  storeEvents: insertFieldJobEvents,
  loadHistories: loadFieldJobHistories,
  entitiesWithEventsBetween: entitiesWithEventsIn(tables.fieldJobEvents, 'job_id'),
};

export const jobFactsProjection: Projection<FieldJobEvent> = {
  table: tables.fieldJobFacts,
  rowFor(history) {
    const facts = computeJobFacts(history);
    return facts ? jobFactsRow(facts) : null;
  },
};

/** Every table derived per job from its history; each is rewritten when the history grows. */
export const fieldJobProjections: Projection<FieldJobEvent>[] = [jobFactsProjection];
