/**
 * Google Vertex AI: Claude through Anthropic's publisher (`rawPredict`, Anthropic's bodies and
 * SSE) and Gemini through Google's (`generateContent`, the Gemini API's bodies), in a Google
 * Cloud project, with a service account's access tokens as Bearer. The bodies, answers, streams
 * and most errors are the publishers' own, so this adapter addresses and authenticates, and leaves
 * the rest to the Anthropic and Gemini providers' code.
 */
import { jsonPost } from '../../upstream/http';
import { trimmedPrefillWhitespace } from '../anthropic/prefill';
import { continuingPrefill, continuingPrefillStream } from '../anthropic/prefill-continuation';
import { toAnthropicBody } from '../anthropic/request';
import { responseFromAnthropic } from '../anthropic/response';
import { anthropicStreamEvents } from '../anthropic/stream';
import { toGeminiRequest } from '../gemini/request';
import { fromGeminiResponse } from '../gemini/response';
import { parseGeminiStream } from '../gemini/stream';
import type { GeminiResponse } from '../gemini/types';
import type { ProviderAdapter } from '../types';
import { errorFromVertex } from './errors';
import { bearer, claudeMethod, geminiMethod, vertexClaudeBody, vertexModelUrl, vertexPublisher, vertexTarget } from './request';

export { errorFromVertex } from './errors';
export {
  bearer,
  VERTEX_ANTHROPIC_BETAS,
  VERTEX_ANTHROPIC_VERSION,
  vertexBetaHeader,
  vertexClaudeCountTokensRequest,
  vertexClaudePassthroughRequest,
  vertexGeminiPassthroughRequest,
  vertexHost,
  vertexModelUrl,
  vertexPublisher,
  vertexTarget,
  type VertexPassthroughCall,
  type VertexPublisher,
  type VertexTarget,
} from './request';
export { googleTokenFetcher, parseServiceAccountKey, signedAssertion, CLOUD_PLATFORM_SCOPE, GoogleTokenRefusedError, type ServiceAccountKey } from './service-account';
export { VertexTokens } from './tokens';
export { decodeVertexEmbeddings, vertexEmbeddingBodies, VERTEX_EMBED_BATCH } from './embeddings';

/**
 * Vertex AI when the gateway translates: the canonical request as Anthropic's Messages body
 * (Vertex's version inside, no model) for `claude-…` models, else as a Gemini body; the answer
 * read by the publisher's decoder. `call.apiKey` is the account's access token.
 *
 * @example
 * const upstream = await vertexProvider.buildRequest({ ...req, model: 'claude-sonnet-4-5@20250929' }, call);
 * // POST https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict
 */
export const vertexProvider: ProviderAdapter = {
  dialect: 'vertex',

  buildRequest(req, call) {
    const target = vertexTarget(call.provider, call.account);
    const options = { stream: req.stream, accountHeaders: call.account.headers, auth: bearer(call.apiKey), timeouts: call.timeouts, signal: call.signal };
    if (vertexPublisher(req.model) === 'anthropic') {
      const defaultMaxTokens = typeof call.provider.defaultMaxTokens === 'number' ? call.provider.defaultMaxTokens : undefined;
      const body = toAnthropicBody(req, {
        ...(defaultMaxTokens ? { defaultMaxTokens } : {}),
        ...(call.onPolicyDeclined ? { onPolicyDeclined: call.onPolicyDeclined } : {}),
        ...(call.onParamDropped ? { onParamDropped: call.onParamDropped } : {}),
      });
      return jsonPost(vertexModelUrl(target, 'anthropic', req.model, claudeMethod(req.stream)), vertexClaudeBody(body), options);
    }
    return jsonPost(vertexModelUrl(target, 'google', req.model, geminiMethod(req.stream)), JSON.stringify(toGeminiRequest(req, call.onStopEmulated, { callIds: false })), options);
  },

  parseResponse(body, req) {
    // Claude's answer continues the client's prefill, not the one trimmed for it (`prefill-continuation.ts`).
    if (vertexPublisher(req.model) === 'anthropic') return continuingPrefill(responseFromAnthropic(body), trimmedPrefillWhitespace(req.messages));
    return fromGeminiResponse((typeof body === 'object' && body !== null ? body : {}) as GeminiResponse, req);
  },

  parseStream(body, req, providerId = 'vertex') {
    return vertexPublisher(req.model) === 'anthropic'
      ? continuingPrefillStream(anthropicStreamEvents(body, providerId), trimmedPrefillWhitespace(req.messages))
      : parseGeminiStream(body, req, providerId);
  },

  parseError: errorFromVertex,
};
