import { z } from 'zod';
import { glideDateTime } from './poller-schema.js';

// The incremental-sync cursor of a Table API poller: the last `sys_updated_on` handled and which
// versions of which records were handled at exactly that second. The next query asks for
// `sys_updated_on >= cursor` (the Table API's date-times have one-second precision, so `>` would
// lose records updated later in the same second) and skips what `seen` lists, so a timestamp
// shared across a page boundary or across polls is neither lost nor doubled. A record updated
// again within the same second has a new sys_mod_count and so is not skipped.

export const cursorSchema = z.object({
  /** `yyyy-MM-dd HH:mm:ss` UTC, the Table API's stored form. */
  updatedOn: z.string().regex(glideDateTime),
  /** sys_id → sys_mod_count of the records handled at `updatedOn`. */
  seen: z.record(z.string(), z.string()),
});
export type TableCursor = z.infer<typeof cursorSchema>;

export const EPOCH_CURSOR: TableCursor = { updatedOn: '1970-01-01 00:00:00', seen: {} };

/** A cursor starting at an instant (ISO-8601 with an offset), nothing seen yet. */
export function cursorFrom(iso: string): TableCursor {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a date-time: ${iso}`);
  return { updatedOn: new Date(ms).toISOString().slice(0, 19).replace('T', ' '), seen: {} };
}

/** The encoded query of the next page: newest-first never, oldest change first, sys_id breaking ties. */
export function cursorQuery(cursor: TableCursor): string {
  return `sys_updated_on>=${cursor.updatedOn}^ORDERBYsys_updated_on^ORDERBYsys_id`;
}

export interface RecordPosition {
  sysId: string;
  updatedOn: string;
  modCount: string;
}

export function isSeen(cursor: TableCursor, r: RecordPosition): boolean {
  return r.updatedOn === cursor.updatedOn && cursor.seen[r.sysId] === r.modCount;
}

/** The cursor after `handled` (records of one page, all acknowledged or dead-lettered). */
export function advanceCursor(cursor: TableCursor, handled: readonly RecordPosition[]): TableCursor {
  let updatedOn = cursor.updatedOn;
  for (const r of handled) if (r.updatedOn > updatedOn) updatedOn = r.updatedOn;
  const seen: Record<string, string> = updatedOn === cursor.updatedOn ? { ...cursor.seen } : {};
  for (const r of handled) if (r.updatedOn === updatedOn) seen[r.sysId] = r.modCount;
  return { updatedOn, seen };
}
