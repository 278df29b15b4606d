import { z } from 'zod';

// The one place that reads process.env. Everything else receives a parsed `Config`.
const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0),
  )
  .pipe(z.array(z.string()).min(1));

const intFromEnv = (def: number) => z.coerce.number().int().positive().default(def);

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  KAFKA_BROKERS: csv.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('baton'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),

  CLICKHOUSE_URL: z.url().default('http://127.0.0.1:8123'),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('baton'),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: intFromEnv(30_000),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** How long /readyz waits for ClickHouse and for Kafka's metadata before calling each down. */
  API_READY_TIMEOUT_MS: intFromEnv(2_000),
  // API security (api/security.ts, docs/security.md). Key file: JSON list of hashed keys, written by
  // `baton keys create`; without it every /v1 route answers 401. The ingest gateway reads it too.
  API_KEYS_FILE: z.string().min(1).optional(),
  /** Requests one API key may make per window before 429. */
  API_RATE_LIMIT_MAX: intFromEnv(600),
  API_RATE_LIMIT_WINDOW_SECONDS: intFromEnv(60),
  API_BODY_LIMIT_BYTES: intFromEnv(1_048_576),
  /** Browser origins allowed to call the API (CORS); unset = no CORS headers at all. */
  API_CORS_ORIGINS: csv.optional(),

  // /metrics and /healthz of processes without an API of their own (transforms, simulator); 0 = off.
  METRICS_HOST: z.string().default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),

  // Ingest gateway (its own process). Keys are compared as SHA-256 hashes, never logged.
  INGEST_HOST: z.string().default('127.0.0.1'),
  INGEST_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  INGEST_API_KEYS: csv.optional(),
  INGEST_MAX_BATCH: intFromEnv(5_000),
  INGEST_BODY_LIMIT_BYTES: intFromEnv(5 * 1024 * 1024),
  INGEST_DEFAULT_TENANT: z.string().min(1).default('default'),
  // Vendor webhook authentication, each as the vendor documents it.
  SERVICENOW_WEBHOOK_USER: z.string().min(1).optional(),
  SERVICENOW_WEBHOOK_PASSWORD: z.string().min(1).optional(),
  JIRA_WEBHOOK_SECRET: z.string().min(1).optional(),
  ZENDESK_WEBHOOK_SECRET: z.string().min(1).optional(),
  ZENDESK_REPLAY_WINDOW_SECONDS: intFromEnv(300),

  // ServiceNow Table API poller (`baton poll servicenow`): Basic auth (user + password) or an OAuth
  // bearer token. The instance URL may also be given on the command line, which wins.
  SERVICENOW_INSTANCE_URL: z.url().optional(),
  SERVICENOW_USER: z.string().min(1).optional(),
  SERVICENOW_PASSWORD: z.string().min(1).optional(),
  SERVICENOW_TOKEN: z.string().min(1).optional(),
  SERVICENOW_PAGE_SIZE: intFromEnv(500),
  SERVICENOW_POLL_INTERVAL_SECONDS: intFromEnv(60),
  SERVICENOW_REQUEST_TIMEOUT_MS: intFromEnv(30_000),
  /** Attempts per request on HTTP 429 / 5xx / network errors before the poll gives up. */
  SERVICENOW_MAX_ATTEMPTS: intFromEnv(8),

  /** JSON file that extends or overrides the built-in per-source value mappings (core/mapping.ts). */
  MAPPINGS_FILE: z.string().min(1).optional(),

  /** JSON array of SLA policies (transforms/sla/policy.ts); replaces the built-in demo set. */
  SLA_POLICIES_FILE: z.string().min(1).optional(),
  /** JSON `{ calendars, regions, fallbackCalendar? }` (core/calendar.ts); replaces the demo calendars. */
  CALENDARS_FILE: z.string().min(1).optional(),
  /** How often open tickets' SLA clocks are re-evaluated without a new event. */
  SLA_SWEEP_INTERVAL_SECONDS: intFromEnv(60),
  SLA_SWEEP_PAGE_SIZE: intFromEnv(500),
  /** How often closed hours of the backlog rollup (backlog_hourly) are materialised / repaired. */
  BACKLOG_ROLLUP_INTERVAL_SECONDS: intFromEnv(60),
  /** How often the transforms sample consumer lag into pipeline_stats (and the baton_consumer_lag gauge). */
  PIPELINE_STATS_INTERVAL_SECONDS: intFromEnv(30),
  /**
   * Metric routes answer from the region rollups when they cover the request (api/rollups.ts);
   * false makes every route scan the per-ticket tables (exact, slow: for checking the rollups).
   */
  API_READ_ROLLUPS: z.stringbool().default(true),
  /**
   * Seconds a metric answer is reused for the same question (api/response-cache.ts); identical
   * requests in flight share one computation. 0 turns the cache off.
   */
  API_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(2),
  /** How often the API's region rollups are materialised (transforms; the edge is read live). */
  REGION_ROLLUP_INTERVAL_SECONDS: intFromEnv(60),
  /** JSON targets of the weekly regional review (api/review/targets.ts); built-in defaults otherwise. */
  REVIEW_TARGETS_FILE: z.string().min(1).optional(),

  // Alert evaluator (transforms/alerts): rules and receivers as JSON files (built-in demo rules and
  // no receivers otherwise). Run it in one transform instance only, or each notifies on its own.
  ALERTS_ENABLED: z.stringbool().default(true),
  ALERT_RULES_FILE: z.string().min(1).optional(),
  ALERT_RECEIVERS_FILE: z.string().min(1).optional(),
  ALERT_EVALUATION_INTERVAL_SECONDS: intFromEnv(60),

  TRANSFORM_GROUP_ID: z.string().min(1).default('baton-transforms'),
  /**
   * Estimated MiB of entity histories each entity family of a transform keeps in memory (least
   * recently used go first; a miss reads the history back from ClickHouse). Bounds the transform's
   * memory however many tickets are open.
   */
  HISTORY_CACHE_MAX_MB: intFromEnv(64),
  /** Most bytes a transform fetches per partition at once: bounds a batch's size and memory. */
  TRANSFORM_FETCH_MAX_BYTES: intFromEnv(1_048_576),
  /**
   * Batches of different partitions a transform works on at once: while one waits for ClickHouse
   * the next is parsed and folded (a partition's batches stay in order; its entities are its own).
   */
  TRANSFORM_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(3),
  /** How long a silent consumer keeps its partitions: a crashed instance's work moves after this. */
  TRANSFORM_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once; the message lists every bad variable with its reason. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, ...overrides };
}
