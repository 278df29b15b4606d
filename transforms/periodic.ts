import type { Logger } from '../core/logger.js';

export interface PeriodicJob<R> {
  /** Runs a pass now (tests drive the job with this); `stop` also waits for it. */
  runOnce(): Promise<R>;
  /** No new pass starts; resolves when the running one has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` every `intervalSeconds`, one pass at a time. A failed pass is logged and simply
 * redone at the next interval, so a pass must leave nothing half-advanced when it fails.
 */
export function startPeriodic<R>(
  name: string,
  intervalSeconds: number,
  pass: () => Promise<R>,
  log: Logger,
): PeriodicJob<R> {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass()
        .catch((err: unknown) => log.error({ err }, `${name} failed`))
        .finally(schedule);
    }, intervalSeconds * 1000);
  };
  schedule();

  return {
    runOnce() {
      const p = pass();
      running = Promise.all([running, p.catch(() => undefined)]);
      return p;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
