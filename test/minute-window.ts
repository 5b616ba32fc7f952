/**
 * Rate windows are fixed wall-clock minutes (`windowAt`): two calls a test needs in one window
 * are let through both if a slow machine makes them straddle a minute's end. Two ways to keep them
 * in one: move the gateway's own clock (deterministic, for gateways that take one), or wait.
 */

/** A gateway clock (`now`) that runs with the wall clock and that a case can move on. */
export interface MinuteClock {
  /** Epoch ms: the wall clock plus however far the clock was moved on. */
  readonly now: () => number;
  /**
   * Moves the clock on to the first millisecond of its next minute: calls made within the next
   * 59 s of wall time share one per-minute window, without waiting for the minute to turn. Only
   * ever forward, so what the gateway times (resting accounts, its key cache) keeps its order.
   */
  startMinute(): void;
}

/**
 * A clock for a gateway shared by a suite's cases, of which some count on one minute's window.
 *
 * @example
 * const clock = minuteClock();
 * h = await startHarness({ now: clock.now });
 * // in a case, before the calls:
 * clock.startMinute();
 */
export function minuteClock(): MinuteClock {
  let ahead = 0;
  const now = () => Date.now() + ahead;
  return {
    now,
    startMinute() {
      ahead += 60_000 - (now() % 60_000);
    },
  };
}

/**
 * Waits, when fewer than `marginMs` are left of the wall clock's minute, for the next one to
 * begin: for gateways on the real clock (the Lambda door's), calls that must land in one
 * per-minute rate window then do, however slowly a loaded machine makes them.
 */
export async function clearOfMinuteEnd(marginMs = 5_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 20));
}
