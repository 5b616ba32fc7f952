import { signedHeaders, type SignInput } from './sigv4';

/** An AWS service answered a signed request with something other than 2xx: its status, and the error code of its XML answer. */
export class AwsRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'AwsRequestError';
  }
}

/**
 * One SigV4-signed request to an AWS service that answers in XML (SNS's Query API, S3), sent
 * with `fetch` and given up after `timeoutMs`: the answer's text, or an `AwsRequestError` naming
 * `what` failed with the service's `Code` and `Message`. For the one or two calls the gateway makes
 * to services whose SDK clients it does not carry (they would slow every cold start).
 *
 * @example
 * const text = await signedFetch({ service: 'sns', region, credentials, method: 'POST', url, headers, body }, { what: `SNS Publish to ${topicArn}`, timeoutMs: 10_000 });
 */
export async function signedFetch(request: SignInput, options: { what: string; timeoutMs: number; fetch?: typeof fetch }): Promise<string> {
  const headers = await signedHeaders(request);
  // fetch sets host and content-length itself, to the values the signature covers.
  delete headers.host;
  delete headers['content-length'];
  const response = await (options.fetch ?? fetch)(request.url, {
    method: request.method,
    headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) {
    const code = xmlValue(text, 'Code');
    throw new AwsRequestError(response.status, code, `${options.what} failed: ${response.status} ${code ?? ''} ${xmlValue(text, 'Message') ?? ''}`.trim());
  }
  return text;
}

/** The text of the first `<name>` element of an AWS service's XML answer. */
export function xmlValue(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}
