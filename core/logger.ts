import { type Logger, pino } from 'pino';
import type { Config } from './config.js';

export type { Logger };

// Paths whose values must never reach a log line, wherever they appear in a logged object.
export const redactedPaths = [
  'password',
  '*.password',
  'CLICKHOUSE_PASSWORD',
  '*.CLICKHOUSE_PASSWORD',
  '*.INGEST_API_KEYS',
  '*.SERVICENOW_WEBHOOK_PASSWORD',
  'SERVICENOW_PASSWORD',
  '*.SERVICENOW_PASSWORD',
  'SERVICENOW_TOKEN',
  '*.SERVICENOW_TOKEN',
  '*.JIRA_WEBHOOK_SECRET',
  '*.ZENDESK_WEBHOOK_SECRET',
  'req.headers["x-zendesk-webhook-signature"]',
  'req.headers["x-hub-signature"]',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'secret',
  '*.secret',
  'token',
  '*.token',
  // alert receivers (transforms/alerts/receivers.ts): SMTP passwords; URLs and headers are never logged
  'pass',
  '*.pass',
  '*.smtp.pass',
];

/** JSON logs to stdout, or to `file` (appended) when given. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name: string, file?: string): Logger {
  const options = {
    level: config.LOG_LEVEL,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return file ? pino(options, pino.destination({ dest: file, mkdir: true, sync: false })) : pino(options);
}
