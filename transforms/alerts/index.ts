import { rollupReader } from '../../api/rollups.js';
import { loadAlertRules } from '../../core/alert-rules.js';
import type { ClickHouseClient } from '../../core/clickhouse.js';
import type { Config } from '../../core/config.js';
import type { EventProducer } from '../../core/kafka.js';
import type { Logger } from '../../core/logger.js';
import { topicName } from '../../core/topics.js';
import { type AlertEvaluator, startAlertEvaluator } from './evaluator.js';
import { createNotifier, type Notifier } from './notify.js';
import { loadReceivers } from './receivers.js';

export interface Alerting {
  evaluator: AlertEvaluator;
  notifier: Notifier;
  /** Stops evaluating, then abandons pending notification retries. */
  stop(): Promise<void>;
}

/** Reads rules and receivers first, so a bad file stops the start with its exact error. */
export function loadAlertingSettings(config: Pick<Config, 'ALERT_RULES_FILE' | 'ALERT_RECEIVERS_FILE'>) {
  return {
    rules: loadAlertRules(config.ALERT_RULES_FILE),
    receivers: loadReceivers(config.ALERT_RECEIVERS_FILE),
  };
}

export function startAlerting(
  config: Config,
  deps: { ch: ClickHouseClient; producer: EventProducer | null; logger: Logger; now?: () => number },
  settings = loadAlertingSettings(config),
): Alerting {
  const notifier = createNotifier(settings.receivers, deps.logger);
  const evaluator = startAlertEvaluator({
    ch: deps.ch,
    rules: settings.rules,
    notifier,
    producer: deps.producer,
    topic: topicName(config, 'alerts'),
    logger: deps.logger,
    intervalSeconds: config.ALERT_EVALUATION_INTERVAL_SECONDS,
    now: deps.now,
    // The switch that takes the rollups out of the API's read path takes them out of this one too.
    rollups: rollupReader(deps.ch, { enabled: config.API_READ_ROLLUPS }),
  });
  return {
    evaluator,
    notifier,
    async stop() {
      await evaluator.stop();
      await notifier.close();
    },
  };
}
