import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApi } from '../api/main.js';
import { createApiKey, createDemoKeyFile } from '../core/api-keys.js';
import { createClickHouse } from '../core/clickhouse.js';
import { type Config, loadConfig } from '../core/config.js';
import { createMessageBus } from '../core/kafka.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createPipelineMetrics, serveMetrics } from '../core/metrics.js';
import { projectRoot } from '../core/paths.js';
import { allTopics } from '../core/topics.js';
import { PollSetupError, runServiceNowPoll } from '../ingest/connectors/servicenow/run.js';
import { ImportUsageError, importCommand, importUsage } from '../ingest/importers/cli.js';
import { ImportInterruptedError } from '../ingest/importers/run.js';
import { startGateway } from '../ingest/main.js';
import { scenarioNames, scenarioSummaries } from '../ingest/simulator/model.js';
import {
  type EventTarget,
  gatewayTarget,
  kafkaTarget,
  runAtRate,
  runSimulation,
} from '../ingest/simulator/run.js';
import { createEventSink } from '../ingest/sink.js';
import { migrateDatabase } from '../sql/migrate.js';
import { fieldJobFamily, fieldJobProjections } from '../transforms/field/family.js';
import { startTransforms } from '../transforms/main.js';
import { replayFamily, replayTickets } from '../transforms/replay.js';
import { rosterFamily, rosterProjections } from '../transforms/roster/family.js';
import { loadSlaSettings } from '../transforms/sla/settings.js';
import { DeadLettersUsageError, deadLettersCommand, deadLettersUsage } from './dead-letters.js';
import { KeysUsageError, keysCommand, keysUsage } from './keys.js';

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
  scenario: { type: 'string', default: 'none' },
  weeks: { type: 'string' },
  'backfill-hours': { type: 'string' },
  anchor: { type: 'string' },
  scale: { type: 'string', default: '1' },
  follow: { type: 'boolean', default: false },
  rate: { type: 'string' },
  duration: { type: 'string', default: '60' },
  via: { type: 'string', default: 'kafka' },
  'gateway-url': { type: 'string' },
  'api-key': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type SimulateValues = {
  [K in keyof typeof simulateOptions]?: (typeof simulateOptions)[K]['type'] extends 'boolean'
    ? boolean
    : string;
};

const simulateUsage =
  'baton simulate [--seed N] [--tenant NAME] [--scenario NAME] [--weeks N | --backfill-hours N]\n' +
  '               [--anchor ISO] [--scale X] [--follow | --rate N --duration S]\n' +
  '               [--via kafka|gateway --gateway-url URL --api-key KEY]\n' +
  '  --seed N            the same seed gives the same operation, event for event, id for id (default 42)\n' +
  '  --tenant NAME       tenant everything belongs to (default demo)\n' +
  `  --scenario NAME     ${scenarioNames.join(' | ')} (default none):\n` +
  scenarioNames.map((n) => `                        ${n}: ${scenarioSummaries[n]}\n`).join('') +
  '  --weeks N           weeks of history produced at once (default 2)\n' +
  '  --backfill-hours N  the same in hours (wins over --weeks)\n' +
  "  --anchor ISO        where the scenario's story ends (default: today 00:00 UTC); its effects build\n" +
  '                      over the week before and stay after. Keep it when resuming on a later day\n' +
  '  --scale X           multiplies ticket arrivals (default 1: ~190 tickets a day over three regions)\n' +
  '  --follow            after the history, keep producing events as their time comes, until Ctrl-C\n' +
  '  --rate N            benchmark mode: send N events per second, whatever their timestamps,\n' +
  '  --duration S        for S seconds (default 60)\n' +
  '  --via kafka         write to Kafka directly (default); gateway: POST batches to --gateway-url\n' +
  '                      (default http://INGEST_HOST:INGEST_PORT) with --api-key if it wants one';

