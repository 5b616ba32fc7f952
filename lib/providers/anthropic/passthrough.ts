import { jsonPost, type UpstreamRequest, type UpstreamTimeouts } from '../../upstream/http';
import { anthropicUrl, DEFAULT_ANTHROPIC_VERSION } from './request';

export interface AnthropicPassthroughCall {
  /** The client's body, as parsed: sent on unchanged except `model`. */
  body: Record<string, unknown>;
  /** The same body's bytes, sent as they are when the model name needs no change. */
  raw?: Uint8Array;
  /** The client's request headers (lower-case names). */
  headers: Readonly<Record<string, string | undefined>>;
  baseUrl: string;
  apiKey: string | undefined;
  /** The upstream model id. */
  model: string;
  stream: boolean;
  /** The provider's `anthropic-version`, used when the client sent none. */
  version?: string;
  /** Extra headers of the account (sent first; the client's Anthropic headers and the key win). */
  accountHeaders?: Record<string, string>;
  /** `messages` (default) or `count_tokens`. */
  endpoint?: 'messages' | 'count_tokens';
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal;
}

/**
 * The upstream request when client and provider both speak Anthropic. Everything the client sent
 * survives (cache_control, thinking, context_management, fields newer than this code) because
 * only `model` is replaced; `anthropic-beta` and `anthropic-version` are forwarded since Claude
 * Code's features depend on them; the client's credentials are replaced by the account's key.
 *
 * @example
 * anthropicPassthroughRequest({ body, headers: req.headers, baseUrl: 'https://api.anthropic.com', apiKey, model: 'claude-sonnet-4-5', stream: true, timeouts })
 */
export function anthropicPassthroughRequest(call: AnthropicPassthroughCall): UpstreamRequest {
  const auth: Record<string, string> = { 'anthropic-version': call.headers['anthropic-version'] || call.version || DEFAULT_ANTHROPIC_VERSION };
  const beta = call.headers['anthropic-beta'];
  if (beta) auth['anthropic-beta'] = beta;
  if (call.apiKey) auth['x-api-key'] = call.apiKey;
  const path = call.endpoint === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages';
  // Claude Code's bodies are 60–110 KB: when the model name stays, they go on as they came.
  const body = call.raw && call.body.model === call.model ? call.raw : JSON.stringify({ ...call.body, model: call.model });
  return jsonPost(anthropicUrl(call.baseUrl, path), body, {
    stream: call.stream,
    accountHeaders: call.accountHeaders,
    auth,
    timeouts: call.timeouts,
    signal: call.signal,
  });
}
