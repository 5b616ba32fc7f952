import type { ProviderAdapter } from '../types';
import { errorFromAnthropicUpstream } from './errors';
import { anthropicRequest } from './request';
import { responseFromAnthropic } from './response';
import { anthropicStreamEvents } from './stream';

/** Anthropic's Messages API (api.anthropic.com, or any server that speaks it). */
export const anthropicProvider: ProviderAdapter = {
  dialect: 'anthropic',
  buildRequest: anthropicRequest,
  parseResponse: (body) => responseFromAnthropic(body),
  parseStream: (body, _req, providerId) => anthropicStreamEvents(body, providerId),
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
