import { createClickHouse } from '../core/clickhouse.js';
import type { Config } from '../core/config.js';
import { listeningUrl } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import { buildApi } from './app.js';

export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const ch = createClickHouse(config, { application: 'baton-api' });
  const app = await buildApi({ config, ch, logger: logger.child({ component: 'api' }) });
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
  return {
    url: listeningUrl(app.server, config.API_HOST),
    async stop() {
      await app.close();
      await ch.close();
    },
  };
}
