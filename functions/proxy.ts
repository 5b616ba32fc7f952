import { Readable } from 'node:stream';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { parseConfig } from '../lib/config/load';
import { auditSinkFromEnvironment } from '../lib/audit/from-env';
import { accountCredentialRefs } from '../lib/credentials/credentials';
import { SecretsManagerCredentials } from '../lib/credentials/secrets-manager';
import { createGateway, type Gateway } from '../lib/gateway';
import { failingLast, TransferAborted } from '../lib/http/transfer-aborted';
import type { ResponseBody } from '../lib/http/types';
import { createLogger, type GatewayLogger } from '../lib/observe/logger';
import { createTableRef } from '../lib/store/dynamo';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoTeamStore } from '../lib/store/teams';
import { DynamoRateWindows } from '../lib/store/rate-windows';
import { DynamoSpendStore } from '../lib/store/spend';
import { DynamoHealthStore } from '../lib/store/health';
import { DynamoUsageSink } from '../lib/store/usage';
import { DynamoResponseCache } from '../lib/store/response-cache';
import { DynamoStoredHomes } from '../lib/store/stored-homes';
import { requestFromFunctionUrlEvent } from './http-event';
import { EndUserBudgetAlerts } from '../lib/alerts/end-users';
import { SnsNotifier } from '../lib/alerts/sns';
import { defaultProvider } from '@aws-sdk/credential-provider-node';

const logger = createLogger();

/** Built once per instance, at cold start: config, clients and caches live as long as the instance. */
export function gatewayFromEnvironment(env: NodeJS.ProcessEnv): Gateway {
  // The CDK stack bakes the config in at bundle time (env vars are capped at 4 KB).
  const config = parseConfig(JSON.parse(env.GATEWAY_CONFIG_JSON ?? 'null'), 'the deployed gateway config');
  // Provider secrets are read from here on, as the instance's first request arrives: while its key is looked up, not after.
  const credentials = new SecretsManagerCredentials({ env });
  credentials.prefetch(config.providers.flatMap((provider) => provider.accounts.flatMap((account) => accountCredentialRefs(account, provider))));
  const table = createTableRef({ tableName: env.GATEWAY_TABLE_NAME!, ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}) });
  return createGateway({
    config,
    keys: new DynamoKeyStore(table),
    teams: new DynamoTeamStore(table),
    rates: new DynamoRateWindows(table),
    spend: new DynamoSpendStore(table),
    healthStore: new DynamoHealthStore(table),
    usage: new DynamoUsageSink(table, {
      retentionDays: config.usage.retentionDays,
      onError: (err, requestIds, homes) => logger.error('usage records could not be written', { lost: requestIds.length, requestIds, ...(homes.length ? { lostHomes: homes } : {}), error: err as Error }),
    }),
    // Read only for models whose config sets `cache`.
    responseCache: new DynamoResponseCache(table),
    // Read only on a Responses continuation this instance does not know.
    storedHomes: new DynamoStoredHomes(table),
    credentials,
    // The stack's audit bucket (GATEWAY_AUDIT_BUCKET), made only when the config audits.
    audit: () => auditSinkFromEnvironment(env),
    ...(env.ALERT_TOPIC_ARN ? { endUserAlerts: endUserAlertsFromEnvironment(env, config.alerts.budgetThresholds, table) } : {}),
    logger,
  });
}

/**
 * End users' budget alerts, published to the stack's alarm topic (ALERT_TOPIC_ARN) by the call
 * that crossed a threshold, after its answer: the scheduled job cannot list end users.
 */
function endUserAlertsFromEnvironment(env: NodeJS.ProcessEnv, thresholds: readonly number[], table: ReturnType<typeof createTableRef>): EndUserBudgetAlerts {
  const notifier = new SnsNotifier({
    topicArn: env.ALERT_TOPIC_ARN!,
    region: env.AWS_REGION ?? 'us-east-1',
    // The function's role, from the environment Lambda sets.
    credentials: defaultProvider(),
    // Set only for tests (a fake SNS on loopback).
    ...(env.SNS_ENDPOINT ? { endpoint: env.SNS_ENDPOINT } : {}),
    // Held by the invocation's drain after the answer, never by the client: short, so a stuck publish does not keep the instance.
    timeoutMs: SNS_TIMEOUT_MS,
  });
  return new EndUserBudgetAlerts({ table, notifier, thresholds, logger });
}

const SNS_TIMEOUT_MS = 5_000;

function toStream(body: ResponseBody, beforeFailing: (err: unknown) => Promise<void>): string | Readable {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Readable.from([body]);
  // middy's pipeline() destroys the response stream with a body's error (the runtime then reports a
  // function error in the stream's trailers, and the function URL does not finish the client's
  // chunked body: the client sees the transfer fail) and rejects the handler before its
  // `requestEnd`: the writes after the answer are drained first, or the instance could be frozen
  // with the `interrupted` record in flight.
  return Readable.from(failingLast(body, beforeFailing));
}

/** What the invocation keeps back for the runtime to end it, when the writes after the answer run long. */
const END_MARGIN_MS = 200;

/**
 * Waits for the writes after the answer (usage, budget settlements, audit records), but not past
 * the invocation's end: a write still running then (a slow table or bucket) is logged by request
 * id and left to finish, if it can, when the instance next runs, rather than the invocation timing out, which
 * would end the instance and lose them for certain.
 */
export async function drainWithin(gateway: Gateway, context: Context, logger: GatewayLogger): Promise<void> {
  const leftMs = context.getRemainingTimeInMillis() - END_MARGIN_MS;
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<'out of time'>((resolve) => (timer = setTimeout(resolve, Math.max(0, leftMs), 'out of time')));
  const drained = gateway.drain().then(() => 'drained' as const);
  try {
    if ((await Promise.race([drained, outOfTime])) === 'out of time') {
      logger.error('writes after the answer still running at the end of the invocation', { requestId: context.awsRequestId, waitedMs: Math.max(0, leftMs) });
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The proxy behind a Function URL in RESPONSE_STREAM mode. middy sends status and headers first,
 * then pipes the body as it is produced; after the stream has ended, `requestEnd` waits for the
 * usage and audit writes (within the invocation's time), so the instance is not frozen with them
 * in flight and the client never waits. A body that fails (`failingLast`) ends the response
 * stream in error, its writes drained first.
 */
export function createProxyHandler(gateway: () => Gateway, log: GatewayLogger = logger) {
  return middy<APIGatewayProxyEventV2, unknown, Error, Context>({
    streamifyResponse: true,
    requestEnd: (request) => drainWithin(gateway(), request.context, log),
  }).handler(async (event: APIGatewayProxyEventV2, context: Context) => {
    const res = await gateway().handle(requestFromFunctionUrlEvent(event, context));
    const beforeFailing = async (err: unknown) => {
      // Only raw audio cut off throws on purpose; any other throw breaks the in-band promise of `GatewayResponse.body`.
      if (!(err instanceof TransferAborted)) log.error('streamed body failed', { requestId: context.awsRequestId, error: err as Error });
      await drainWithin(gateway(), context, log);
    };
    return { statusCode: res.status, headers: res.headers, body: toStream(res.body, beforeFailing) };
  });
}

let instance: Gateway | undefined;
// `process.env.GATEWAY_CONFIG_JSON` is spelled out because esbuild's define replaces that exact text at bundle time.
export const handler = createProxyHandler(() => (instance ??= gatewayFromEnvironment({ ...process.env, GATEWAY_CONFIG_JSON: process.env.GATEWAY_CONFIG_JSON })));
