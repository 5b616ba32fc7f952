import { jsonPost, type UpstreamRequest, type UpstreamTimeouts } from '../../upstream/http';
import type { CallContext, ProviderAdapter } from '../types';
import { errorFromOpenAIUpstream } from './errors';
import { openAIBodyOptions, toOpenAIChatBody, withinStopLimit } from './translate-request';
import { fromOpenAIChatCompletion } from './translate-response';
import { openAIStreamEvents } from './translate-stream';

export { openAIBodyOptions, toOpenAIChatBody, withinStopLimit, type OpenAIBodyOptions } from './translate-request';
export { fromOpenAIChatCompletion } from './translate-response';
export { OpenAIChunkDecoder, openAIStreamEvents } from './translate-stream';

const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** What `openAIDialectRequest` reads of a call (a CallContext, or the passthrough's OpenAIChatCall). */
export interface DialectCall {
  provider: { id: string };
  account: { headers?: Record<string, string> | undefined };
  timeouts: UpstreamTimeouts;
  signal?: AbortSignal | undefined;
}

/** A JSON POST to an OpenAI-dialect endpoint: the account's headers, then ours, then the auth header. */
export function openAIDialectRequest(call: DialectCall, url: string, auth: Record<string, string>, body: unknown, stream: boolean): UpstreamRequest {
  return jsonPost(url, JSON.stringify(body), { stream, accountHeaders: call.account.headers, auth, timeouts: call.timeouts, signal: call.signal });
}

function baseUrlOf(call: CallContext): string {
  const provider = call.provider as { baseUrl?: unknown; type: string; id: string };
  const url = call.account.baseUrl ?? (typeof provider.baseUrl === 'string' ? provider.baseUrl : provider.type === 'openai' ? OPENAI_BASE_URL : undefined);
  if (!url) throw new Error(`provider ${provider.id} has no base URL`);
  return url.replace(/\/+$/, '');
}

/**
 * Provider types `openai` and `openai-compatible` when the gateway translates (a client of
 * another dialect): canonical request → Chat Completions at `{baseUrl}/chat/completions` with
 * Bearer auth; JSON and SSE answers → canonical.
 *
 * @example
 * const upstreamReq = openAIProvider.buildRequest(req, { provider, account, apiKey, timeouts });
 */
export const openAIProvider: ProviderAdapter = {
  dialect: 'openai',
  buildRequest(req, call) {
    const options = openAIBodyOptions(call.provider.type);
    const written = toOpenAIChatBody(req, options);
    const body = withinStopLimit(call.mend ? call.mend(written) : written, options);
    const auth: Record<string, string> = call.apiKey ? { authorization: `Bearer ${call.apiKey}` } : {};
    return openAIDialectRequest(call, `${baseUrlOf(call)}/chat/completions`, auth, body, req.stream);
  },
  parseResponse: fromOpenAIChatCompletion,
  parseStream: openAIStreamEvents,
  parseError: errorFromOpenAIUpstream,
};
