import { budgetAlertText, type BudgetAlert } from './message';
import type { BudgetNotifier } from './notifier';

/** The webhook answered with something other than 2xx. */
export class WebhookError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

const TIMEOUT_MS = 10_000;

/**
 * POSTs each alert as JSON (`{subject, message, alert}`) to a URL: `GATEWAY_ALERT_WEBHOOK` for
 * `npm start`, e.g. a chat tool's incoming webhook behind a small relay.
 *
 * @example
 * const notifier = new WebhookNotifier(new URL(process.env.GATEWAY_ALERT_WEBHOOK!));
 */
export class WebhookNotifier implements BudgetNotifier {
  constructor(
    readonly url: URL,
    readonly fetchImpl: typeof fetch = fetch,
  ) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`GATEWAY_ALERT_WEBHOOK must be an http(s) URL, not ${url.protocol}`);
  }

  async notify(alert: BudgetAlert): Promise<void> {
    const { subject, message } = budgetAlertText(alert);
    const response = await this.fetchImpl(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject, message, alert }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new WebhookError(response.status, `the alert webhook ${this.url.origin} answered ${response.status}`);
  }
}

/** Delivers to every notifier given; fails if any did (after trying all), so the alert is tried again. */
export function everyNotifier(notifiers: readonly BudgetNotifier[]): BudgetNotifier {
  return {
    async notify(alert) {
      const results = await Promise.allSettled(notifiers.map((n) => n.notify(alert)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