function parseSimulation(values: SimulateValues, now: number) {
  const scenario = scenarioNames.find((n) => n === values.scenario);
  if (!scenario)
    throw new UsageError(`--scenario must be one of ${scenarioNames.join(', ')}, got "${values.scenario}"`);
  const scale = Number(values.scale ?? '1');
  if (!Number.isFinite(scale) || scale <= 0 || scale > 50)
    throw new UsageError(`--scale must be a number in (0, 50], got "${values.scale}"`);
  let anchor = Math.floor(now / 86_400_000) * 86_400_000;
  if (values.anchor !== undefined) {
    anchor = Date.parse(values.anchor);
    if (Number.isNaN(anchor))
      throw new UsageError(`--anchor must be an ISO-8601 date or date-time, got "${values.anchor}"`);
  }
  const backfillHours =
    values['backfill-hours'] !== undefined
      ? intOption(values['backfill-hours'], 'backfill-hours', 336)
      : intOption(values.weeks, 'weeks', 2) * 7 * 24;
  if (values.via !== 'kafka' && values.via !== 'gateway')
    throw new UsageError(`--via must be kafka or gateway, got "${values.via}"`);
  if (values['gateway-url'] !== undefined && !URL.canParse(values['gateway-url']))
    throw new UsageError('--gateway-url must be a URL');
  return {
    generator: {
      seed: intOption(values.seed, 'seed', 42),
      tenant: values.tenant ?? 'demo',
      scenario,
      anchor,
      ticketScale: scale,
    },
    backfillHours,
    rate: values.rate === undefined ? null : intOption(values.rate, 'rate', 1, 1),
    durationSeconds: intOption(values.duration, 'duration', 60, 1),
  };
}

