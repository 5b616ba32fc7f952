import type { GatewayLogger } from '../observe/logger';
import { budgetAlertText, type BudgetAlert } from './message';

/** Where budget alerts go: SNS on AWS, the log locally. Throws when the alert could not be delivered. */
export interface BudgetNotifier {
  notify(alert: BudgetAlert): Promise<void>;
}

/**
 * Delivers alerts as log lines (warn): what `npm start` does, where there is no topic to publish to.
 *
 * @example
 * const notifier = new LogNotifier(createLogger());
 */
export class LogNotifier implements BudgetNotifier {
  constructor(readonly logger: Pick<GatewayLogger, 'warn'>) {}

  async notify(alert: BudgetAlert): Promise<void> {
    const { subject, message } = budgetAlertText(alert);
    this.logger.warn(subject, { budgetAlert: { owner: alert.owner, ...(alert.endUser ? { endUser: alert.endUser } : {}), threshold: alert.threshold, budget: alert.budget }, text: message });
  }
}
