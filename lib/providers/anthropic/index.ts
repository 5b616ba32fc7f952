import type { ProviderAdapter } from '../types';
import { errorFromAnthropicUpstream } from './errors';
import { trimmedPrefillWhitespace } from './prefill';
import { continuingPrefill, continuingPrefillStream } from './prefill-continuation';
import { anthropicRequest } from './request';
import { responseFromAnthropic } from './response';
import { anthropicStreamEvents } from './stream';

/** Anthropic's Messages API (api.anthropic.com, or any server that speaks it). */
export const anthropicProvider: ProviderAdapter = {
  dialect: 'anthropic',
  buildRequest: anthropicRequest,
  // The answer continues the client's prefill, not the one trimmed for Claude (`prefill-continuation.ts`).
  parseResponse: (body, req) => continuingPrefill(responseFromAnthropic(body), trimmedPrefillWhitespace(req.messages)),
  parseStream: (body, req, providerId) => continuingPrefillStream(anthropicStreamEvents(body, providerId), trimmedPrefillWhitespace(req.messages)),
  parseError: errorFromAnthropicUpstream,
};

export { anthropicToolId } from './ids';
export { anthropicPassthroughRequest, type AnthropicPassthroughCall } from './passthrough';
export { DEFAULT_ANTHROPIC_VERSION, DEFAULT_MAX_TOKENS, EFFORT_BUDGET, anthropicUrl, toAnthropicBody, type AnthropicBodyOptions } from './request';
export { finishReasonFromAnthropic, responseFromAnthropic } from './response';
export { AnthropicStreamDecoder, anthropicStreamEvents } from './stream';
export { AnthropicStreamMeter } from './stream-meter';
export { errorFromAnthropicEvent, errorFromAnthropicUpstream } from './errors';
export { mergeAnthropicUsage, usageFromAnthropic } from './usage';
