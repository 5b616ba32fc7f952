import { KeyAuthenticator } from './access/authenticate';
import { RateLimiter } from './access/rate-limiter';
import { SpendLimiter } from './access/spend-limiter';
import type { GatewayConfig } from './config/schema';
import type { Credentials } from './credentials/credentials';
import { json } from './http/body';
import { GatewayError, asGatewayError } from './http/errors';
import { rateLimitHeaders } from './http/rate-limit-headers';
import type { RateStanding } from './access/rate-standing';
import { isStreamBody, type GatewayRequest, type GatewayResponse } from './http/types';
import { silentLogger, type GatewayLogger } from './observe/logger';
import { newContext, type RequestContext } from './pipeline/context';
import type { ProxyDeps } from './pipeline/deps';
import { finishRequest } from './pipeline/finish';
import { Catalog } from './routing/catalog';
import { AccountLoad } from './routing/account-load';
import { AccountHealth } from './routing/health';
import { SharedHealth } from './routing/shared-health';
import { AfterResponse } from './pipeline/after-response';
import type { HealthStore } from './store/health';
import type { KeyStore } from './store/keys';
import type { TeamStore } from './store/teams';
import type { RateWindowStore } from './store/rate-windows';
import type { SpendStore } from './store/spend';
import { listModels, retrieveModel } from './surfaces/models';
import { countTokens } from './surfaces/count-tokens';
import { ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES, type SurfaceBinding } from './pipeline/bindings';
import { geminiRoute, listGeminiModels, retrieveGeminiModel } from './surfaces/gemini/http';
import { COMPLETIONS, EMBEDDINGS, openAIOnlyCall, type OpenAIOnlyOperation } from './pipeline/openai-only';
import { AUDIO_SPEECH, AUDIO_TRANSCRIPTIONS, AUDIO_TRANSLATIONS, IMAGES_EDITS, IMAGES_GENERATIONS, MODERATIONS } from './pipeline/media-operations';
import { modelCall } from './pipeline/model-call';
import { RERANK } from './pipeline/rerank';
import { createProviderRegistry } from './providers/registry';
import { upstreamLimits } from './upstream/event-bound';
import { createUpstreamClient, type UpstreamClient } from './upstream/http';
import type { UsageSink } from './usage/record';
import { createAuditLog, type AuditSink } from './audit/log';
import { ResponseCache } from './cache/response-cache';
import type { ResponseCacheStore } from './store/response-cache';
import { Guardrails } from './guardrails/scan';
import type { EndUserBudgetAlerts } from './alerts/end-users';
import { ComposedPolicies } from './params/compose';
import { compileSets } from './guardrails/sets';
import type { StoredHomeStore } from './store/stored-homes';
import { storedObjectCall, storedObjectOperations } from './pipeline/stored-responses';
import { monotonicNow } from './routing/response-homes';
import { createConversation } from './pipeline/conversation-create';
import { bindingByCaller, isGeminiClient } from './pipeline/caller-binding';
import { ConversationlessAccounts } from './pipeline/conversationless-accounts';
import { exactRoutes, routePath } from './pipeline/route-binding';
import { loggableError } from './observe/loggable-error';

