import { z } from 'zod';
import type { Config } from '../core/config.js';
import { type DeadLetter, deadLetterSchema, REDRIVE_HEADER } from '../core/dead-letter.js';
import type { IncomingMessage, MessageBus, OutgoingMessage } from '../core/kafka.js';
import { type TopicKey, topicName } from '../core/topics.js';

// `baton dead-letters list|redrive`: what the dead-letter topic holds, and re-sending a letter's raw
// record to the topic it came from once the cause is fixed (a mapping, a schema, a code change).
// The topic is read from its start up to its end as of the command; a redrive appends a receipt
// naming the letters it re-sent, so `--all` never re-sends a letter twice. A re-sent record that
// fails again becomes a new letter pointing at the old one (`origin.redriveOf`); `--all` gives up
// on a record after MAX_REDRIVES attempts, so nothing bounces between the topics for ever. A
// record that is processed after a redrive is counted once: its event id is the one it always had.

/** Re-sends of one record `--all` attempts before leaving it to an explicit `--id`. */
export const MAX_REDRIVES = 3;
/** Key and header of the receipts a redrive appends to the dead-letter topic. */
const RECEIPT_KEY = 'baton:redrive-receipt';
const RECEIPT_HEADER = 'baton-record';

const receiptSchema = z.object({
  redriven: z.array(z.string()),
  at: z.string(),
});

/** The canonical topics a letter may be re-sent to, and the field that keys each. */
const redriveTargets: { key: TopicKey; idField: string }[] = [
  { key: 'ticketEvents', idField: 'ticketId' },
  { key: 'fieldJobEvents', idField: 'jobId' },
  { key: 'rosterEvents', idField: 'agentId' },
];

export interface ListedLetter {
  /** `<partition>:<offset>` on the dead-letter topic. */
  id: string;
  letter: DeadLetter;
  /** A redrive already re-sent this letter's record (a receipt names it). */
  redriven: boolean;
  /** How many re-sends of the same record came before this letter. */
  attempt: number;
}

export interface DeadLetterScan {
  letters: ListedLetter[];
  /** Records of the topic that are neither a letter nor a receipt. */
  unreadable: number;
  /** Letters of a record already seen at the same origin (a batch redone after a crash). */
  repeated: number;
}

/**
 * Every letter on the dead-letter topic, oldest first, one per origin record (a batch redone
 * after a crash may have written its letters twice), with what redrives already did.
 */
export async function scanDeadLetters(
  config: Config,
  bus: MessageBus,
  opts: { timeoutMs?: number } = {},
): Promise<DeadLetterScan> {
  const letters: ListedLetter[] = [];
  const redriven = new Set<string>();
  const byKafkaOrigin = new Set<string>();
  let unreadable = 0;
  let repeated = 0;
  const read = (m: IncomingMessage & { partition: number }) => {
    const id = `${m.partition}:${m.offset}`;
    let json: unknown;
    try {
      json = JSON.parse(m.value?.toString('utf8') ?? '');
    } catch {
      unreadable++;
      return;
    }
    if (m.headers[RECEIPT_HEADER] === 'redrive-receipt') {
      const receipt = receiptSchema.safeParse(json);
      if (receipt.success) for (const r of receipt.data.redriven) redriven.add(r);
      else unreadable++;
      return;
    }
    const parsed = deadLetterSchema.safeParse(json);
    if (!parsed.success) {
      unreadable++;
      return;
    }
    const letter = parsed.data as DeadLetter;
    if (letter.origin.kind === 'kafka') {
      if (byKafkaOrigin.has(letter.origin.ref)) {
        repeated++;
        return;
      }
      byKafkaOrigin.add(letter.origin.ref);
    }
    letters.push({ id, letter, redriven: false, attempt: 0 });
  };
  await bus.readTopic(topicName(config, 'deadLetter'), read, opts);
  const byId = new Map(letters.map((l) => [l.id, l]));
  for (const l of letters) {
    l.redriven = redriven.has(l.id);
    // Follows the chain of re-sends back to the first letter; bounded in case of a cycle.
    let previous = l.letter.origin.redriveOf;
    while (previous !== undefined && l.attempt < letters.length) {
      l.attempt++;
      previous = byId.get(previous)?.letter.origin.redriveOf;
    }
  }
  return { letters, unreadable, repeated };
}

export interface ListOptions {
  limit: number;
  reason?: string;
}

/** The newest `limit` letters whose reason contains `reason` (case-insensitive), oldest first. */
export function selectForList(scan: DeadLetterScan, opts: ListOptions): ListedLetter[] {
  const needle = opts.reason?.toLowerCase();
  const matching = scan.letters.filter((l) => !needle || l.letter.reason.toLowerCase().includes(needle));
  return opts.limit > 0 ? matching.slice(-opts.limit) : matching;
}

