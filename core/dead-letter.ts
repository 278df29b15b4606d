import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FieldProblem } from './events/common.js';
import type { EventProducer, OutgoingMessage } from './kafka.js';

/**
 * Largest dead letter written, as serialised JSON. Kafka refuses a record batch above the broker's
 * `message.max.bytes` (1 MiB by default): a letter that cannot be written would fail its batch for
 * ever, so a bigger raw payload is cut (its size and SHA-256 kept) and letters are sent in groups
 * below this size.
 */
export const DEAD_LETTER_MAX_BYTES = 900_000;
/** How much of an oversized raw payload a letter keeps, to show what it was. */
const TRUNCATED_RAW_BYTES = 64 * 1024;
/** Header of a record re-sent by `baton dead-letters redrive`: the id of the letter it came from. */
export const REDRIVE_HEADER = 'baton-redrive-of';

/** What lands on the dead-letter topic: enough to see why, find the origin and re-drive it. */
export interface DeadLetter {
  /** Where the record came from: a topic position, an HTTP route, a file line, a poller page. */
  origin: {
    kind: 'kafka' | 'http' | 'file' | 'poller';
    ref: string;
    source?: string;
    /** Set when the record was re-driven from an earlier letter (its id) and failed again. */
    redriveOf?: string;
  };
  reason: string;
  problems?: FieldProblem[];
  /** The record as received (UTF-8 text; base64 when it was not valid text). */
  raw: string;
  rawEncoding: 'utf8' | 'base64';
  /** Present when `raw` holds only the start of a payload too big to keep whole. */
  truncated?: { bytes: number; sha256: string };
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
  const letter: DeadLetter = {
    origin,
    reason,
    ...(problems && problems.length > 0 ? { problems: problems.slice(0, 100) } : {}),
    raw: isText ? text : buf.toString('base64'),
    rawEncoding: isText ? 'utf8' : 'base64',
    at: new Date().toISOString(),
  };
  if (Buffer.byteLength(JSON.stringify(letter), 'utf8') <= DEAD_LETTER_MAX_BYTES) return letter;
  const head = buf.subarray(0, TRUNCATED_RAW_BYTES);
  return {
    ...letter,
    raw: head.toString('base64'),
    rawEncoding: 'base64',
    truncated: { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') },
  };
}

/** The Kafka record of a letter: keyed by its origin, so letters of one origin stay in order. */
export function deadLetterMessage(letter: DeadLetter): OutgoingMessage {
  return { key: letter.origin.ref, value: JSON.stringify(letter) };
}

/** Sends letters in groups below the broker's record-batch limit; resolves once all were acknowledged. */
export async function sendDeadLetters(
  producer: Pick<EventProducer, 'send'>,
  topic: string,
  letters: readonly DeadLetter[],
): Promise<void> {
  let group: OutgoingMessage[] = [];
  let size = 0;
  for (const letter of letters) {
    const message = deadLetterMessage(letter);
    const bytes = Buffer.byteLength(message.value, 'utf8') + Buffer.byteLength(message.key, 'utf8') + 64;
    if (group.length > 0 && size + bytes > DEAD_LETTER_MAX_BYTES) {
      await producer.send(topic, group);
      group = [];
      size = 0;
    }
    group.push(message);
    size += bytes;
  }
  if (group.length > 0) await producer.send(topic, group);
}

/** A letter as read back from the dead-letter topic (written by this or an older version). */
export const deadLetterSchema = z.object({
  origin: z.object({
    kind: z.enum(['kafka', 'http', 'file', 'poller']),
    ref: z.string(),
    source: z.string().optional(),
    redriveOf: z.string().optional(),
  }),
  reason: z.string(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  raw: z.string(),
  rawEncoding: z.enum(['utf8', 'base64']),
  truncated: z.object({ bytes: z.number(), sha256: z.string() }).optional(),
  at: z.string(),
});
