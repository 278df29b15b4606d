import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

// Prometheus metrics of one Baton process: its own registry, so tests running several pipelines
// in one process do not mix their figures.

export interface PipelineMetrics {
  registry: Registry;
  eventsIn: Counter<'topic'>;
  deadLettered: Counter<'topic'>;
  rowsWritten: Counter<'table'>;
  batchSeconds: Histogram<'step'>;
  /** Set by the transforms' pipeline-stats job: the log end minus the group's committed offset. */
  consumerLag: Gauge<'group' | 'topic' | 'partition'>;
}

export function createPipelineMetrics(service: string): PipelineMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsIn: new Counter({
      name: 'baton_events_in_total',
      help: 'Records consumed from Kafka',
      labelNames: ['topic'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'baton_dead_letters_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
    rowsWritten: new Counter({
      name: 'baton_rows_written_total',
      help: 'Rows acknowledged by ClickHouse',
      labelNames: ['table'],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'baton_batch_seconds',
      help: 'Time to make one consumed batch durable',
      labelNames: ['step'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'baton_consumer_lag',
      help: 'Records on a partition not yet committed by a consumer group, at the last sample',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    }),
  };
}

/** A bare HTTP endpoint for processes that have no API of their own: GET /metrics and /healthz. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(500).end();
        });
    } else if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
