import { DEFAULT_BUDGET_THRESHOLDS } from './thresholds';

/**
 * The thresholds as the stack hands them to the alerts function (`0.8,1`: a few numbers, so an
 * environment variable, not the whole config); the defaults when absent. Throws on anything else:
 * a deploy that garbled them should fail loudly, not announce nothing.
 */
export function thresholdsFromEnv(value: string | undefined): number[] {
  if (value === undefined || value.trim() === '') return [...DEFAULT_BUDGET_THRESHOLDS];
  const thresholds = value.split(',').map((part) => Number(part.trim()));
  if (thresholds.some((t) => !Number.isFinite(t) || t <= 0 || t > 1)) throw new Error(`GATEWAY_BUDGET_THRESHOLDS must be fractions over 0 and at most 1, separated by commas, not "${value}"`);
  return thresholds;
}