async function simulate(
  values: SimulateValues,
  config: Config,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const plan = parseSimulation(values, Date.now());
  const bus = createMessageBus(config, logger);
  const metricsServer =
    config.METRICS_PORT > 0
      ? await serveMetrics(
          createPipelineMetrics('baton-simulate').registry,
          config.METRICS_HOST,
          config.METRICS_PORT,
        )
      : null;
  let target: EventTarget;
  if (values.via === 'gateway') {
    target = gatewayTarget(values['gateway-url'] ?? `http://${config.INGEST_HOST}:${config.INGEST_PORT}`, {
      ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
      logger,
      ...(signal ? { signal } : {}),
    });
  } else {
    await bus.ensureTopics(allTopics(config));
    target = kafkaTarget(createEventSink(config, bus, logger));
  }
  try {
    logger.info(
      { ...plan.generator, anchor: new Date(plan.generator.anchor).toISOString(), via: values.via },
      'simulation starting',
    );
    if (plan.rate !== null) {
      const { emitted, seconds } = await runAtRate({
        generator: plan.generator,
        target,
        logger,
        rate: plan.rate,
        durationSeconds: plan.durationSeconds,
        from: Date.now() - plan.backfillHours * 3_600_000,
        ...(signal ? { signal } : {}),
      });
      process.stdout.write(
        `sent ${emitted} events in ${seconds.toFixed(1)} s (${(emitted / seconds).toFixed(0)}/s)\n`,
      );
      return;
    }
    const { emitted } = await runSimulation({
      generator: plan.generator,
      target,
      backfillHours: plan.backfillHours,
      follow: values.follow ?? false,
      logger,
      ...(signal ? { signal } : {}),
    });
    logger.info({ emitted }, 'simulation finished');
    if (!values.follow) {
      process.stdout.write(
        `sent ${emitted} events: ${plan.backfillHours} h of ${plan.generator.scenario} history up to now, tenant ${plan.generator.tenant}\n`,
      );
    }
  } finally {
    metricsServer?.close();
    await target.close();
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
        report('tickets', await replayTickets(ch, settings, range, logger));
        report('field jobs', await replayFamily(ch, fieldJobFamily, fieldJobProjections, range, logger));
        report('agents', await replayFamily(ch, rosterFamily, rosterProjections, range, logger));
      } finally {
        await ch.close();
      }
    },
  },
  simulate: {
    summary:
      'produce a seeded multi-region operation (tickets, field jobs, roster, scenarios) into Kafka: history, then live or at a fixed rate',
    usage: simulateUsage,
    async run(args, { config, logger }) {
      const { values } = parseArgs({ args, options: simulateOptions, strict: true });
      if (values.rate !== undefined && values.follow)
        throw new UsageError('--rate and --follow exclude each other');
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
  keys: {
    summary: 'create API keys (hashed into the key file, printed once) and list them',
    usage: keysUsage,
    async run(args, { config }) {
      try {
        await keysCommand(args, config);
      } catch (err) {
        if (err instanceof KeysUsageError) throw new UsageError(err.message);
        throw err;
      }
    },
  },
  'dead-letters': {
    summary: 'list the dead-letter topic, and re-send dead letters to their topics after a fix',
    usage: deadLettersUsage,
    async run(args, { config, logger }) {
      try {
        await deadLettersCommand(args, config, logger);
      } catch (err) {
        if (err instanceof DeadLettersUsageError) throw new UsageError(err.message);
        throw err;
      }
    },
  },
  demo: {
    logFile: '.cache/logs/demo.log',
    summary: 'run everything on the local stack with simulated data, and print where to look',
    usage:
      'baton demo [--scenario NAME] [--seed N] [--weeks N] [--anchor ISO] [--scale X]\n' +
      '  migrates, starts the ingest gateway, transforms and the API, backfills --weeks of history\n' +
      '  (default 3) with --scenario (default apac-backlog: the APAC backlog outgrows its headcount),\n' +
      '  keeps simulating in real time until Ctrl-C, and creates a read API key to try the API with.\n' +
      '  Running it again resumes: the same seed and anchor re-send the same events, which change\n' +
      "  nothing. Scenarios and the other options: 'baton simulate --help'",
    async run(args, { config, logger }) {
      const { values } = parseArgs({ args, options: simulateOptions, strict: true });
      const sim: SimulateValues = {
        ...values,
        scenario: args.some((a) => a.startsWith('--scenario')) ? values.scenario : 'apac-backlog',
        ...(values.weeks === undefined && values['backfill-hours'] === undefined ? { weeks: '3' } : {}),
        follow: true,
        via: 'kafka',
      };
      const plan = parseSimulation(sim, Date.now());
      const { signal, stopped } = untilStopped();
      // The API wants a key on every /v1 route: a read key in the configured key file, or in a
      // key file of the demo's own.
      const keyFile = config.API_KEYS_FILE ?? join(projectRoot, '.cache/demo-api-keys.json');
      const key = config.API_KEYS_FILE
        ? createApiKey(keyFile, { id: `demo-read-${Date.now().toString(36)}`, scopes: ['read'] }).key
        : createDemoKeyFile(keyFile, ['read']).key;
      const apiConfig = { ...config, API_KEYS_FILE: keyFile };
      await migrateDatabase(config, logger);
      const transforms = await startTransforms(config, logger);
      const gateway = await startGateway(config, logger);
      const api = await startApi(apiConfig, logger);
      // One process here: the transforms own the metrics port, if any.
      const simulation = simulate(sim, { ...config, METRICS_PORT: 0 }, logger, signal);
      const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
      const from = new Date(to.getTime() - 7 * 86_400_000);
      const anchor = new Date(plan.generator.anchor).toISOString();
      const lines = [
        '',
        `Baton is running: scenario ${plan.generator.scenario} (${scenarioSummaries[plan.generator.scenario]}),`,
        `seed ${plan.generator.seed}, tenant ${plan.generator.tenant}, story anchored at ${anchor}; history is backfilling.`,
        `  API              ${api.url}`,
        `  API docs         ${api.url}/docs`,
        `  weekly review    ${api.url}/v1/reviews/weekly.html?region=APAC`,
        `  backlog (APAC)   ${api.url}/v1/metrics/backlog?region=APAC&interval=day&from=${from.toISOString()}&to=${to.toISOString()}`,
        `  alerts           ${api.url}/v1/alerts?state=firing  (rules evaluated every ${config.ALERT_EVALUATION_INTERVAL_SECONDS} s)`,
        `  health           ${api.url}/readyz`,
        `  ingest gateway   ${gateway.url}/v1/events  (POST canonical events; vendor webhooks under /v1/webhooks/)`,
        '  Grafana          http://127.0.0.1:3000  (with docker compose)',
        `  read API key     ${key}   (in ${keyFile})`,
        `  try              curl -H 'Authorization: Bearer ${key}' '${api.url}/v1/reviews/weekly.html?region=APAC' > review.html`,
        `  resume later     npm run demo -- --anchor ${anchor}${args.length ? ` ${args.filter((a) => !a.startsWith('--anchor')).join(' ')}` : ''}`,
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
