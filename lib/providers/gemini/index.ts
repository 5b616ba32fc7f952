import { jsonPost } from '../../upstream/http';
import type { ProviderAdapter } from '../types';
import { errorFromGeminiUpstream } from './errors';
import { geminiUrl, toGeminiRequest } from './request';
import { fromGeminiResponse } from './response';
import { parseGeminiStream } from './stream';
import type { GeminiResponse } from './types';

export { toGeminiRequest, geminiUrl, geminiMethodUrl, thinkingConfig } from './request';
export { geminiPassthroughRequest, GeminiStreamMeter, type GeminiPassthroughCall } from './passthrough';
export { toGeminiContents } from './contents';
export { toGeminiSchema, toGeminiParameters } from './schema';
export { fromGeminiResponse, usageFromGemini, finishReasonFromGemini, toolCallId } from './response';
export { parseGeminiStream, GeminiStreamDecoder } from './stream';
export { errorFromGeminiUpstream, retryAfterFromDetails } from './errors';
export { decodeGeminiEmbeddings, geminiEmbeddingBodies, GEMINI_EMBED_BATCH } from './embeddings';

const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/** Where an account's calls go: its own base URL, else its provider's, else Google's. */
export function geminiBaseUrl(provider: object & { baseUrl?: unknown }, account: { baseUrl?: string | undefined }): string {
  return account.baseUrl ?? (typeof provider.baseUrl === 'string' ? provider.baseUrl : DEFAULT_BASE_URL);
}

/**
 * Google's Gemini API (generativelanguage.googleapis.com, v1beta `generateContent` and
 * `streamGenerateContent?alt=sse`), authenticated with `x-goog-api-key`.
 *
 * @example
 * const upstream = await geminiProvider.buildRequest(req, { provider, account, apiKey, timeouts });
 * // upstream.url === 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent'
 */
export const geminiProvider: ProviderAdapter = {
  dialect: 'gemini',

  buildRequest(req, call) {
    return jsonPost(geminiUrl(geminiBaseUrl(call.provider, call.account), req.model, req.stream), JSON.stringify(toGeminiRequest(req, call.onStopEmulated)), {
      stream: req.stream,
      accountHeaders: call.account.headers,
      ...(call.apiKey ? { auth: { 'x-goog-api-key': call.apiKey } } : {}),
      timeouts: call.timeouts,
      signal: call.signal,
    });
  },

  parseResponse(body, req) {
    return fromGeminiResponse((typeof body === 'object' && body !== null ? body : {}) as GeminiResponse, req);
  },

  parseStream(body, req, providerId) {
    return parseGeminiStream(body, req, providerId);
  },

  parseError(status, headers, text, providerId) {
    return errorFromGeminiUpstream(status, headers, text, providerId);
  },
};
