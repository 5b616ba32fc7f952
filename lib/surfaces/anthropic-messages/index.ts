import { anthropicErrorBody } from '../../http/anthropic-error';
import type { Surface } from '../types';
import { decodeAnthropicRequest } from './request';
import { encodeAnthropicResponse } from './response';
import { countTokensEstimate } from './count-tokens';
import { encodeAnthropicStream } from './stream';

/**
 * The Anthropic Messages API as clients (the Anthropic SDKs, Claude Code) speak it.
 * `decodeRequest` translates strictly (refusing what another provider could not receive); for a
 * body that passes through to an Anthropic upstream, use `decodeAnthropicRequest(body, { mode: 'passthrough' })`.
 */
export const anthropicMessagesSurface: Surface = {
  decodeRequest: (body) => decodeAnthropicRequest(body),
  encodeResponse: (res, model) => encodeAnthropicResponse(res, model),
  encodeStream: (events, options) =>
    encodeAnthropicStream(events, { model: options.model, ...(options.canonical ? { inputTokensEstimate: countTokensEstimate(options.canonical) } : {}) }),
  encodeError: (err) => anthropicErrorBody(err),
};

export { charTokens, countTokensEstimate, TOKEN_ESTIMATE } from './count-tokens';
export { anthropicModelList, MODEL_CREATED_AT, type AnthropicModelList } from './models';
export { decodeAnthropicRequest, validateAnthropicRequest, type DecodeOptions } from './request';
export { anthropicMessageId, anthropicStopReason, anthropicUsage, encodeAnthropicResponse } from './response';
export { anthropicSse, encodeAnthropicStream } from './stream';
