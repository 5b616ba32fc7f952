import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { GatewayRequest } from '../lib/http/types';

/** Time kept back from Lambda's remaining time so the gateway can still end the stream cleanly. */
const DEADLINE_MARGIN_MS = 1_500;

/** How long the gateway may work on the invocation's request: Lambda's remaining time, less what ending cleanly takes. */
export function timeLeftMs(context: Pick<Context, 'getRemainingTimeInMillis'>): number {
  return Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS);
}

/**
 * A Function URL event as the gateway's request. With `signal` (which must then abort at the
 * deadline, as `DoorSignal`'s does), the request carries no deadline of its own: one signal for
 * both costs a tenth of two combined.
 */
export function requestFromFunctionUrlEvent(event: APIGatewayProxyEventV2, context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>, signal?: AbortSignal): GatewayRequest {
  const headers: Record<string, string | undefined> = {};
  // Function URLs lower-case header names already; lower-case anyway for events built by hand.
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  const raw = event.body ?? '';
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath || '/',
    query: new URLSearchParams(event.rawQueryString ?? ''),
    headers,
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
    // The address the connection to the function URL came from, set by AWS: key address lists are
    // checked against it. Not X-Forwarded-For, which the caller writes and so may fill with any address.
    sourceIp: event.requestContext.http.sourceIp,
    ...(signal ? { signal } : { deadline: Date.now() + timeLeftMs(context) }),
    requestId: context.awsRequestId,
  };
}
