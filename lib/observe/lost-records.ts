import type { GatewayLogger } from './logger';

/** The ERROR line of usage records the usage sink gave up on (counted by the stack's RecordsLost, by `lost`). */
export const USAGE_RECORDS_LOST_LINE = 'usage records could not be written';

/**
 * The usage sink's `onError`, as the Lambda door and the local server wire it: one ERROR line per
 * part lost, with `lost` (how many usage records: the metric's value) and their `requestIds`,
 * and the stored Responses homes lost or kept for a later write.
 *
 * @example
 * new DynamoUsageSink(table, { retentionDays: 30, onError: usageLossReporter(logger) });
 */
export function usageLossReporter(logger: Pick<GatewayLogger, 'error'>): (err: unknown, requestIds: string[], homes: string[], kept: string[]) => void {
  return function reportUsageLoss(err, requestIds, homes, kept) {
    logger.error(USAGE_RECORDS_LOST_LINE, { lost: requestIds.length, requestIds, ...(homes.length ? { lostHomes: homes } : {}), ...(kept.length ? { keptHomes: kept } : {}), error: err as Error });
  };
}
