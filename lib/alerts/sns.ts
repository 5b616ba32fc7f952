import { signedHeaders, type AwsCredentials } from '../aws/sigv4';
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

/** SNS answered Publish with something other than 200: its status and error code, from its XML answer. */
export class SnsPublishError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SnsPublishError';
  }
}

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
    const headers = await signedHeaders({ service: 'sns', region, credentials, method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
    // fetch sets host itself; what it sends is the same value the signature covers.
    delete headers.host;
    const response = await (this.#options.fetch ?? fetch)(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#options.timeoutMs ?? DEFAULTS.timeoutMs) });
    const text = await response.text();
    if (!response.ok) {
      const code = xmlValue(text, 'Code');
      throw new SnsPublishError(response.status, code, `SNS Publish to ${topicArn} failed: ${response.status} ${code ?? ''} ${xmlValue(text, 'Message') ?? ''}`.trim());
    }
    return xmlValue(text, 'MessageId');
  }
}

/** The text of the first `<name>` element of SNS's XML answer. */
function xmlValue(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}
