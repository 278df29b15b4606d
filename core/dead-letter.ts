import type { FieldProblem } from './events/common.js';

/** What lands on the dead-letter topic: enough to see why, find the origin and re-drive it. */
export interface DeadLetter {
  /** Where the record came from: a topic position, an HTTP route, a file line, a poller page. */
  origin: { kind: 'kafka' | 'http' | 'file' | 'poller'; ref: string; source?: string };
  reason: string;
  problems?: FieldProblem[];
  /** The record as received (UTF-8 text; base64 when it was not valid text). */
  raw: string;
  rawEncoding: 'utf8' | 'base64';
  at: string;
}

export function deadLetter(
  origin: DeadLetter['origin'],
  reason: string,
  raw: Buffer | string,
  problems?: FieldProblem[],
): DeadLetter {
  const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const text = buf.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(buf);
  return {
    origin,
    reason,
    ...(problems && problems.length > 0 ? { problems } : {}),
    raw: isText ? text : buf.toString('base64'),
    rawEncoding: isText ? 'utf8' : 'base64',
    at: new Date().toISOString(),
  };
}
