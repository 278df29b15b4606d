import { toClickHouseTime } from '../../core/clickhouse.js';
import type { DeadLetter } from '../../core/dead-letter.js';

// A transform's dead letters, also as rows of the `dead_letters` table, so the Pipeline Health
// dashboard can count them per topic and reason from ClickHouse alone.

/** The start of the raw record kept in the table; the whole record stays on the dead-letter topic. */
export const RAW_PREVIEW_CHARS = 500;

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The reason without what is specific to one record (a JSON parser's position, the key that did
 * not match), so records that failed the same way group together: the text before the first `:`
 * or quoted value.
 */
export function reasonKind(reason: string): string {
  const cut = reason.search(/[:"]/);
  const head = (cut === -1 ? reason : reason.slice(0, cut)).trim();
  return head.length > 0 ? head : reason.trim();
}

/** The record's position is its id: a redone batch writes the same id, which the table collapses. */
export function deadLetterId(position: RecordPosition): string {
  return `${position.topic}/${position.partition}/${position.offset}`;
}

export function deadLetterRow(letter: DeadLetter, position: RecordPosition): Record<string, unknown> {
  return {
    id: deadLetterId(position),
    topic: position.topic,
    partition: position.partition,
    offset: position.offset,
    family: letter.origin.source ?? '',
    reason_kind: reasonKind(letter.reason),
    reason: letter.reason,
    problems: letter.problems ? JSON.stringify(letter.problems) : '',
    raw_preview: letter.raw.slice(0, RAW_PREVIEW_CHARS),
    raw_encoding: letter.rawEncoding,
    dead_lettered_at: toClickHouseTime(new Date(letter.at)),
  };
}
