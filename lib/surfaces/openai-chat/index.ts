import { openAIErrorBody } from '../../http/openai-error';
import type { Surface } from '../types';
import { decodeChatRequest } from './decode';
import { encodeChatCompletion, encodeChatStream, type Clock } from './encode';

export { decodeChatRequest } from './decode';
export { encodeChatCompletion, encodeChatStream } from './encode';

/**
 * The OpenAI Chat Completions surface over the canonical form, for requests the gateway
 * translates (an OpenAI client, a non-OpenAI upstream). `now` stamps `created`.
 *
 * @example
 * const surface = createOpenAIChatSurface({ now: () => 1_700_000_000_000 });
 * const req = surface.decodeRequest(body);
 */
export function createOpenAIChatSurface(options: { now?: Clock } = {}): Surface {
  const now = options.now ?? Date.now;
  return {
    decodeRequest: (body) => decodeChatRequest(body),
    encodeResponse: (res, model, request) => encodeChatCompletion(res, model, now, request),
    encodeStream: (events, streamOptions) => encodeChatStream(events, streamOptions, now),
    encodeError: (err) => openAIErrorBody(err),
  };
}

export const openAIChatSurface: Surface = createOpenAIChatSurface();