export interface GatewayDeps {
  config: GatewayConfig;
  keys: KeyStore;
  /** Teams, read with their keys; without it, a key that names a team is refused. */
  teams?: TeamStore;
  /** Per-key, per-minute counters: shared by every instance, or the limits hold per instance only. */
  rates: RateWindowStore;
  /** Per-key spend per day and month: shared by every instance, or budgets hold per instance only. */
  spend: SpendStore;
  usage: UsageSink;
  credentials: Credentials;
  upstream?: UpstreamClient;
  logger?: GatewayLogger;
  /** Epoch ms. */
  now?: () => number;
  /** Which accounts rest after failing; a fresh, healthy pool when absent. */
  health?: AccountHealth;
  /** Calls in flight and latencies per account; a fresh, idle record when absent (tests hold it to see every call given back). */
  load?: AccountLoad;
  /** Where instances share which accounts rest; each instance learns only from its own failures when absent. */
  healthStore?: HealthStore;
  /** Where audit records go (`lib/audit/`); needed, and made only, when the config's `audit.mode` is not `off`. */
  audit?: () => AuditSink;
  /** Where the response cache keeps answers (the table); models with `cache` are served without one as if they had none. */
  responseCache?: ResponseCacheStore;
  /** Where stored Responses objects live and whose they are (the table); without it each instance knows only those it saw. */
  storedHomes?: StoredHomeStore;
  /** Budget alerts for end users, checked from the totals settlements hand back (`lib/alerts/end-users.ts`); none when absent. */
  endUserAlerts?: EndUserBudgetAlerts;
  /** How long a stream drained after an emulated stop may stay quiet before a keep-alive goes (ms; 15 s when absent): tests shorten it. */
  keepAliveMs?: number;
}

export interface Gateway {
  handle(req: GatewayRequest): Promise<GatewayResponse>;
  /** Waits for work that outlives responses (usage writes, token counts, spend settlements). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

type Handler = (req: GatewayRequest, ctx: RequestContext, finish: () => void) => Promise<GatewayResponse>;

interface Route {
  /** The API whose error shape the route answers in; by the caller's headers when shared by both. */
  binding?: SurfaceBinding;
  methods: Record<string, Handler>;
}

