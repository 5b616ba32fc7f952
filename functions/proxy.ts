import type { Readable, Writable } from 'node:stream';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { parseConfig } from '../lib/config/load';
import { auditSinkFromEnvironment } from '../lib/audit/from-env';
import { accountCredentialRefs } from '../lib/credentials/credentials';
import { SecretsManagerCredentials } from '../lib/credentials/secrets-manager';
import { createGateway, type Gateway } from '../lib/gateway';
import { bodyReadable } from '../lib/http/body-readable';
import { CorsPolicy } from '../lib/http/cors';
import { doorInternalError } from '../lib/http/door-error';
import { DoorSignal } from '../lib/http/door-signal';
import { TransferAborted } from '../lib/http/transfer-aborted';
import { isStreamBody, oneChunk, type GatewayRequest, type GatewayResponse, type ResponseBody } from '../lib/http/types';
import type { CallerMarks } from '../lib/pipeline/caller-binding';
import type { GatewayConfig } from '../lib/config/schema';
import { createLogger, type GatewayLogger } from '../lib/observe/logger';
import { createTableRef } from '../lib/store/dynamo';
import { tableNameFromEnvironment } from '../lib/store/table-name';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoTeamStore } from '../lib/store/teams';
import { DynamoRateWindows } from '../lib/store/rate-windows';
import { DynamoSpendStore } from '../lib/store/spend';
import { DynamoHealthStore } from '../lib/store/health';
import { DynamoUsageSink } from '../lib/store/usage';
import { DynamoResponseCache } from '../lib/store/response-cache';
import { DynamoStoredHomes } from '../lib/store/stored-homes';
import { requestFromFunctionUrlEvent, timeLeftMs } from './http-event';
import { EndUserBudgetAlerts } from '../lib/alerts/end-users';
import { SnsNotifier } from '../lib/alerts/sns';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { loggableError } from '../lib/observe/loggable-error';
import { usageLossReporter } from '../lib/observe/lost-records';

const logger = createLogger();

/** What an instance serves with, built from its config once. */
export interface ProxyInstance {
  /**
   * Built on first use, once: a preflight, which the door answers itself, never builds it, so a
   * cold start that begins with one reads no provider secret and makes no client for it.
   */
  readonly gateway: Gateway;
  /** The config's `cors`: the function answers browsers itself (its function URL has no CORS of its own). */
  readonly cors: CorsPolicy | undefined;
}

/** Built once per instance, at cold start: config, clients and caches live as long as the instance. */
export function proxyFromEnvironment(env: NodeJS.ProcessEnv): ProxyInstance {
  // The CDK stack bakes the config in at bundle time (env vars are capped at 4 KB).
  const config = parseConfig(JSON.parse(env.GATEWAY_CONFIG_JSON ?? 'null'), 'the deployed gateway config');
  // Refused here, as a config is, rather than met as a malformed call on every key lookup and usage batch.
  const tableName = tableNameFromEnvironment(env);
  let gateway: Gateway | undefined;
  return {
    get gateway() {
      return (gateway ??= gatewayFromConfig(config, tableName, env));
    },
    cors: CorsPolicy.from(config.cors),
  };
}

