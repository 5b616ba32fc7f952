import { modelAllowed } from '../../access/model-patterns';
import { readBody, parseJsonObject } from '../../http/body';
import { GatewayError } from '../../http/errors';
import { openAIErrorBody } from '../../http/openai-error';
import { SSE_HEADERS, sseData } from '../../http/sse';
import type { GatewayRequest, GatewayResponse } from '../../http/types';
import type { RequestContext } from '../../pipeline/context';
import type { ProxyDeps } from '../../pipeline/deps';
import { clientGone, requestSignal, whyAborted } from '../../pipeline/signal';
import { errorFromOpenAIUpstream } from '../../providers/openai/errors';
import { openAIChatRequest } from '../../providers/openai/request';
import { OpenAIStreamMeter } from '../../providers/openai/stream-meter';
import { usageFromOpenAI } from '../../providers/openai/usage';
import { planAttempts, type Attempt } from '../../routing/attempts';
import { shouldFailOver } from '../../routing/failover';
import type { UpstreamResponse } from '../../upstream/http';
import { CredentialError } from '../../credentials/credentials';
import { relayOpenAIStream } from './relay';
import { parseChatRequest } from './request';

/**
 * `POST /v1/chat/completions`: authenticate, validate, route, call the upstream (failing over
 * while nothing has reached the client), and pass the answer on, metering it on the side.
 */
export async function chatCompletions(req: GatewayRequest, ctx: RequestContext, deps: ProxyDeps, finish: () => void): Promise<GatewayResponse> {
  const key = await deps.auth.authenticate(req.headers);
  ctx.keyId = key.id;
  const body = parseJsonObject(await readBody(req, deps.config.limits.maxBodyBytes));
  if (typeof body.model === 'string') ctx.model = body.model;
  ctx.stream = body.stream === true;
  const chat = parseChatRequest(body);

  const entry = deps.catalog.find(chat.model);
  if (!entry) {
    throw new GatewayError('not_found', `The model \`${chat.model}\` does not exist or you do not have access to it.`, { code: 'model_not_found', param: 'model' });
  }
  if (!modelAllowed(key.models, chat.model) && !modelAllowed(key.models, entry.name)) {
    throw new GatewayError('permission', `This API key may not use the model \`${chat.model}\`.`, { code: 'model_not_allowed', param: 'model' });
  }

  const signal = requestSignal(req, deps.now);
  let lastError: unknown;
  for (const attempt of planAttempts(entry.targets)) {
    if (signal?.aborted) break;
    ctx.attempts++;
    ctx.provider = attempt.provider.id;
    ctx.account = attempt.account.id;
    ctx.upstreamModel = attempt.model;
    let res: UpstreamResponse;
    try {
      res = await send(attempt, body, ctx.stream, deps, signal);
    } catch (err) {
      if (signal?.aborted) break;
      lastError = err;
      deps.logger.warn('upstream attempt failed', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, error: (err as Error).message });
      continue;
    }
    if (res.status >= 400) {
      const error = errorFromOpenAIUpstream(res.status, res.headers, await res.body.text().catch(() => ''), attempt.provider.id);
      if (res.status === 401 && attempt.account.apiKey) deps.credentials.refresh(attempt.account.apiKey);
      deps.logger.warn('upstream answered with an error', { requestId: ctx.requestId, provider: ctx.provider, account: ctx.account, status: res.status });
      lastError = error;
      ctx.outcome = 'upstream_error';
      if (shouldFailOver(res.status)) continue;
      throw error;
    }
    ctx.outcome = undefined;
    const isSse = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
    return ctx.stream && isSse ? streamAnswer(res, chat.stream_options?.include_usage === true, ctx, deps, signal, finish) : wholeAnswer(res, ctx, signal);
  }
  if (signal?.aborted) throw whyAborted(signal);
  throw lastError ?? new GatewayError('upstream_unavailable', 'No upstream could take the request.', { code: 'no_upstream' });
}

async function send(attempt: Attempt, body: Record<string, unknown>, stream: boolean, deps: ProxyDeps, signal: AbortSignal | undefined) {
  let apiKey: string | undefined;
  if (attempt.account.apiKey) {
    try {
      apiKey = await deps.credentials.resolve(attempt.account.apiKey);
    } catch (err) {
      const detail = err instanceof CredentialError ? err.message : 'unreadable';
      throw new GatewayError('upstream_error', `The gateway has no usable credentials for provider "${attempt.provider.id}" (${detail}).`, {
        code: 'upstream_credentials_missing',
        cause: err,
      });
    }
  }
  return deps.upstream.send(
    openAIChatRequest({ provider: attempt.provider, account: attempt.account, apiKey, model: attempt.model, body, stream, timeouts: deps.config.timeouts, ...(signal ? { signal } : {}) }),
  );
}

async function wholeAnswer(res: UpstreamResponse, ctx: RequestContext, signal: AbortSignal | undefined): Promise<GatewayResponse> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of res.body) chunks.push(chunk);
  } catch (err) {
    if (signal?.aborted) throw whyAborted(signal);
    throw new GatewayError('upstream_unavailable', 'The upstream provider broke off its answer.', { code: 'upstream_interrupted', cause: err });
  }
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  ctx.ttftMs = performance.now() - ctx.startPerf;
  try {
    ctx.usage = usageFromOpenAI((JSON.parse(bytes.toString('utf8')) as { usage?: unknown }).usage);
  } catch {
    // Not JSON: pass it on as it is; there is nothing to meter.
  }
  ctx.status = 200;
  return { status: 200, headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') }, body: bytes };
}

function streamAnswer(
  res: UpstreamResponse,
  clientAskedUsage: boolean,
  ctx: RequestContext,
  deps: ProxyDeps,
  signal: AbortSignal | undefined,
  finish: () => void,
): GatewayResponse {
  const meter = new OpenAIStreamMeter(ctx.startPerf);
  ctx.status = 200;
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      yield* relayOpenAIStream(res.body, { meter, stripUsage: !clientAskedUsage });
      if (meter.upstreamError) {
        ctx.outcome = 'upstream_error';
      } else if (!meter.sawDone) {
        ctx.outcome = 'interrupted';
        yield inBandError(new GatewayError('upstream_unavailable', 'The upstream provider ended the stream before it was complete.', { code: 'upstream_interrupted' }));
      } else {
        ctx.outcome = 'ok';
      }
    } catch (err) {
      if (clientGone(signal)) {
        ctx.outcome = 'aborted';
        return;
      }
      ctx.outcome = 'interrupted';
      const error = signal?.aborted
        ? whyAborted(signal)
        : new GatewayError('upstream_unavailable', 'The upstream provider broke off the stream.', { code: 'upstream_interrupted', cause: err });
      ctx.errorCode = error.code;
      deps.logger.warn('stream interrupted', { requestId: ctx.requestId, provider: ctx.provider, error: (err as Error).message });
      yield inBandError(error);
    } finally {
      // Reached without an outcome only when the door stopped reading: the client went away.
      ctx.outcome ??= 'aborted';
      if (meter.usage) ctx.usage = meter.usage;
      if (meter.firstTokenMs !== undefined) ctx.ttftMs = meter.firstTokenMs;
      finish();
    }
  }
  return { status: 200, headers: { ...SSE_HEADERS }, body: body() };
}

/** OpenAI has no mid-stream error event; its clients raise on a data event that carries `error`. No [DONE] follows. */
function inBandError(err: GatewayError): Uint8Array {
  return Buffer.from(sseData(JSON.stringify(openAIErrorBody(err))));
}
