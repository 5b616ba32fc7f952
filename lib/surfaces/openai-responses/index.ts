import { openAIErrorBody } from '../../http/openai-error';
import type { Surface } from '../types';
import { decodeResponsesRequest } from './decode';
import { encodeResponse, randomId, type Clock, type IdMaker } from './encode';
import { encodeResponsesStream } from './stream';

export { decodeResponsesRequest } from './decode';
export { parseResponsesRequest } from './request';

/**
 * The OpenAI Responses API surface over the canonical form, for requests the gateway translates
 * (a Responses client, a target that does not speak Responses). `now` stamps `created_at`.
 *
 * @example
 * const surface = createResponsesSurface({ now: () => 1_700_000_000_000 });
 * const req = surface.decodeRequest({ model: 'gpt-4.1', input: 'Hi' });
 */
export function createResponsesSurface(options: { now?: Clock; newId?: IdMaker } = {}): Surface {
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomId;
  return {
    decodeRequest: (body) => decodeResponsesRequest(body),
    encodeResponse: (res, model, request = {}) => encodeResponse(res, model, request, now, newId),
    encodeStream: (events, streamOptions) => encodeResponsesStream(events, { model: streamOptions.model, request: streamOptions.request ?? {}, providerId: streamOptions.providerId }, now, newId),
    encodeError: (err) => openAIErrorBody(err),
  };
}

export const openAIResponsesSurface: Surface = createResponsesSurface();
