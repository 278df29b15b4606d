import { createClickHouse } from '../core/clickhouse.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { buildApi } from './app.js';

export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const ch = createClickHouse(config, { application: 'baton-api' });
  const app = await buildApi({ ch, logger: logger.child({ component: 'api' }) });
  await app.listen({ host: config.API_HOST, port: config.API_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.API_PORT;
  const host = config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST;
  return {
    url: `http://${host}:${port}`,
    async stop() {
      await app.close();
      await ch.close();
    },
  };
}