/**
 * The gateway pipeline, independent of how requests arrive (Lambda, node:http, tests).
 *
 * @example
 * const gateway = createGateway({ config, keys, usage, credentials });
 * const res = await gateway.handle(request);
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? silentLogger;
  const accountHealth = deps.health ?? new AccountHealth(now);
  const later = new AfterResponse();
  const upstream = deps.upstream ?? createUpstreamClient({ limits: upstreamLimits(deps.config.limits.maxUpstreamEventBytes) });
  const auditSink = deps.audit;
  if (deps.config.audit.mode !== 'off' && !auditSink) throw new Error(`audit.mode is "${deps.config.audit.mode}" but the gateway was given nowhere to write audit records`);
  const audit = auditSink && createAuditLog(deps.config.audit, auditSink, logger);
  const guardrails = Guardrails.from(deps.config.guardrails);
  const answerRules = Guardrails.from(deps.config.guardrails, 'response');
  const guardrailSets = compileSets(deps.config.guardrails);
  const proxy: ProxyDeps = {
    config: deps.config,
    catalog: new Catalog(deps.config),
    auth: new KeyAuthenticator(deps.keys, { ttlMs: deps.config.keyCache.ttlSeconds * 1000, now, ...(deps.teams ? { teams: deps.teams } : {}) }),
    limiter: new RateLimiter(deps.rates, { now, logger, later }),
    spend: new SpendLimiter(deps.spend, { now, logger, later, ...(deps.endUserAlerts ? { endUserAlerts: deps.endUserAlerts } : {}) }),
    credentials: deps.credentials,
    upstream,
    providers: createProviderRegistry(deps.credentials, upstream, logger, now),
    health: accountHealth,
    load: deps.load ?? new AccountLoad(now),
    // An interval: timed on the clock a wall-clock step does not move (an injected clock times it in tests).
    conversationless: new ConversationlessAccounts(deps.now ?? monotonicNow),
    ...(deps.healthStore ? { sharedHealth: new SharedHealth(accountHealth, deps.healthStore, { now, logger, later }) } : {}),
    usage: deps.usage,
    ...(deps.storedHomes ? { storedHomes: deps.storedHomes } : {}),
    ...(audit ? { audit } : {}),
    ...(deps.responseCache ? { responseCache: new ResponseCache(deps.responseCache, { maxBytes: deps.config.responseCache.maxBytes, now, logger, later }) } : {}),
    ...(guardrails ? { guardrails } : {}),
    ...(answerRules ? { answerGuardrails: { rules: answerRules, window: deps.config.guardrails.streamWindow } } : {}),
    ...(guardrailSets ? { guardrailSets } : {}),
    ...(deps.config.paramPolicies ? { paramPolicies: new ComposedPolicies(deps.config.paramPolicies) } : {}),
    logger,
    now,
    // An injected clock (tests) times intervals too, so moving it moves both.
    monotonicNow: deps.now ?? monotonicNow,
    ...(deps.keepAliveMs ? { keepAliveMs: deps.keepAliveMs } : {}),
  };

  const openAIOnly = (operation: OpenAIOnlyOperation): Route['methods'] => ({ POST: (req, ctx, finish) => openAIOnlyCall(operation, req, ctx, proxy, finish) });
  // Exact paths in one table: a lookup costs the same however many routes there are. Each path's
  // API comes from lib/pipeline/route-binding.ts, which the doors' last resort reads without a gateway.
  const routes: Record<string, Route> = exactRoutes<Route['methods']>({
    '/v1/chat/completions': { POST: (req, ctx, finish) => modelCall(OPENAI_CHAT, req, ctx, proxy, finish) },
    '/v1/completions': openAIOnly(COMPLETIONS),
    '/v1/responses': { POST: (req, ctx, finish) => modelCall(OPENAI_RESPONSES, req, ctx, proxy, finish) },
    '/v1/conversations': { POST: (req, ctx) => createConversation(req, ctx, proxy) },
    '/v1/embeddings': openAIOnly(EMBEDDINGS),
    '/v1/images/generations': openAIOnly(IMAGES_GENERATIONS),
    '/v1/images/edits': openAIOnly(IMAGES_EDITS),
    '/v1/audio/speech': openAIOnly(AUDIO_SPEECH),
    '/v1/audio/transcriptions': openAIOnly(AUDIO_TRANSCRIPTIONS),
    '/v1/audio/translations': openAIOnly(AUDIO_TRANSLATIONS),
    '/v1/moderations': openAIOnly(MODERATIONS),
    '/v1/rerank': openAIOnly(RERANK),
    '/v2/rerank': openAIOnly(RERANK),
    '/v1/messages': { POST: (req, ctx, finish) => modelCall(ANTHROPIC_MESSAGES, req, ctx, proxy, finish) },
    '/v1/messages/count_tokens': { POST: (req, ctx) => countTokens(req, ctx, proxy) },
    '/v1/models': { GET: (req) => (isGeminiClient(req) ? listGeminiModels(req, proxy) : listModels(req, proxy)) },
    '/v1beta/models': { GET: (req) => listGeminiModels(req, proxy) },
    '/': { GET: health, HEAD: health },
    '/health': { GET: health, HEAD: health },
  });

  function findRoute(path: string): Route | undefined {
    const trimmed = routePath(path);
    // Clients configured with a base URL without /v1 send `/chat/completions`.
    const route = routes[trimmed] ?? routes[`/v1${trimmed}`];
    if (route) return route;
    const gemini = geminiRoute(trimmed, proxy);
    if (gemini) return gemini;
    const stored = storedObjectOperations(trimmed);
    if (stored) return { binding: OPENAI_RESPONSES, methods: Object.fromEntries(Object.entries(stored).map(([method, operation]) => [method, (req: GatewayRequest, ctx: RequestContext, finish: () => void) => storedObjectCall(operation, req, ctx, proxy, finish)])) };
    const model = modelInPath(trimmed);
    return model === undefined ? undefined : { methods: { GET: (req) => (isGeminiClient(req) ? retrieveGeminiModel(req, proxy, model) : retrieveModel(req, proxy, model)) } };
  }

  // Books of answers sent but not yet closed: drain() closes them at once (Lambda drains right
  // after the response, before the instance may be frozen).
  const unsettled = new Set<() => void>();
  function finishSoon(finish: () => void): void {
    unsettled.add(finish);
    setImmediate(() => {
      if (unsettled.delete(finish)) finish();
    });
  }
  function settleNow(): void {
    for (const finish of unsettled) {
      unsettled.delete(finish);
      finish();
    }
  }

  const writesDone = () => Promise.all([deps.usage.drain(), later.drain(), audit?.drain()]);

  /** The route's API, else the caller's own (for routes shared by all, and URLs no route has). */
  const bindingOf = (req: GatewayRequest, route: Route | undefined) => route?.binding ?? bindingByCaller(req);

  /**
   * The key's (or its team's) per-minute limits, in the caller's dialect, on a model call's answer,
   * refusals included. Never the provider's: answers are built with headers of the gateway's own,
   * so an upstream account's rate-limit headers are not passed on to be mistaken for the key's.
   */
  const tellLimits = (res: GatewayResponse, standing: RateStanding, binding: SurfaceBinding) => {
    if (binding.rateHeaders) Object.assign(res.headers, rateLimitHeaders(binding.rateHeaders, standing, now()));
  };

  return {
    async handle(req) {
      const route = findRoute(req.path);
      const binding = bindingOf(req, route);
      const ctx = newContext(req.requestId, binding.name, new Date(now()));
      let streaming = false;
      const finish = () => finishRequest(ctx, proxy);
      try {
        if (!route) throw new GatewayError('not_found', `Unknown request URL: ${req.method} ${req.path}.`, { code: 'unknown_url' });
        const handler = route.methods[req.method];
        if (!handler) {
          const allow = Object.keys(route.methods).join(', ');
          throw new GatewayError('method_not_allowed', `Method ${req.method} is not allowed on ${req.path}; use ${allow}.`, { headers: { allow }, code: 'method_not_allowed' });
        }
        if (route.binding) {
          const backlog = deps.usage.backlog?.();
          if (backlog) await backlog;
        }
        // A stream closes its books when it ends, but on the next turn, after the door has sent the
        // stream's end: the client does not wait for the log line and the usage record either.
        const res = await handler(req, ctx, () => finishSoon(finish));
        streaming = isStreamBody(res.body);
        ctx.status ??= res.status;
        res.headers['x-request-id'] = req.requestId;
        // One property read for callers without per-minute limits: they get no headers and pay nothing.
        if (ctx.rateStanding) tellLimits(res, ctx.rateStanding, binding);
        // Likewise for calls the audit log does not cover; a covered stream is handed on through a tee.
        ctx.audit?.answer(res);
        return res;
      } catch (err) {
        const error = asGatewayError(err);
        if (error.kind === 'internal') logger.error('request failed', { requestId: req.requestId, error: loggableError(err) });
        ctx.status = error.status;
        ctx.errorCode = error.code;
        ctx.errorDetail = error.detail;
        if (error.code === 'client_closed_request') ctx.outcome = 'aborted';
        const res = binding.errorResponse(error);
        res.headers['x-request-id'] = req.requestId;
        if (ctx.rateStanding) tellLimits(res, ctx.rateStanding, binding);
        ctx.audit?.answer(res);
        return res;
      } finally {
        // A whole answer's books are closed on the next turn of the event loop, after the door has
        // written it: the client does not wait for the log line and the usage record to be made.
        if (!streaming) finishSoon(finish);
      }
    },
    async drain() {
      settleNow();
      await writesDone();
    },
    async close() {
      settleNow();
      await writesDone();
      await deps.usage.close?.();
      await proxy.upstream.close();
    },
  };
}

/** The model a `/v1/models/{model}` path names (ids may hold `/`, sent encoded or not), if it is one. */
function modelInPath(path: string): string | undefined {
  const prefix = path.startsWith('/v1/models/') ? '/v1/models/' : path.startsWith('/models/') ? '/models/' : undefined;
  if (!prefix || path.length === prefix.length) return undefined;
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch {
    return undefined;
  }
}


async function health(): Promise<GatewayResponse> {
  return json(200, { ok: true });
}
