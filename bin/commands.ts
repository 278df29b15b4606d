import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApi } from '../api/main.js';
import { createClickHouse } from '../core/clickhouse.js';
import { type Config, loadConfig } from '../core/config.js';
import { createMessageBus } from '../core/kafka.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createPipelineMetrics, serveMetrics } from '../core/metrics.js';
import { projectRoot } from '../core/paths.js';
import { allTopics, topicName } from '../core/topics.js';
import { PollSetupError, runServiceNowPoll } from '../ingest/connectors/servicenow/run.js';
import { ImportUsageError, importCommand, importUsage } from '../ingest/importers/cli.js';
import { ImportInterruptedError } from '../ingest/importers/run.js';
import { startGateway } from '../ingest/main.js';
import { runSimulation } from '../ingest/simulator/run.js';
import { migrateDatabase } from '../sql/migrate.js';
import { fieldJobFamily, fieldJobProjections } from '../transforms/field/family.js';
import { ticketFamily, ticketProjections } from '../transforms/lifecycle/family.js';
import { startTransforms } from '../transforms/main.js';
import { replayFamily } from '../transforms/replay.js';
import { rosterFamily, rosterProjections } from '../transforms/roster/family.js';
import { loadSlaSettings } from '../transforms/sla/settings.js';

export interface Command {
  summary: string;
  usage: string;
  /** Log to this file under the project root instead of stdout, keeping the terminal for the command's own output. */
  logFile?: string;
  run(args: string[], ctx: { config: Config; logger: Logger }): Promise<void>;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
function untilStopped(): { signal: AbortSignal; stopped: Promise<void> } {
  const controller = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      controller.abort();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return { signal: controller.signal, stopped };
}

function intOption(value: string | undefined, name: string, def: number, min = 0): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

const simulateOptions = {
  seed: { type: 'string', default: '42' },
  tenant: { type: 'string', default: 'demo' },
  'backfill-hours': { type: 'string', default: String(14 * 24) },
  follow: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

async function simulate(
  values: { seed?: string; tenant?: string; 'backfill-hours'?: string; follow?: boolean },
  config: Config,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const bus = createMessageBus(config, logger);
  const metricsServer =
    config.METRICS_PORT > 0
      ? await serveMetrics(
          createPipelineMetrics('baton-simulate').registry,
          config.METRICS_HOST,
          config.METRICS_PORT,
        )
      : null;
  try {
    await bus.ensureTopics(allTopics(config));
    const producer = await bus.createProducer();
    const { emitted } = await runSimulation({
      seed: intOption(values.seed, 'seed', 42),
      tenant: values.tenant ?? 'demo',
      backfillHours: intOption(values['backfill-hours'], 'backfill-hours', 336),
      follow: values.follow ?? false,
      producer,
      topic: topicName(config, 'ticketEvents'),
      logger,
      ...(signal ? { signal } : {}),
    });
    logger.info({ emitted }, 'simulation finished');
  } finally {
    metricsServer?.close();
    await bus.close();
  }
}

export const commands: Record<string, Command> = {
  migrate: {
    summary: 'create the database and apply pending migrations from sql/migrations',
    usage: 'baton migrate',
    async run(_args, { config, logger }) {
      const { applied, skipped } = await migrateDatabase(config, logger);
      logger.info({ applied, alreadyApplied: skipped.length }, 'database is up to date');
    },
  },
  ingest: {
    summary: 'serve the ingest gateway: canonical event batches and vendor webhooks, into Kafka',
    usage: 'baton ingest   (listens on INGEST_HOST:INGEST_PORT, default 127.0.0.1:8090)',
    async run(_args, { config, logger }) {
      const { stopped } = untilStopped();
      const gateway = await startGateway(config, logger);
      logger.info({ url: gateway.url }, 'ingest gateway listening');
      await stopped;
      await gateway.stop();
    },
  },
  transforms: {
    summary: 'consume canonical events from Kafka and maintain the metric tables in ClickHouse',
    usage: 'baton transforms',
    async run(_args, { config, logger }) {
      const { stopped } = untilStopped();
      const running = await startTransforms(config, logger);
      await stopped;
      await running.stop();
    },
  },
  api: {
    summary: 'serve the HTTP API (metrics, health) on API_HOST:API_PORT',
    usage: 'baton api',
    async run(_args, { config, logger }) {
      const { stopped } = untilStopped();
      const api = await startApi(config, logger);
      logger.info({ url: api.url }, 'api listening');
      await stopped;
      await api.stop();
    },
  },
  replay: {
    summary:
      'recompute the derived tables of every entity with events in a time range (after a definition change)',
    usage:
      'baton replay --from ISO --to ISO [--tenant NAME]\n' +
      '  --from, --to  the range of event times whose entities are recomputed (whole histories are used)\n' +
      '  --tenant      only this tenant (default: all)',
    async run(args, { config, logger }) {
      const { values } = parseArgs({
        args,
        options: {
          from: { type: 'string' },
          to: { type: 'string' },
          tenant: { type: 'string', default: '' },
        },
        strict: true,
      });
      const from = new Date(values.from ?? '');
      const to = new Date(values.to ?? '');
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
        throw new UsageError('--from and --to must be ISO-8601 instants with --from before --to');
      }
      const ch = createClickHouse(config, { application: 'baton-replay' });
      const range = { from, to, tenant: values.tenant };
      const report = (name: string, r: { entities: number; rowsWritten: Record<string, number> }) =>
        process.stdout.write(`replayed ${r.entities} ${name}: ${JSON.stringify(r.rowsWritten)}\n`);
      try {
        const settings = loadSlaSettings(config);
        report('tickets', await replayFamily(ch, ticketFamily, ticketProjections(settings), range, logger));
        report('field jobs', await replayFamily(ch, fieldJobFamily, fieldJobProjections, range, logger));
        report('agents', await replayFamily(ch, rosterFamily, rosterProjections, range, logger));
      } finally {
        await ch.close();
      }
    },
  },
  simulate: {
    summary: 'produce a seeded multi-region operation into Kafka (history, then optionally live)',
    usage:
      'baton simulate [--seed N] [--tenant NAME] [--backfill-hours N] [--follow]\n' +
      '  --seed N            the same seed gives the same tickets and event ids (default 42)\n' +
      '  --tenant NAME       tenant the tickets belong to (default demo)\n' +
      '  --backfill-hours N  hours of history produced at once (default 336 = two weeks)\n' +
      '  --follow            then keep producing events as their time comes, until Ctrl-C',
    async run(args, { config, logger }) {
      const { values } = parseArgs({ args, options: simulateOptions, strict: true });
      const { signal } = untilStopped();
      await simulate(values, config, logger, signal);
    },
  },
  poll: {
    summary: 'incrementally sync a ticketing system through its API into Kafka (servicenow)',
    usage:
      'baton poll servicenow --instance-url URL [--tenant T] [--once] [--interval-seconds N]\n' +
      '                      [--page-size N] [--since ISO]\n' +
      '  --instance-url URL      e.g. https://acme.service-now.com (default SERVICENOW_INSTANCE_URL)\n' +
      '  --tenant T              tenant the tickets belong to (default INGEST_DEFAULT_TENANT)\n' +
      '  --once                  poll until caught up, then exit (default: keep polling)\n' +
      '  --interval-seconds N    pause between polls (default SERVICENOW_POLL_INTERVAL_SECONDS, 60)\n' +
      '  --page-size N           records per Table API request (default SERVICENOW_PAGE_SIZE, 500)\n' +
      '  --since ISO             where to start when no cursor is stored yet (default: everything)\n' +
      '  credentials: SERVICENOW_USER + SERVICENOW_PASSWORD (Basic) or SERVICENOW_TOKEN (OAuth bearer);\n' +
      '  the cursor is kept in ClickHouse (connector_state), so a restart resumes where it stopped',
    async run(args, { config, logger }) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        strict: true,
        options: {
          'instance-url': { type: 'string' },
          tenant: { type: 'string' },
          once: { type: 'boolean', default: false },
          'interval-seconds': { type: 'string' },
          'page-size': { type: 'string' },
          since: { type: 'string' },
        },
      });
      if (positionals.length !== 1 || positionals[0] !== 'servicenow')
        throw new UsageError(`the source to poll is "servicenow", got "${positionals.join(' ')}"`);
      const instanceUrl = values['instance-url'] ?? config.SERVICENOW_INSTANCE_URL;
      if (!instanceUrl || !URL.canParse(instanceUrl)) throw new UsageError('--instance-url must be a URL');
      if (values.since !== undefined && Number.isNaN(Date.parse(values.since)))
        throw new UsageError(`--since must be an ISO-8601 date-time, got "${values.since}"`);
      const { signal } = untilStopped();
      try {
        const result = await runServiceNowPoll(config, logger, {
          instanceUrl,
          tenant: values.tenant ?? config.INGEST_DEFAULT_TENANT,
          once: values.once ?? false,
          intervalSeconds: intOption(
            values['interval-seconds'],
            'interval-seconds',
            config.SERVICENOW_POLL_INTERVAL_SECONDS,
            1,
          ),
          pageSize: intOption(values['page-size'], 'page-size', config.SERVICENOW_PAGE_SIZE, 1),
          ...(values.since ? { since: values.since } : {}),
          signal,
        });
        if (result) {
          process.stdout.write(
            `pages ${result.pages}, records ${result.records}, events ${result.events}, ` +
              `dead letters ${result.deadLetters}, cursor ${result.cursor.updatedOn}\n`,
          );
        }
      } catch (err) {
        if (err instanceof PollSetupError) throw new UsageError(err.message);
        throw err;
      }
    },
  },
  import: {
    summary:
      'import a file (BPIC 2013 log, ServiceNow export, roster, or any CSV/JSONL via a preset) into Kafka',
    usage: importUsage,
    async run(args, ctx) {
      try {
        await importCommand(args, ctx);
      } catch (err) {
        if (err instanceof ImportUsageError) throw new UsageError(err.message);
        if (err instanceof ImportInterruptedError) process.stderr.write(`baton import: ${err.message}\n`);
        throw err;
      }
    },
  },
  demo: {
    logFile: '.cache/logs/demo.log',
    summary: 'run everything on the local stack with simulated data, and print where to look',
    usage:
      'baton demo [--seed N] [--backfill-hours N]\n' +
      '  migrates, starts the ingest gateway, transforms and the API, backfills history and keeps\n' +
      '  simulating until Ctrl-C',
    async run(args, { config, logger }) {
      const { values } = parseArgs({ args, options: simulateOptions, strict: true });
      const { signal, stopped } = untilStopped();
      await migrateDatabase(config, logger);
      const transforms = await startTransforms(config, logger);
      const gateway = await startGateway(config, logger);
      const api = await startApi(config, logger);
      // One process here: the transforms own the metrics port, if any.
      const simulation = simulate(
        { ...values, follow: true },
        { ...config, METRICS_PORT: 0 },
        logger,
        signal,
      );
      const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
      const from = new Date(to.getTime() - 7 * 86_400_000);
      const lines = [
        '',
        'Baton is running.',
        `  API              ${api.url}`,
        `  health           ${api.url}/readyz`,
        `  OpenAPI          ${api.url}/openapi.json`,
        `  ingest gateway   ${gateway.url}/v1/events  (POST canonical events; vendor webhooks under /v1/webhooks/)`,
        `  backlog (APAC)   ${api.url}/v1/metrics/backlog?region=APAC&interval=day&from=${from.toISOString()}&to=${to.toISOString()}`,
        `  backlog (hourly) ${api.url}/v1/metrics/backlog?from=${new Date(to.getTime() - 86_400_000).toISOString()}&to=${to.toISOString()}`,
        `  logs             ${commands.demo!.logFile}`,
        'Press Ctrl-C to stop.',
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      await stopped;
      process.stdout.write('stopping ...\n');
      await simulation.catch((err: unknown) => logger.error({ err }, 'simulation failed'));
      await api.stop();
      await gateway.stop();
      await transforms.stop();
    },
  },
};

