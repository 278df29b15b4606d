import { createClickHouse } from '../../../core/clickhouse.js';
import type { Config } from '../../../core/config.js';
import { createMessageBus } from '../../../core/kafka.js';
import type { Logger } from '../../../core/logger.js';
import { loadMappings } from '../../../core/mapping.js';
import { allTopics } from '../../../core/topics.js';
import { createEventSink } from '../../sink.js';
import { clickHouseStateStore } from '../connector-state.js';
import { connectorName, createServiceNowPoller, type PollResult, type ServiceNowAuth } from './poller.js';

// `baton poll servicenow`: wires the poller to Kafka (events, dead letters) and ClickHouse (cursor
// and last-seen snapshots in connector_state), then polls once or every interval until stopped.

export class PollSetupError extends Error {
  override readonly name = 'PollSetupError';
}

export interface PollRunOptions {
  instanceUrl: string;
  tenant: string;
  once: boolean;
  intervalSeconds: number;
  pageSize: number;
  since?: string;
  signal: AbortSignal;
}

export function serviceNowAuth(config: Config): ServiceNowAuth {
  if (config.SERVICENOW_TOKEN) return { token: config.SERVICENOW_TOKEN };
  if (config.SERVICENOW_USER && config.SERVICENOW_PASSWORD)
    return { user: config.SERVICENOW_USER, password: config.SERVICENOW_PASSWORD };
  throw new PollSetupError(
    'ServiceNow credentials missing: set SERVICENOW_USER and SERVICENOW_PASSWORD, or SERVICENOW_TOKEN',
  );
}

export async function runServiceNowPoll(
  config: Config,
  logger: Logger,
  opts: PollRunOptions,
): Promise<PollResult | null> {
  const auth = serviceNowAuth(config);
  const mapping = loadMappings(config.MAPPINGS_FILE).get('servicenow')!;
  const bus = createMessageBus(config, logger);
  const clickhouse = createClickHouse(config, { application: 'baton-poll' });
  const sink = createEventSink(config, bus, logger);
  try {
    await bus.ensureTopics(allTopics(config));
    const poller = createServiceNowPoller({
      instanceUrl: opts.instanceUrl,
      tenant: opts.tenant,
      auth,
      sink,
      state: clickHouseStateStore(clickhouse, connectorName(opts.instanceUrl), opts.tenant),
      mapping,
      logger,
      pageSize: opts.pageSize,
      retry: { maxAttempts: config.SERVICENOW_MAX_ATTEMPTS, timeoutMs: config.SERVICENOW_REQUEST_TIMEOUT_MS },
      ...(opts.since ? { since: opts.since } : {}),
    });
    if (opts.once) return await poller.pollOnce(opts.signal);
    await poller.run(opts.intervalSeconds * 1000, opts.signal);
    return null;
  } finally {
    await sink.close();
    await bus.close();
    await clickhouse.close();
  }
}
