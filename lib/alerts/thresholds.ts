/** Fractions of a budget at which the operator is told, unless the config says otherwise (`alerts.budgetThresholds`). */
export const DEFAULT_BUDGET_THRESHOLDS: readonly number[] = [0.8, 1];

/**
 * The thresholds a budget's spend has reached (`used >= threshold × limit`), highest first: the
 * order in which the alerts job claims them, so that of two runs at once the one that announces
 * the highest wins and the other stops.
 *
 * @example
 * reachedThresholds(4_100_000, 5_000_000, [0.5, 0.8, 1]); // [0.8, 0.5]
 */
export function reachedThresholds(usedMicros: number, limitMicros: number, thresholds: readonly number[]): number[] {
  return thresholds.filter((t) => usedMicros >= t * limitMicros).sort((a, b) => b - a);
}

/**
 * The thresholds not yet announced in this period, highest first: those reached above the highest
 * already announced (`announced`, undefined for none). A higher announcement covers the lower
 * ones: a budget that jumps past 80 % and 100 % in one run is announced once, at 100 %.
 */
export function unannouncedThresholds(usedMicros: number, limitMicros: number, thresholds: readonly number[], announced: number | undefined): number[] {
  return reachedThresholds(usedMicros, limitMicros, thresholds).filter((t) => announced === undefined || t > announced);
}

/**
 * The highest threshold one write took a counter past: reached after it (`usedMicros`) and not
 * before it (`usedMicros - addedMicros`); undefined for none. What end users' alerts check from the
 * total a spend write hands back, so that of many calls only the one that crossed writes a claim.
 *
 * @example
 * crossedThreshold(4_100_000, 300_000, 5_000_000, [0.5, 0.8, 1]); // 0.8 (3.8 → 4.1 of 5)
 * crossedThreshold(4_300_000, 200_000, 5_000_000, [0.5, 0.8, 1]); // undefined (already past 80 %)
 */
export function crossedThreshold(usedMicros: number, addedMicros: number, limitMicros: number, thresholds: readonly number[]): number | undefined {
  if (addedMicros <= 0) return undefined;
  const before = usedMicros - addedMicros;
  // A loop, not filters: it runs after every settlement of an end user with a budget, and almost always finds nothing.
  let highest: number | undefined;
  for (const t of thresholds) {
    const line = t * limitMicros;
    if (before < line && usedMicros >= line && (highest === undefined || t > highest)) highest = t;
  }
  return highest;
}

/** `0.8` → `80%`. */
export const percent = (fraction: number) => `${Math.round(fraction * 1000) / 10}%`;
