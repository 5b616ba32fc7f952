import type { GatewayLogger } from '../observe/logger';

/** How often `npm start` checks budgets: sooner than the stack's five minutes, since someone is usually watching. */
export const LOCAL_ALERTS_INTERVAL_MS = 60_000;

export interface AlertSchedule {
  /** Stops the timer and waits for a run in progress, so the table can be closed after it. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs` in this process (the local server's stand-in for the stack's
 * EventBridge schedule), never two at once, never keeping the process alive. A failed run is
 * logged; the next one tries again.
 */
export function scheduleEvery(intervalMs: number, run: () => Promise<unknown>, logger: Pick<GatewayLogger, 'error'>): AlertSchedule {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = run()
      .then(() => undefined)
      .catch((err: unknown) => logger.error('budget alerts run failed', { error: err as Error }))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
