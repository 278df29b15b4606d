import { parseArgs } from 'node:util';
import type { Config } from '../core/config.js';
import { createMessageBus } from '../core/kafka.js';
import type { Logger } from '../core/logger.js';
import { topicName } from '../core/topics.js';
import {
  formatLetter,
  MAX_REDRIVES,
  redriveDeadLetters,
  scanDeadLetters,
  selectForList,
} from '../ingest/dead-letters.js';

export class DeadLettersUsageError extends Error {
  override readonly name = 'DeadLettersUsageError';
}

export const deadLettersUsage =
  'baton dead-letters list [--limit N] [--reason TEXT] [--json]\n' +
  'baton dead-letters redrive (--id ID ... | --all) [--reason TEXT] [--dry-run]\n' +
  '  list      the letters on the dead-letter topic, oldest first: id, time, origin, reason, field\n' +
  '            problems and the start of the record (the topic is read up to its current end)\n' +
  '  redrive   re-sends the raw records of the chosen letters to the topics they came from, keyed\n' +
  '            by their entity; after a fix they are processed (once: their event ids are unchanged),\n' +
  '            otherwise they come back as new letters\n' +
  '  --limit N     the newest N letters (default 50; 0 = all)\n' +
  '  --reason TEXT only letters whose reason contains TEXT (case-insensitive)\n' +
  '  --json        one JSON object per line, with the whole letter\n' +
  '  --id ID       a letter id as listed (repeatable)\n' +
  `  --all         every letter not re-sent yet, up to ${MAX_REDRIVES} re-sends of one record\n` +
  '  --dry-run     show what would be re-sent, send nothing';

type Out = { stdout: (s: string) => void };

/** Runs `baton dead-letters ...`. */
export async function deadLettersCommand(
  args: string[],
  config: Config,
  logger: Logger,
  out: Out = { stdout: (s) => process.stdout.write(s) },
): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      limit: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
      id: { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const action = positionals[0];
  if (positionals.length !== 1 || (action !== 'list' && action !== 'redrive')) {
    throw new DeadLettersUsageError(`expected "list" or "redrive", got "${positionals.join(' ')}"`);
  }
  if (action === 'list' && (values.id || values.all || values['dry-run'])) {
    throw new DeadLettersUsageError('--id, --all and --dry-run belong to redrive');
  }
  if (action === 'redrive') {
    if (values.limit !== undefined || values.json)
      throw new DeadLettersUsageError('--limit and --json belong to list');
    if (Boolean(values.id) === values.all)
      throw new DeadLettersUsageError('redrive takes either --id ID ... or --all');
  }
  let limit = 50;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 0)
      throw new DeadLettersUsageError(`--limit must be an integer >= 0, got "${values.limit}"`);
  }

  const bus = createMessageBus(config, logger, { retries: 2 });
  try {
    const scan = await scanDeadLetters(config, bus).catch((err: unknown) => {
      if (/does not host this topic-partition/.test((err as Error).message)) {
        throw new DeadLettersUsageError(
          `the dead-letter topic ${topicName(config, 'deadLetter')} does not exist on ${config.KAFKA_BROKERS.join(',')}: ` +
            'nothing was dead-lettered there yet, or KAFKA_TOPIC_PREFIX names another deployment',
        );
      }
      throw err;
    });
    if (action === 'list') {
      const shown = selectForList(scan, { limit, ...(values.reason ? { reason: values.reason } : {}) });
      for (const l of shown) {
        out.stdout(
          values.json
            ? `${JSON.stringify({ id: l.id, redriven: l.redriven, attempt: l.attempt + 1, ...l.letter })}\n`
            : `${formatLetter(l)}\n`,
        );
      }
      if (!values.json) {
        const extra = [
          scan.repeated > 0 ? `${scan.repeated} repeated` : '',
          scan.unreadable > 0 ? `${scan.unreadable} unreadable records` : '',
        ].filter(Boolean);
        out.stdout(
          `${shown.length} of ${scan.letters.length} letters shown${extra.length ? ` (${extra.join(', ')})` : ''}\n`,
        );
      }
      return;
    }
    const result = await redriveDeadLetters(config, bus, scan, {
      ...(values.id ? { ids: values.id } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
      dryRun: values['dry-run'] ?? false,
    });
    const verb = values['dry-run'] ? 'would re-send' : 're-sent';
    for (const s of result.sent) out.stdout(`${verb} ${s.id} to ${s.topic} (key ${s.key})\n`);
    for (const s of result.skipped) out.stdout(`skipped ${s.id}: ${s.why}\n`);
    out.stdout(`${verb} ${result.sent.length}, skipped ${result.skipped.length}\n`);
  } finally {
    await bus.close();
  }
}