function gatewayFromConfig(config: GatewayConfig, tableName: string, env: NodeJS.ProcessEnv): Gateway {
  // Provider secrets are read from here on, as the instance's first request arrives: while its key is looked up, not after.
  const credentials = new SecretsManagerCredentials({ env });
  credentials.prefetch(config.providers.flatMap((provider) => provider.accounts.flatMap((account) => accountCredentialRefs(account, provider))));
  const table = createTableRef({ tableName, ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}) });
  return createGateway({
    config,
    keys: new DynamoKeyStore(table),
    teams: new DynamoTeamStore(table),
    rates: new DynamoRateWindows(table),
    spend: new DynamoSpendStore(table),
    healthStore: new DynamoHealthStore(table),
    usage: new DynamoUsageSink(table, {
      retentionDays: config.usage.retentionDays,
      onError: usageLossReporter(logger),
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

/**
 * The body as middy pipes it into the response stream. middy's `pipeline()` rejects the handler
 * before its `requestEnd` whenever the pipe fails, so each early end drains the writes after the
 * answer first (once the handler settles, the instance may be frozen with them in flight):
 * - the body throws (`TransferAborted`: raw audio cut off): the response stream is destroyed with
 *   its error (the runtime reports a function error in the stream's trailers, and the function URL
 *   does not finish the client's chunked body: the client sees the transfer fail);
 * - the response stream fails under it (its connection to the runtime broke: Lambda itself tells a
 *   function nothing of a client that leaves): the request's signal is aborted as the client's
 *   leaving, so the upstream call is cancelled and the call booked `aborted`, not blamed on the upstream.
 */
function toReadable(body: ResponseBody, door: DoorSignal, requestId: string, drain: () => Promise<void>, log: GatewayLogger, invocation: Pick<Invocation, 'gaveUp'>): Readable {
  // A whole answer is piped as a body of one chunk, so that its writes are drained too when the response stream fails under it.
  const readable = bodyReadable(isStreamBody(body) ? body : oneChunk(body), {
    left(reason) {
      log.warn('response stream failed before the answer ended', { requestId, ...(reason ? { error: reason } : {}) });
      door.clientGone(reason);
    },
    threw(err) {
      // Only raw audio cut off throws on purpose; any other throw breaks the in-band promise of `GatewayResponse.body`.
      if (err instanceof TransferAborted) return;
      // A body read nowhere (middy gave up first) reached no client: the invocation's own ERROR has
      // counted the request's failure already (InternalFailures counts each request once).
      if (invocation.gaveUp) log.warn('streamed body failed after the invocation was given up', { requestId, error: loggableError(err) });
      else log.error('streamed body failed', { requestId, error: loggableError(err) });
    },
    beforeEarlyEnd: drain,
  });
  readable.once('close', () => door.settled());
  return readable;
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

/** Lambda's streaming runtime's global (installed by `test/setup/awslambda.ts` in tests). */
declare const awslambda: { streamifyResponse<F>(handler: F): F };

/** middy's streamified handler, as the runtime calls it. */
type StreamedInvocation = (event: APIGatewayProxyEventV2, responseStream: Writable, context: Context) => Promise<void>;

/** What the door keeps of one invocation, for when middy's pipe fails under it. */
interface Invocation {
  /** The body middy pipes, once the gateway has answered. */
  body?: Readable;
  /** middy gave up (its own timeout, 5 ms before the end) before the gateway answered: nothing will pipe the body. */
  gaveUp?: true;
  /** A preflight, answered by the door: the gateway was not asked, and is not built for a drain it has nothing for. */
  preflight?: true;
  /** The writes after the answer, drained once whichever way the invocation ends early. */
  drained?: Promise<void>;
}

/**
 * The proxy behind a Function URL in RESPONSE_STREAM mode. middy sends status and headers first,
 * then pipes the body as it is produced; after the stream has ended, `requestEnd` waits for the
 * usage and audit writes (within the invocation's time), so the instance is not frozen with them
 * in flight and the client never waits.
 *
 * When the pipe fails, middy's `pipeline()` rejects the handler and skips `requestEnd`, and it
 * rejects as soon as the response stream has failed, without waiting for the body's end (Node's
 * `pipeline` counts a destination's error twice): the outer handler waits for the body's end (its
 * books closed, its writes drained: `toReadable`), and drains itself when the body had closed
 * first (the response stream failed only as it ended) or never came, before the invocation fails.
 */
export function createProxyHandler(gateway: () => Gateway, log: GatewayLogger = logger, cors: () => CorsPolicy | undefined = noCors) {
  const invocations = new WeakMap<Context, Invocation>();
  const drainOnce = (invocation: Invocation, context: Context) => (invocation.drained ??= invocation.preflight ? Promise.resolve() : drainIfBuilt(gateway, context, log));
  const piped = middy<APIGatewayProxyEventV2, unknown, Error, Context>({
    streamifyResponse: true,
    requestEnd: (request) => (invocations.get(request.context)?.preflight ? undefined : drainWithin(gateway(), request.context, log)),
  }).handler(async (event: APIGatewayProxyEventV2, context: Context) => {
    const invocation = invocations.get(context) ?? {};
    // One signal for the deadline and for the response stream failing.
    const door = new DoorSignal(timeLeftMs(context));
    let res: GatewayResponse;
    let request: GatewayRequest | undefined;
    let crossOrigin: CorsPolicy | undefined;
    try {
      request = requestFromFunctionUrlEvent(event, context, door.signal);
      crossOrigin = corsOf(cors(), request.path);
      // Answered here, before any key is read: browsers send preflights without one.
      if (crossOrigin?.isPreflight(request.method, request.headers)) {
        res = crossOrigin.preflight(request.headers);
        invocation.preflight = true;
      } else {
        res = await gateway().handle(request);
        // Errors too: a page cannot read an answer without them, a 401 or a 429 included.
        crossOrigin?.decorate(res, request.headers.origin);
      }
    } catch (err) {
      // The pipeline turns every failure into a response; this is the last line of defence, answered
      // so that the invocation still ends through `requestEnd` and its drain. After middy gave up,
      // the invocation's ERROR has counted this request already (InternalFailures: once a request).
      if (invocation.gaveUp) log.warn('request failed after the invocation was given up', { requestId: context.awsRequestId, error: loggableError(err) });
      else log.error('request failed', { requestId: context.awsRequestId, error: loggableError(err) });
      const caller = request ?? callerOfEvent(event);
      res = doorInternalError(context.awsRequestId, caller);
      // An event the door could not read still came from a page: without these it would see a CORS failure, not the 500.
      crossOrigin ??= corsOf(policyIfReadable(cors), caller.path);
      crossOrigin?.decorate(res, caller.headers.origin);
    }
    const body = toReadable(res.body, door, context.awsRequestId, () => drainOnce(invocation, context), log, invocation);
    // middy's own timeout failed the invocation while the gateway was stuck past its deadline:
    // nothing will pipe this body. It is read to its end, nowhere, so that its books close (a
    // stream's close only once it has been read) and its record is written, by the usage sink's
    // batch or the next invocation's drain. Its throw, if it throws, is logged by `toReadable`'s
    // hooks: here it must only not go unhandled.
    if (invocation.gaveUp) body.on('error', ignore).resume();
    else invocation.body = body;
    return { statusCode: res.status, headers: res.headers, body };
  }) as unknown as StreamedInvocation;

  return awslambda.streamifyResponse(async function proxyInvocation(event: APIGatewayProxyEventV2, responseStream: Writable, context: Context): Promise<void> {
    const invocation: Invocation = {};
    invocations.set(context, invocation);
    try {
      await piped(event, responseStream, context);
    } catch (err) {
      if (invocation.body) await closed(invocation.body);
      else {
        invocation.gaveUp = true;
        // The gateway was stuck past its own deadline: its failure, counted by the stack's
        // InternalFailures metric (a broken response stream, above, is not, and logs no ERROR).
        log.error('invocation failed before the gateway answered', { requestId: context.awsRequestId, error: loggableError(err) });
      }
      await drainOnce(invocation, context);
      // Rethrown even when the response stream failed under the answer: the runtime fails a streamed
      // invocation whose response to its API broke or did not finish whatever the handler returns
      // (it awaits that response, then checks `writableFinished`), so returning would change nothing
      // in the function's Errors. A client that hangs up never gets here: Lambda does not report it.
      throw err;
    } finally {
      // The handler holds its invocation from its start; an entry deleted costs a warm instance a
      // fifth of one left to the collector (0.3–0.4 against 1.6 µs).
      invocations.delete(context);
    }
  });
}

/**
 * Drains the gateway's writes, if it could be built at all (a config that fails at cold start
 * leaves none), on an invocation that fails anyway: a failing drain is logged, and the
 * invocation's own error stays the one the runtime reports.
 */
async function drainIfBuilt(gateway: () => Gateway, context: Context, log: GatewayLogger): Promise<void> {
  let built: Gateway;
  try {
    built = gateway();
  } catch {
    return;
  }
  try {
    await drainWithin(built, context, log);
  } catch (err) {
    log.error('writes after the answer failed', { requestId: context.awsRequestId, error: err as Error });
  }
}

function ignore(): void {}

const noCors = (): CorsPolicy | undefined => undefined;

/** The policy for a path, if it covers it (never the admin API's). */
const corsOf = (policy: CorsPolicy | undefined, path: string) => (policy?.covers(path) ? policy : undefined);

/** The CORS policy, or none when the instance's config cannot even be read (its 500 then goes without). */
function policyIfReadable(cors: () => CorsPolicy | undefined): CorsPolicy | undefined {
  try {
    return cors();
  } catch {
    return undefined;
  }
}

/** The caller's marks straight from the event, for the 500 of a door that could not even read it as a request. */
function callerOfEvent(event: APIGatewayProxyEventV2): CallerMarks {
  const headers: Record<string, string | undefined> = {};
  // Lower-cased as `requestFromFunctionUrlEvent` does: the 500's dialect and CORS read `anthropic-version` and `origin`.
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return { path: event.rawPath || '/', headers, query: new URLSearchParams(event.rawQueryString ?? '') };
}

/** Resolves once the stream has closed (an error included). */
function closed(stream: Readable): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

let instance: ProxyInstance | undefined;
// `process.env.GATEWAY_CONFIG_JSON` is spelled out because esbuild's define replaces that exact text at bundle time.
const built = () => (instance ??= proxyFromEnvironment({ ...process.env, GATEWAY_CONFIG_JSON: process.env.GATEWAY_CONFIG_JSON }));
export const handler = createProxyHandler(() => built().gateway, logger, () => built().cors);
