import { type FieldJobEvent, fieldJobEventSchema } from '../../core/events/field-job.js';
import { eventMessageParser } from '../history/parse.js';

/** A Kafka record to a canonical field-job event, or the precise reason it is unusable. */
export const parseFieldJobMessage = eventMessageParser(
  fieldJobEventSchema,
  'field-job',
  'jobId',
  (e: FieldJobEvent) => e.jobId,
);
