/**
 * Rate windows are fixed wall-clock minutes (`windowAt`): two calls a test needs in one window
 * are let through both if a slow machine makes them straddle a minute's end. Two ways to keep them
 * in one: move the gateway's own clock (deterministic, for gateways that take one), or wait.
 * Budgets and usage records are of UTC days the same way: a case that spends and then reads the
 * day's counter (or is refused by it) must not straddle midnight UTC either.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * How far `now` (epoch ms) is from the start of its next `periodMs` period (a minute, a UTC day:
 * both are whole multiples of the epoch) when fewer than `marginMs` are left of the one it is in; 0
 * when at least `marginMs` are left.
 */
export function msToNextPeriodIfEnding(now: number, periodMs: number, marginMs: number): number {
  const left = periodMs - (now % periodMs);
  return left < marginMs ? left : 0;
}

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
  /**
   * Moves the clock on to the first millisecond of its next UTC day when fewer than `marginMs` are
   * left of its day: a case that spends and then reads its day's budget counters, or counts on
   * being refused by them, keeps one day. Forward only, as `startMinute`.
   */
  clearOfDayEnd(marginMs?: number): void;
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
      ahead += MINUTE_MS - (now() % MINUTE_MS);
    },
    clearOfDayEnd(marginMs = MINUTE_MS) {
      ahead += msToNextPeriodIfEnding(now(), DAY_MS, marginMs);
    },
  };
}

/**
 * Waits, when fewer than `marginMs` are left of the wall clock's minute, for the next one to
 * begin: for gateways on the real clock (the Lambda door's), calls that must land in one
 * per-minute rate window then do, however slowly a loaded machine makes them.
 */
export async function clearOfMinuteEnd(marginMs = 5_000): Promise<void> {
  await waitForNextPeriodIfEnding(MINUTE_MS, marginMs);
}

/**
 * Waits, when fewer than `marginMs` are left of the wall clock's UTC day, for the next one to
 * begin: for gateways on the real clock (the Lambda functions), a case that writes a day's budget
 * counter and then reads it through the function reads the day it wrote, however late the run.
 */
export async function clearOfUtcDayEnd(marginMs = 10_000): Promise<void> {
  await waitForNextPeriodIfEnding(DAY_MS, marginMs);
}

async function waitForNextPeriodIfEnding(periodMs: number, marginMs: number): Promise<void> {
  const wait = msToNextPeriodIfEnding(Date.now(), periodMs, marginMs);
  // 20 ms past the turn: a timer may fire a little early by the wall clock.
  if (wait > 0) await new Promise((r) => setTimeout(r, wait + 20));
}