export const commandNames = Object.keys(commands);

export function helpText(): string {
  const width = Math.max(...commandNames.map((c) => c.length));
  return [
    'baton — delivery-health pipeline for multi-region service providers',
    '',
    'usage: baton <command> [options]',
    '',
    'commands:',
    ...commandNames.map((c) => `  ${c.padEnd(width)}  ${commands[c]!.summary}`),
    '',
    'configuration comes from the environment (KAFKA_BROKERS, CLICKHOUSE_URL, ...); see the README.',
    "run 'baton <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${helpText()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`baton: unknown command "${name}"\n\n${helpText()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`baton: ${(err as Error).message}\n`);
    return 2;
  }
  const logger = createLogger(
    config,
    `baton-${name}`,
    command.logFile ? join(projectRoot, command.logFile) : undefined,
  );
  try {
    await command.run(args, { config, logger });
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`baton ${name}: ${(err as Error).message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (
      (err as { type?: string }).type === 'UNKNOWN_TABLE' ||
      (err as { type?: string }).type === 'UNKNOWN_DATABASE'
    ) {
      process.stderr.write(
        `baton ${name}: ${(err as Error).message}: is the database migrated? run 'baton migrate'\n`,
      );
      return 1;
    }
    logger.error({ err }, `${name} failed`);
    if (command.logFile) {
      process.stderr.write(`baton ${name}: ${(err as Error).message} (details in ${command.logFile})\n`);
    }
    return 1;
  }
}
