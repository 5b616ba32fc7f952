import type { AwsCredentials } from '../aws/sigv4';
import { signedFetch, xmlValue } from '../aws/signed-fetch';
import { awsEndpointSuffix } from '../aws/endpoints';
import { budgetAlertText, type BudgetAlert } from './message';
import type { BudgetNotifier } from './notifier';

export interface SnsNotifierOptions {
  topicArn: string;
  region: string;
  credentials: AwsCredentials;
  /** SNS's endpoint; a fake's on loopback in tests. Default `https://sns.<region>.amazonaws.com`. */
  endpoint?: string;
  fetch?: typeof fetch;
  /** Gives up on a publish after this long. */
  timeoutMs?: number;
}

const DEFAULTS = { timeoutMs: 10_000 } as const;

/**
 * Publishes budget alerts to an SNS topic with one SigV4-signed Query API call (`Action=Publish`).
 * Signed by hand with the signer Bedrock calls use: `@aws-sdk/client-sns` is not among the
 * gateway's dependencies, and one form-encoded POST does not need it.
 *
 * @example
 * const notifier = new SnsNotifier({ topicArn: process.env.ALERT_TOPIC_ARN!, region: process.env.AWS_REGION!, credentials: defaultProvider() });
 */
export class SnsNotifier implements BudgetNotifier {
  readonly #options: SnsNotifierOptions;

  constructor(options: SnsNotifierOptions) {
    this.#options = options;
  }

  async notify(alert: BudgetAlert): Promise<void> {
    const { subject, message } = budgetAlertText(alert);
    await this.publish(subject, message);
  }

  /** One Publish call; resolves to SNS's MessageId. */
  async publish(subject: string, message: string): Promise<string | undefined> {
    const { region, topicArn, credentials } = this.#options;
    const url = new URL(this.#options.endpoint ?? `https://sns.${region}.${awsEndpointSuffix(region)}/`);
    const body = new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', TopicArn: topicArn, Subject: subject, Message: message }).toString();
    const text = await signedFetch(
      { service: 'sns', region, credentials, method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body },
      { what: `SNS Publish to ${topicArn}`, timeoutMs: this.#options.timeoutMs ?? DEFAULTS.timeoutMs, ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}) },
    );
    return xmlValue(text, 'MessageId');
  }
}
