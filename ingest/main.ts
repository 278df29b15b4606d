import type { Config } from '../core/config.js';
import { listeningUrl } from '../core/http.js';
import { createMessageBus } from '../core/kafka.js';
import type { Logger } from '../core/logger.js';
import { loadMappings } from '../core/mapping.js';
import { allTopics } from '../core/topics.js';
import { buildGateway } from './gateway/app.js';
import { createEventSink } from './sink.js';

export interface RunningGateway {
  url: string;
  stop(): Promise<void>;
}

/** Starts the ingest gateway. It starts even when Kafka is down, and answers 503 until it is back. */
export async function startGateway(config: Config, logger: Logger): Promise<RunningGateway> {
  const log = logger.child({ component: 'ingest' });
  if (!config.INGEST_API_KEYS?.length && !config.API_KEYS_FILE)
    log.warn('neither INGEST_API_KEYS nor API_KEYS_FILE is set: POST /v1/events accepts anyone');
  const bus = createMessageBus(config, log, { retries: 2 });
  await bus
    .ensureTopics(allTopics(config))
    .catch((err: unknown) => log.warn({ err }, 'could not ensure topics yet'));
  const sink = createEventSink(config, bus, log);
  const app = await buildGateway({ config, sink, mappings: loadMappings(config.MAPPINGS_FILE), logger: log });
  await app.listen({ host: config.INGEST_HOST, port: config.INGEST_PORT });
  return {
    url: listeningUrl(app.server, config.INGEST_HOST),
    async stop() {
      await app.close();
      await sink.close();
      await bus.close();
    },
  };
}
