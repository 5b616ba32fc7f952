/**
 * Timeouts for the gateway's AWS SDK clients (DynamoDB, Secrets Manager). The SDK's own default
 * waits five minutes on a silent connection; with these a call gives up within seconds and the
 * SDK retries it. A call that hangs holds up the request waiting for it (a key lookup, a secret)
 * or keeps a Lambda invocation running and billed (the usage write it waits for at the end); and
 * a call started just before Lambda freezes an instance can find its connection dead on thaw.
 */
export const AWS_CLIENT_TIMEOUTS = { connectionTimeout: 2_000, socketTimeout: 5_000 };