/** One line per letter for a terminal: id, when, where from, why, and the start of the record. */
export function formatLetter(l: ListedLetter): string {
  const { letter } = l;
  const preview = letter.truncated
    ? `[${letter.truncated.bytes} bytes, cut]`
    : JSON.stringify(letter.raw.length > 80 ? `${letter.raw.slice(0, 80)}…` : letter.raw);
  const flags = [l.redriven ? 'redriven' : '', l.attempt > 0 ? `attempt ${l.attempt + 1}` : '']
    .filter(Boolean)
    .join(', ');
  return [
    l.id,
    letter.at,
    `${letter.origin.kind} ${letter.origin.ref}`,
    letter.reason,
    ...(letter.problems ? [letter.problems.map((p) => `${p.path}: ${p.message}`).join('; ')] : []),
    ...(flags ? [`(${flags})`] : []),
    preview,
  ].join('\t');
}

export interface RedriveOptions {
  /** Letters by id; when absent, every letter not yet redriven (and below MAX_REDRIVES attempts). */
  ids?: readonly string[];
  reason?: string;
  dryRun: boolean;
}

export interface RedrivePlanItem {
  id: string;
  topic: string;
  key: string;
}

export interface RedriveResult {
  sent: RedrivePlanItem[];
  skipped: { id: string; why: string }[];
}

/** Where a letter's record goes back to, or why it cannot. */
export function redriveTarget(
  config: Config,
  l: ListedLetter,
): { ok: true; item: RedrivePlanItem; value: Buffer } | { ok: false; why: string } {
  const { letter } = l;
  if (letter.origin.kind !== 'kafka') {
    return {
      ok: false,
      why: `it came from ${letter.origin.kind} (${letter.origin.ref}): send it again from its source`,
    };
  }
  if (letter.truncated) {
    return { ok: false, why: `only the start of its ${letter.truncated.bytes}-byte record was kept` };
  }
  const topic = letter.origin.ref.slice(0, letter.origin.ref.indexOf(':'));
  const target = redriveTargets.find((t) => topicName(config, t.key) === topic);
  if (!target) return { ok: false, why: `its topic "${topic}" is not an event topic of this deployment` };
  const value = Buffer.from(letter.raw, letter.rawEncoding === 'base64' ? 'base64' : 'utf8');
  // The entity's id keys the record, as every producer of the topic does; a record without one
  // keeps its origin as key and is dead-lettered again with the reason.
  let key = letter.origin.ref;
  try {
    const json: unknown = JSON.parse(value.toString('utf8'));
    const id =
      typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[target.idField] : null;
    if (typeof id === 'string' && id.length > 0) key = id;
  } catch {
    // not JSON: it will be dead-lettered again, which is what the operator asked to see
  }
  return { ok: true, item: { id: l.id, topic, key }, value };
}

/** Re-sends the chosen letters' records (acks=all), then appends a receipt naming them. */
export async function redriveDeadLetters(
  config: Config,
  bus: MessageBus,
  scan: DeadLetterScan,
  opts: RedriveOptions,
): Promise<RedriveResult> {
  const needle = opts.reason?.toLowerCase();
  const byId = new Map(scan.letters.map((l) => [l.id, l]));
  const skipped: RedriveResult['skipped'] = [];
  let chosen: ListedLetter[];
  if (opts.ids) {
    chosen = [];
    for (const id of opts.ids) {
      const l = byId.get(id);
      if (l) chosen.push(l);
      else skipped.push({ id, why: 'no letter has this id' });
    }
  } else {
    chosen = scan.letters.filter((l) => {
      if (needle && !l.letter.reason.toLowerCase().includes(needle)) return false;
      if (l.redriven) return false;
      if (l.attempt >= MAX_REDRIVES) {
        skipped.push({ id: l.id, why: `re-sent ${l.attempt} times already; re-send it with --id` });
        return false;
      }
      return true;
    });
  }
  if (needle && opts.ids) chosen = chosen.filter((l) => l.letter.reason.toLowerCase().includes(needle));

  const byTopic = new Map<string, OutgoingMessage[]>();
  const sent: RedrivePlanItem[] = [];
  for (const l of chosen) {
    const target = redriveTarget(config, l);
    if (!target.ok) {
      skipped.push({ id: l.id, why: target.why });
      continue;
    }
    sent.push(target.item);
    const list = byTopic.get(target.item.topic) ?? [];
    list.push({
      key: target.item.key,
      value: target.value.toString('utf8'),
      headers: { [REDRIVE_HEADER]: l.id },
    });
    byTopic.set(target.item.topic, list);
  }
  if (opts.dryRun || sent.length === 0) return { sent, skipped };

  const producer = await bus.createProducer();
  try {
    // One record at a time per topic: a letter may be close to the broker's size limit.
    for (const [topic, messages] of byTopic) for (const m of messages) await producer.send(topic, [m]);
    await producer.send(topicName(config, 'deadLetter'), [
      {
        key: RECEIPT_KEY,
        value: JSON.stringify({ redriven: sent.map((s) => s.id), at: new Date().toISOString() }),
        headers: { [RECEIPT_HEADER]: 'redrive-receipt' },
      },
    ]);
  } finally {
    await producer.disconnect();
  }
  return { sent, skipped };
}
