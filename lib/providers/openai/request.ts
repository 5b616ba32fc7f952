import type { AccountConfig, ProviderConfig } from '../../config/schema';
import { withLastMember } from '../../http/json-member';
import { jsonPost, type UpstreamRequest, type UpstreamTimeouts } from '../../upstream/http';

export interface OpenAIChatCall {
  provider: ProviderConfig;
  account: AccountConfig;
  apiKey: string | undefined;
  /** The upstream model id. */
  model: string;
  /** The client's body, as parsed; unknown fields pass through. */
  body: Record<string, unknown>;
  /** The same body's bytes, sent untouched when nothing in it has to change. */
  raw?: Uint8Array;
  stream: boolean;
  /** With the provider's overrides applied. */
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal;
}

/** The operations the gateway sends on to OpenAI-dialect upstreams, by their path under the base URL (on Azure by deployment too, all but `rerank`, which Azure has not). */
export type OpenAIOperation =
  | 'chat/completions'
  | 'completions'
  | 'embeddings'
  | 'images/generations'
  | 'images/edits'
  | 'audio/speech'
  | 'audio/transcriptions'
  | 'audio/translations'
  | 'moderations'
  | 'rerank';

/** Where one operation of one account goes, and how it is signed. */
export interface OperationTarget {
  url: string;
  /** Whether the body names the model (Azure's deployments path names it in the URL instead). */
  modelInBody: boolean;
  auth: Record<string, string>;
}

/**
 * The upstream request for an OpenAI-dialect provider. The body is the client's, with only the
 * model swapped for the upstream id and, on streams, usage asked for (the gateway meters every stream).
 */
export function openAIChatRequest(call: OpenAIChatCall): UpstreamRequest {
  return operationRequest(call, openAIOperationTarget(call, 'chat/completions'));
}

/** `{baseUrl}/{operation}` with a Bearer key: an OpenAI or OpenAI-compatible account's operation. */
export function openAIOperationTarget(call: OpenAIChatCall, operation: OpenAIOperation): OperationTarget {
  return { url: openAIEndpoint(call, operation), modelInBody: true, auth: call.apiKey ? { authorization: `Bearer ${call.apiKey}` } : {} };
}

/** A JSON operation's request to a target: the client's body with the model swapped (and usage asked for on streams). */
export function operationRequest(call: OpenAIChatCall, target: OperationTarget): UpstreamRequest {
  return jsonPost(target.url, openAIPassthroughBody(call, target.modelInBody), {
    stream: call.stream,
    accountHeaders: call.account.headers,
    auth: target.auth,
    timeouts: call.timeouts,
    signal: call.signal,
  });
}

/** The member a stream's body gets when its client did not ask for usage (the gateway meters every stream). */
const STREAM_USAGE = '"stream_options":{"include_usage":true}';

/**
 * The body for an OpenAI-dialect upstream: the client's own bytes when the model name and usage
 * request are already right (large bodies are not re-serialised, and nothing changes, not even
 * key order), or those bytes with `stream_options` added at their end on a stream whose client
 * named none (the OpenAI SDKs' default: serialising an agent's body again would hold its first
 * token up by a fraction of a millisecond), else the parsed body with the model swapped (or
 * dropped) and usage asked for.
 */
export function openAIPassthroughBody(call: OpenAIChatCall, modelInBody: boolean): string | Uint8Array {
  const options = call.body.stream_options;
  const asksUsage = typeof options === 'object' && options !== null && (options as { include_usage?: unknown }).include_usage === true;
  if (call.raw && modelInBody && call.body.model === call.model) {
    if (!call.stream || asksUsage) return call.raw;
    const added = options === undefined ? withLastMember(call.raw, STREAM_USAGE) : undefined;
    if (added) return added;
  }
  const body: Record<string, unknown> = { ...call.body };
  if (modelInBody) body.model = call.model;
  else delete body.model;
  if (call.stream) body.stream_options = { ...(typeof options === 'object' && options !== null ? options : {}), include_usage: true };
  return JSON.stringify(body);
}

/**
 * The upstream request for a Responses API body passed through (OpenAI, or an OpenAI-compatible
 * server configured for it): the client's bytes when the upstream knows the model by the same
 * name, else re-serialised with only the model swapped. Responses streams always end with the
 * usage, so nothing else changes.
 */
export function openAIResponsesRequest(call: OpenAIChatCall): UpstreamRequest {
  return jsonPost(openAIEndpoint(call, 'responses'), responsesPassthroughBody(call, call.model), {
    stream: call.stream,
    accountHeaders: call.account.headers,
    ...(call.apiKey ? { auth: { authorization: `Bearer ${call.apiKey}` } } : {}),
    timeouts: call.timeouts,
    signal: call.signal,
  });
}

/** A Responses body with `model` set to `model`: the client's own bytes when it already is. */
export function responsesPassthroughBody(call: OpenAIChatCall, model: string): string | Uint8Array {
  if (call.raw && call.body.model === model) return call.raw;
  return JSON.stringify({ ...call.body, model });
}

/** `{baseUrl}/{operation}` of the account (else the provider). */
function openAIEndpoint(call: OpenAIChatCall, operation: OpenAIOperation | 'responses'): string {
  return `${baseUrlOf(call).replace(/\/+$/, '')}/${operation}`;
}

function baseUrlOf({ account, provider }: OpenAIChatCall): string {
  const url = account.baseUrl ?? ('baseUrl' in provider ? provider.baseUrl : undefined);
  if (!url) throw new Error(`provider ${provider.id} has no base URL`);
  return url;
}
